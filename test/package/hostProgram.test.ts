import { execFile } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackOutputs, REQUIRED_OUTPUTS } from "../../ops/outputs.js";

/**
 * The package as another company's Pulumi program gets it: `npm pack` (which builds dist/lib),
 * the tarball unpacked into a temporary folder's node_modules the way npm lays a package out,
 * and the program there (host/index.ts: project "acme-infra", a config key of its own, two
 * pipelines) compiled with tsc and run under mocks by plain node, with no TypeScript loader.
 *
 * The package's own dependencies are not installed again (the machine is offline and @pulumi/aws
 * alone is hundreds of MB): the folder's node_modules links each of this repository's installed
 * packages, and only the tarball is unpacked there. Node resolves links to their real paths, so
 * the host program and the package share one @pulumi/pulumi, as after `npm install`.
 */

const run = promisify(execFile);
const REPO = process.cwd();
const TSC = path.join(REPO, "node_modules/typescript/bin/tsc");
let folder: string;
let host: string;
let tarball: string;
let result: {
  registered: { type: string; name: string; inputs: Record<string, unknown> }[];
  exported: Record<string, Record<string, unknown>>;
  archives: Record<string, { files: string[]; bundleBytes: number; exportsHandler: boolean }>;
};

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), "reply-pipeline-host-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", folder], {
    cwd: REPO,
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string }[];
  tarball = path.join(folder, path.basename(packed?.filename ?? ""));

  host = path.join(folder, "host");
  cpSync(path.join(REPO, "test/package/host"), host, { recursive: true });
  writeFileSync(
    path.join(host, "package.json"),
    JSON.stringify({ name: "acme-infra", private: true, type: "module" }),
  );
  const modules = path.join(host, "node_modules");
  mkdirSync(modules);
  for (const entry of readdirSync(path.join(REPO, "node_modules"))) {
    if (entry.startsWith(".")) continue;
    symlinkSync(path.join(REPO, "node_modules", entry), path.join(modules, entry));
  }
  const installed = path.join(modules, "@whatsable/reply-pipeline");
  mkdirSync(installed, { recursive: true });
  await run("tar", ["-xzf", tarball, "--strip-components=1", "-C", installed]);

  await run(process.execPath, [TSC, "-p", host], { cwd: host, timeout: 120_000 });
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // no loader may come along from the test runner
  const program = await run(process.execPath, ["run.mjs"], {
    cwd: host,
    env,
    timeout: 180_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  result = JSON.parse(program.stdout);
}, 600_000);

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const resources = (type: string) => result.registered.filter((r) => r.type === type);
const inputsOf = (type: string, name: string) =>
  result.registered.find((r) => r.type === type && r.name === name)?.inputs ?? {};

describe("a program that installs the packed package", () => {
  it("ships JavaScript with types and the handlers' compiled code, not the repository", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.split("\n").map((f) => f.replace(/^package\//, ""));
    expect(files).toContain("dist/lib/infra/lib.js");
    expect(files).toContain("dist/lib/infra/lib.d.ts");
    expect(files).toContain("dist/lib/lambdas/handlers/responder.js");
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => /^(test|local|bench|ops)\//.test(f))).toEqual([]);
    expect(files).not.toContain("dist/lib/infra/index.js");
  });

  it("builds two pipelines side by side, every child named from its pipeline", () => {
    const pipelines = resources("whatsable:index:WhatsAppReplyPipeline").map((r) => r.name);
    expect(pipelines.sort()).toEqual(["sales", "support"]);
    const keys = result.registered.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of result.registered) {
      if (r.type.startsWith("aws:") && r.name !== "acme-alerts") {
        expect(r.name).toMatch(/^(support|sales)-/);
      }
    }
    expect(
      resources("aws:lambda/function:Function")
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      "sales-receiver",
      "sales-responder",
      "sales-sender",
      "support-receiver",
      "support-responder",
      "support-sender",
    ]);
  });

  it("bundles each function's handler from the installed package, whatever the working directory", () => {
    expect(Object.keys(result.archives)).toHaveLength(6);
    for (const [fn, archive] of Object.entries(result.archives)) {
      expect(archive.exportsHandler, fn).toBe(true);
      expect(archive.bundleBytes, fn).toBeGreaterThan(10_000);
    }
    expect(result.archives["support-responder"]?.files).toEqual(["index.mjs", "rules.json"]);
  });

  it("leaves the host's own config key alone (the host reads it; no pipeline refuses it)", () => {
    expect(inputsOf("aws:sns/topic:Topic", "acme-alerts").tags).toEqual({ team: "customer-care" });
  });

  it("sends the support pipeline's alarms to the host's topic and creates no topic or key of its own", () => {
    const topics = resources("aws:sns/topic:Topic").map((r) => r.name);
    expect(topics.sort()).toEqual(["acme-alerts", "sales-alarms-topic"]);
    expect(resources("aws:kms/key:Key").map((r) => r.name)).toEqual(["sales-alarms-topic-key"]);
    const alarm = inputsOf(
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "support-alarms-jobs-dlq-depth",
    );
    expect(alarm.alarmActions).toEqual(["arn:aws:sns:eu-west-1:123456789012:acme-alerts"]);
  });

  it("tags the support pipeline's resources with the tags it was given", () => {
    expect(inputsOf("aws:dynamodb/table:Table", "support-data-conversation").tags).toEqual({
      team: "customer-care",
      pipeline: "support",
    });
    expect(inputsOf("aws:dynamodb/table:Table", "sales-data-conversation").tags).toBeUndefined();
  });

  it("enters the support pipeline through the function URL it asks for", () => {
    expect(
      inputsOf("pulumi-nodejs:dynamic/whatsable:VendorWebhook", "support-webhook-g1").url,
    ).toBe("https://support-ingress-url.lambda-url.eu-west-1.on.aws/webhooks/whatsapp?g=1");
    expect(inputsOf("aws:lambda/functionUrl:FunctionUrl", "support-ingress-url")).toMatchObject({
      authorizationType: "NONE",
      invokeMode: "BUFFERED",
    });
  });

  it("registers the sales webhook on its custom domain", () => {
    expect(inputsOf("pulumi-nodejs:dynamic/whatsable:VendorWebhook", "sales-webhook-g1").url).toBe(
      "https://hooks.acme.example/webhooks/whatsapp?g=1",
    );
    expect(
      inputsOf("aws:apigatewayv2/domainName:DomainName", "sales-ingress-domain"),
    ).toMatchObject({
      domainName: "hooks.acme.example",
    });
  });

  it("exports, per pipeline, every output the ops CLI reads", () => {
    const needed = new Set(Object.values(REQUIRED_OUTPUTS).flat());
    for (const name of ["supportOutputs", "salesOutputs"]) {
      const outputs = parseStackOutputs(result.exported[name], name);
      for (const key of needed) expect(outputs[key], `${name}.${key}`).toBeDefined();
    }
    expect(result.exported.salesOutputs?.dashboardName).toBe("acme-infra-sales-prod");
    expect(result.exported.legacyWebhookId).toEqual(expect.any(Number));
  });

  it("compiles the README's example against the installed package", async () => {
    const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Use it in your own program"));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBeDefined();
    writeFileSync(path.join(host, "readme.ts"), example ?? "");
    writeFileSync(
      path.join(host, "tsconfig.readme.json"),
      JSON.stringify({
        extends: "./tsconfig.json",
        compilerOptions: { noEmit: true },
        files: ["readme.ts"],
      }),
    );
    await expect(
      run(process.execPath, [TSC, "-p", "tsconfig.readme.json"], { cwd: host }),
    ).resolves.toBeDefined();
  });
});
