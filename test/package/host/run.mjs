/**
 * `node run.mjs <program.js> <project>`: runs a host program (tsc's output of its index.ts) under
 * Pulumi mocks with plain node, no TypeScript loader, and prints what it registered and exported
 * as JSON. The program is loaded as Pulumi's language host loads it: `require` for a CommonJS
 * program (a package.json without "type": "module"), `import` for an ES module one.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";

const [file = "", project = ""] = process.argv.slice(2);
const host = JSON.parse(readFileSync("package.json", "utf8"));

const registered = [];
/** Per function: the files of its code archive, the size and hash of its bundle. */
const archives = {};
const arn = (service, resource) => `arn:aws:${service}:eu-west-1:123456789012:${resource}`;
const computed = (type, name) => {
  switch (type) {
    case "aws:sqs/queue:Queue":
      return {
        arn: arn("sqs", name),
        url: `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`,
        name,
      };
    case "aws:dynamodb/table:Table":
      return { arn: arn("dynamodb", `table/${name}`), name };
    case "aws:scheduler/scheduleGroup:ScheduleGroup":
      return { arn: arn("scheduler", `schedule-group/${name}`), name };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: arn("logs", `log-group:${name}`), name };
    case "aws:lambda/function:Function":
      return { arn: arn("lambda", `function:${name}`), name };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::123456789012:role/${name}`, name };
    case "aws:secretsmanager/secret:Secret":
      return { arn: arn("secretsmanager", `secret:${name}-AbCdEf`) };
    case "aws:sns/topic:Topic":
      return { arn: arn("sns", name) };
    case "aws:lambda/functionUrl:FunctionUrl":
      // Lambda answers with a trailing slash.
      return { functionUrl: `https://${name}.lambda-url.eu-west-1.on.aws/`, urlId: name };
    case "aws:apigatewayv2/api:Api":
      return {
        apiEndpoint: `https://${name}.execute-api.eu-west-1.amazonaws.com`,
        executionArn: arn("execute-api", name),
      };
    case "aws:apigatewayv2/domainName:DomainName":
      return {
        domainNameConfiguration: {
          targetDomainName: `d-${name}.execute-api.eu-west-1.amazonaws.com`,
          hostedZoneId: "Z2FDTNDATAQYW2",
        },
      };
    case "pulumi-nodejs:dynamic/whatsable:VendorWebhook":
      return { webhookId: 1200 + registered.length, createdAt: 1, signingSecret: null };
    default:
      return {};
  }
};

pulumi.runtime.setAllConfig(
  {
    "aws:region": "eu-west-1",
    [`${project}:team`]: "customer-care",
    [`${project}:supportVendorToken`]: "support-token",
    [`${project}:salesVendorToken`]: "sales-token",
  },
  [`${project}:supportVendorToken`, `${project}:salesVendorToken`],
);
await pulumi.runtime.setMocks(
  {
    newResource(args) {
      const { __provider: _p, code, ...inputs } = args.inputs;
      registered.push({ type: args.type, name: args.name, inputs });
      if (code instanceof pulumi.asset.AssetArchive) archives[args.name] = describe(code);
      return {
        id: `${args.name}-id`,
        state: { ...args.inputs, ...computed(args.type, args.name) },
      };
    },
    call(args) {
      if (args.token === "aws:index/getCallerIdentity:getCallerIdentity")
        return { accountId: "123456789012" };
      if (args.token === "aws:index/getPartition:getPartition") return { partition: "aws" };
      throw new Error(`unexpected invoke ${args.token}`);
    },
  },
  project,
  "prod",
);
async function describe(archive) {
  const assets = await archive.assets;
  const bundle = await assets["index.mjs"].text;
  return {
    files: Object.keys(assets),
    bundleBytes: bundle.length,
    sha256: createHash("sha256").update(bundle).digest("hex"),
    exportsHandler: /export\s*\{[^}]*\bhandler\b/.test(bundle),
  };
}
const program =
  host.type === "module"
    ? await import(pathToFileURL(path.resolve(file)).href)
    : createRequire(import.meta.url)(path.resolve(file));
const exported = {};
for (const [key, value] of Object.entries(program)) {
  exported[key] = await new Promise((resolve) => pulumi.output(value).apply(resolve));
}
await pulumi.runtime.disconnect();
for (const [name, archive] of Object.entries(archives)) archives[name] = await archive;
process.stdout.write(JSON.stringify({ registered, exported, archives }));
