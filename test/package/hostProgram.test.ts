import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackOutputs, REQUIRED_OUTPUTS } from "../../ops/outputs.js";

/**
 * The package as another company's Pulumi program gets it: `npm pack` (which builds dist/), then a
 * real `npm install` of the tarball in two host programs, each compiled with its own tsc and run
 * under mocks by plain node, with no TypeScript loader:
 *
 * - "template": what `pulumi new aws-typescript` makes (test/fixtures/contracts/pulumi-templates/
 *   aws-typescript, Pulumi's own files): CommonJS, `moduleResolution: node`, strict, no
 *   skipLibCheck, no esModuleInterop. Run where its devDependency typescript is absent (as after
 *   `npm install --omit=dev`), so Pulumi serializes the webhook provider with the TypeScript 3.8
 *   it vendors; and without require(esm), as on a Node 22 before 22.12.
 * - "esm": an ES module program ("type": "module", NodeNext, strict, no skipLibCheck).
 *
 * Both install the versions of @pulumi/pulumi, @pulumi/aws, typescript and @types/node this
 * repository tests with (devDependencies), with --prefer-offline so npm's cache serves them.
 */

const run = promisify(execFile);
const REPO = process.cwd();
const TEMPLATE = path.join(REPO, "test/fixtures/contracts/pulumi-templates/aws-typescript");
const HOST = path.join(REPO, "test/package/host");
const repoPackage = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
/** What the host installs besides the tarball, at the versions this repository tests with. */
const HOST_PACKAGES = ["@pulumi/pulumi", "@pulumi/aws", "typescript", "@types/node"].map(
  (name) => `${name}@${repoPackage.devDependencies[name]}`,
);
const WITHOUT_TYPESCRIPT = path.join(REPO, "test/package/support/withoutTypescript.cjs");

type Style = "template" | "esm";
interface Result {
  registered: { type: string; name: string; inputs: Record<string, unknown> }[];
  exported: Record<string, Record<string, unknown>>;
  archives: Record<
    string,
    { files: string[]; bundleBytes: number; sha256: string; exportsHandler: boolean }
  >;
}
interface Host {
  dir: string;
  project: string;
  result: Result;
  /** `tsc --listFiles`: every file the host's compile read. */
  compiledFiles: string[];
}

let folder: string;
let tarball: string;
const hosts = {} as Record<Style, Host>;

/**
 * The host program's entry. The template's own index.ts is an example bucket (code, not contract,
 * not kept); the host's resources are the pipelines.
 */
function hostIndex(): string {
  return 'export * from "./pipelines.js";\n';
}

/** The README's example, compiled with the host's program (not run). */
function readmeExample(): string {
  const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Use it in your own program"));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!example) throw new Error("README: no TypeScript example under 'Use it in your own program'");
  return example;
}

async function makeHost(style: Style): Promise<Host> {
  const dir = path.join(folder, style);
  mkdirSync(dir);
  const substitute = (text: string) =>
    text.replace(/\$\{PROJECT\}/g, "acme-infra").replace(/\$\{DESCRIPTION\}/g, "Acme's estate");
  const project = (
    yaml.load(substitute(readFileSync(path.join(TEMPLATE, "Pulumi.yaml"), "utf8"))) as {
      name: string;
    }
  ).name;
  if (style === "template") {
    const pkg = JSON.parse(substitute(readFileSync(path.join(TEMPLATE, "package.json"), "utf8")));
    delete pkg.dependencies["@pulumi/awsx"]; // the template's example, not the package's
    writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
    cpSync(path.join(TEMPLATE, "tsconfig.json"), path.join(dir, "tsconfig.json"));
  } else {
    writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name: project, private: true, type: "module", main: "bin/index.js" }),
    );
    cpSync(path.join(HOST, "tsconfig.esm.json"), path.join(dir, "tsconfig.json"));
  }
  writeFileSync(path.join(dir, "index.ts"), hostIndex());
  cpSync(path.join(HOST, "pipelines.ts"), path.join(dir, "pipelines.ts"));
  cpSync(path.join(HOST, "run.mjs"), path.join(dir, "run.mjs"));
  writeFileSync(path.join(dir, "readme.ts"), readmeExample());

  await run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, ...HOST_PACKAGES],
    { cwd: dir, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
  );
  // One compile, which also lists every file it read.
  const tsc = path.join(dir, "node_modules/typescript/bin/tsc");
  const listed = await run(process.execPath, [tsc, "-p", ".", "--listFiles"], {
    cwd: dir,
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });

  const env = { ...process.env };
  delete env.NODE_OPTIONS; // no loader may come along from the test runner
  const execArgv =
    style === "template"
      ? ["--require", WITHOUT_TYPESCRIPT, "--no-experimental-require-module"]
      : [];
  const program = await run(
    process.execPath,
    [...execArgv, "run.mjs", path.join("bin", "index.js"), project],
    { cwd: dir, env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return {
    dir,
    project,
    result: JSON.parse(program.stdout),
    compiledFiles: listed.stdout.split("\n").filter(Boolean),
  };
}

beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), "reply-pipeline-host-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", folder], {
    cwd: REPO,
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string }[];
  tarball = path.join(folder, path.basename(packed?.filename ?? ""));
  const [template, esm] = await Promise.all([makeHost("template"), makeHost("esm")]);
  hosts.template = template;
  hosts.esm = esm;
}, 1_200_000);

// Two installs are tens of thousands of files: removed off the event loop (a synchronous rm
// starves the test worker's messages to vitest on a loaded machine).
afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
}, 600_000);

/** Every file of the installed package, relative to its folder. */
function installedFiles(host: Host): string[] {
  const root = path.join(host.dir, "node_modules/@whatsable/reply-pipeline");
  return readdirSync(root, { recursive: true, encoding: "utf8" }).map((f) =>
    f.split(path.sep).join("/"),
  );
}

/** `from "x"`, `import("x")`, `require("x")` of a package: the specifier is group 1. */
const PACKAGE_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)"((?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/[\w./-]*)?)"/g;

describe("the packed package", () => {
  it("ships ES modules, CommonJS, types, the Lambda bundles and the ops bin, not the repository", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.split("\n").map((f) => f.replace(/^package\//, ""));
    expect(files).toEqual(
      expect.arrayContaining([
        "dist/lib/infra/lib.js",
        "dist/lib/infra/lib.d.ts",
        "dist/cjs/infra/lib.js",
        "dist/cjs/infra/lib.d.ts",
        "dist/cjs/package.json",
        "dist/lib/ops/cli.js",
        "dist/bundles/receiver/index.mjs",
        "dist/bundles/responder/index.mjs",
        "dist/bundles/sender/index.mjs",
      ]),
    );
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => /^(test|local|bench|ops|tools|scripts)\//.test(f))).toEqual([]);
    expect(files).not.toContain("dist/lib/infra/index.js");
  });

  it("declares every package its JavaScript imports as a dependency or a peer dependency", () => {
    const declared = new Set([
      ...Object.keys(repoPackage.dependencies),
      ...Object.keys(repoPackage.peerDependencies),
    ]);
    const imported = new Set<string>();
    const root = path.join(hosts.esm.dir, "node_modules/@whatsable/reply-pipeline");
    for (const file of installedFiles(hosts.esm).filter((f) =>
      /^dist\/(lib|cjs)\/.*\.js$/.test(f),
    )) {
      const text = readFileSync(path.join(root, file), "utf8");
      // A package specifier (lowercase, maybe scoped); relative paths and node: built-ins do not match.
      for (const [, spec] of text.matchAll(PACKAGE_IMPORT)) {
        if (!spec) continue;
        imported.add(
          spec.startsWith("@")
            ? spec.split("/").slice(0, 2).join("/")
            : (spec.split("/")[0] ?? spec),
        );
      }
    }
    // esbuild is imported only to bundle a handler from source, which the package never does.
    imported.delete("esbuild");
    expect([...imported].filter((name) => !declared.has(name))).toEqual([]);
  });
});

describe.each(["template", "esm"] as const)(
  "a %s host program that installs the tarball",
  (style) => {
    const host = () => hosts[style];
    const resources = (type: string) => host().result.registered.filter((r) => r.type === type);
    const inputsOf = (type: string, name: string) =>
      host().result.registered.find((r) => r.type === type && r.name === name)?.inputs ?? {};

    it("has one @pulumi/pulumi, its own, which the package shares", async () => {
      const { stdout } = await run("npm", ["ls", "@pulumi/pulumi", "--all", "--parseable"], {
        cwd: host().dir,
      });
      expect(stdout.split("\n").filter(Boolean)).toEqual([
        path.join(host().dir, "node_modules/@pulumi/pulumi"),
      ]);
    });

    it("gets no Node binary in its node_modules/.bin", () => {
      expect(existsSync(path.join(host().dir, "node_modules/.bin/node"))).toBe(false);
      expect(
        readdirSync(path.join(host().dir, "node_modules")).filter((d) => /^node-/.test(d)),
      ).toEqual([]);
    });

    it("compiles against the package's types without reading any of its dependencies' types", () => {
      const dependencies = Object.keys(repoPackage.dependencies);
      const modules = `${path.join(host().dir, "node_modules")}${path.sep}`;
      const reached = host()
        .compiledFiles.filter((f) => f.startsWith(modules))
        .map((f) => f.slice(modules.length));
      expect(reached.some((f) => f.startsWith("@whatsable/reply-pipeline/"))).toBe(true);
      expect(reached.filter((f) => dependencies.some((d) => f.startsWith(`${d}/`)))).toEqual([]);
    });

    it("runs the ops CLI from its node_modules/.bin on its own Node", async () => {
      const bin = path.join(host().dir, "node_modules/.bin/whatsable-ops");
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${path.dirname(process.execPath)}${path.delimiter}/usr/bin:/bin`,
      };
      delete env.NODE_OPTIONS;
      const { stdout } = await run(bin, ["--help"], { cwd: host().dir, env });
      // Run as the bin, the help names the bin (not this repository's `npm run ops --`).
      expect(stdout).toContain("Usage: whatsable-ops <command>");
      expect(stdout).toContain("--stack NAME");
    });

    it("builds two pipelines side by side, every child named from its pipeline", () => {
      const pipelines = resources("whatsable:index:WhatsAppReplyPipeline").map((r) => r.name);
      expect(pipelines.sort()).toEqual(["sales", "support"]);
      const keys = host().result.registered.map((r) => `${r.type}::${r.name}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (const r of host().result.registered) {
        // The host's own: its alarm topic, and the template's bucket.
        if (r.type.startsWith("aws:") && !["acme-alerts", "my-bucket"].includes(r.name)) {
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

    it("deploys the Lambda bundles the package ships, byte for byte", async () => {
      const { createHash } = await import("node:crypto");
      const root = path.join(host().dir, "node_modules/@whatsable/reply-pipeline/dist/bundles");
      const shipped = (fn: string) =>
        createHash("sha256")
          .update(readFileSync(path.join(root, fn, "index.mjs"), "utf8"))
          .digest("hex");
      expect(Object.keys(host().result.archives)).toHaveLength(6);
      for (const [name, archive] of Object.entries(host().result.archives)) {
        const fn = name.replace(/^(support|sales)-/, "");
        expect(archive.exportsHandler, name).toBe(true);
        expect(archive.sha256, name).toBe(shipped(fn));
      }
      expect(host().result.archives["support-responder"]?.files).toEqual([
        "index.mjs",
        "rules.json",
      ]);
    });

    it("leaves the host's own config key alone (the host reads it; no pipeline refuses it)", () => {
      expect(inputsOf("aws:sns/topic:Topic", "acme-alerts").tags).toEqual({
        team: "customer-care",
      });
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
      expect(
        inputsOf("pulumi-nodejs:dynamic/whatsable:VendorWebhook", "sales-webhook-g1").url,
      ).toBe("https://hooks.acme.example/webhooks/whatsapp?g=1");
      expect(
        inputsOf("aws:apigatewayv2/domainName:DomainName", "sales-ingress-domain"),
      ).toMatchObject({
        domainName: "hooks.acme.example",
      });
    });

    it("exports, per pipeline, every output the ops CLI reads", () => {
      const needed = new Set(Object.values(REQUIRED_OUTPUTS).flat());
      for (const name of ["supportOutputs", "salesOutputs"]) {
        const outputs = parseStackOutputs(host().result.exported[name], name);
        for (const key of needed) expect(outputs[key], `${name}.${key}`).toBeDefined();
      }
      expect(host().result.exported.salesOutputs?.dashboardName).toBe(
        `${host().project}-sales-prod`,
      );
      expect(host().result.exported.legacyWebhookId).toEqual(expect.any(Number));
    });
  },
);
