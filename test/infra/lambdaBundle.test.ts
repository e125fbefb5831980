import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import {
  BUNDLE_FILE,
  bundleHandler,
  bundleOptions,
  handlerEntry,
  lambdaArchive,
  MissingHandlerError,
} from "../../infra/lambdaBundle.js";
import { ENV, FUNCTIONS, RULES_BUNDLE_FILE } from "../../lambdas/contract.js";

const FIXTURES = { handlersDir: "test/infra/fixtures/handlers" };
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The files a real function's bundle is made of (esbuild metafile). */
async function bundledFiles(fn: string): Promise<string[]> {
  const { metafile } = await build({ ...bundleOptions(handlerEntry(fn)), metafile: true });
  return Object.keys(metafile.inputs);
}

/** The node_modules files a real function's bundle is made of. */
async function bundledPackageFiles(fn: string): Promise<string[]> {
  return (await bundledFiles(fn)).filter((input) => input.includes("node_modules/"));
}

/** Writes a bundle where Lambda would unpack it and imports it. */
async function load(code: string): Promise<{ handler: (event: unknown) => Promise<unknown> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "bundle-"));
  dirs.push(dir);
  const file = path.join(dir, BUNDLE_FILE);
  await writeFile(file, code);
  return import(pathToFileURL(file).href);
}

describe("bundleHandler", () => {
  it("bundles a handler and its CommonJS dependencies into one ESM file that runs alone", async () => {
    const { code } = await bundleHandler("echo", FIXTURES);
    const bundle = await load(code);
    expect(await bundle.handler({ text: "hi" })).toEqual({
      digest: "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4",
      platformName: process.platform,
    });
  });

  it("minifies the output", async () => {
    const { code } = await bundleHandler("echo", FIXTURES);
    expect(code.split("\n").length).toBeLessThan(5);
  });

  it("gives identical bytes for identical sources, so an unchanged function does not redeploy", async () => {
    const [first, second] = await Promise.all([
      bundleHandler("echo", FIXTURES),
      bundleHandler("echo", FIXTURES),
    ]);
    expect(first.code).toBe(second.code);
  });

  it("names the missing handler file", async () => {
    await expect(bundleHandler("nope", FIXTURES)).rejects.toThrow(
      'Lambda "nope" cannot be built: its handler test/infra/fixtures/handlers/nope.ts does not exist.',
    );
  });

  it.each(Object.values(FUNCTIONS))(
    "bundles the real %s handler with the AWS SDK inside",
    async (fn) => {
      const { code, bytes } = await bundleHandler(fn);
      expect(bytes).toBeGreaterThan(0);
      expect(code).not.toMatch(/from\s*"@aws-sdk\//);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    },
  );

  it.each(Object.values(FUNCTIONS))(
    "builds %s from lambdas/ alone: no ops/ code (e.g. the conversation reader) in a bundle",
    async (fn) => {
      const ours = (await bundledFiles(fn)).filter((file) => !file.includes("node_modules/"));
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.filter((file) => !file.startsWith("lambdas/"))).toEqual([]);
    },
  );

  it.each(Object.values(FUNCTIONS))(
    "takes the AWS SDK inside %s from its ESM builds, which esbuild can tree-shake",
    async (fn) => {
      const sdkFiles = (await bundledPackageFiles(fn)).filter((file) =>
        /node_modules\/@(aws-sdk|smithy)\//.test(file),
      );
      expect(sdkFiles.length).toBeGreaterThan(0);
      expect(sdkFiles.filter((file) => file.includes("/dist-cjs/"))).toEqual([]);
    },
  );

  it.each(Object.values(FUNCTIONS))(
    "leaves the SDK's default credential chain out of %s: credentials come from the environment",
    async (fn) => {
      const files = await bundledPackageFiles(fn);
      expect(files.some((file) => file.includes("@aws-sdk/credential-provider-env/"))).toBe(true);
      expect(
        files.filter((file) =>
          /@aws-sdk\/credential-provider-(node|ini|sso|web-identity|process)\/|credential-provider-imds/.test(
            file,
          ),
        ),
      ).toEqual([]);
    },
  );
});

describe("the responder's bundled reply rules", () => {
  /** Unpacks the real responder bundle with a rules.json beside it and starts it in a fresh Node. */
  async function coldStart(rules: string) {
    const dir = await mkdtemp(path.join(tmpdir(), "responder-"));
    dirs.push(dir);
    await writeFile(path.join(dir, BUNDLE_FILE), (await bundleHandler(FUNCTIONS.responder)).code);
    await writeFile(path.join(dir, RULES_BUNDLE_FILE), rules);
    const run = promisify(execFile)(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `await import(${JSON.stringify(pathToFileURL(path.join(dir, BUNDLE_FILE)).href)})`,
      ],
      {
        // Lambda starts the function in its task root; the rules are found beside index.mjs anyway.
        cwd: tmpdir(),
        env: {
          PATH: process.env.PATH,
          AWS_REGION: "eu-west-1",
          AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
          AWS_SECRET_ACCESS_KEY: "example",
          [ENV.conversationTable]: "conversation",
          [ENV.repliesQueueUrl]: "https://sqs.eu-west-1.amazonaws.com/000000000000/replies",
          [ENV.replyRulesFile]: RULES_BUNDLE_FILE,
          [ENV.waitingDurationSeconds]: "86400",
        },
        timeout: 30_000,
      },
    );
    return await run;
  }

  it("reads a rules file far above 4 KB from beside index.mjs at cold start", async () => {
    const rules = readFileSync("test/fixtures/rules/large.json", "utf8");
    const { stdout } = await coldStart(rules);
    const ready = stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { message?: string; rules?: number })
      .find((line) => line.message === "responder ready");
    expect(ready?.rules).toBe((JSON.parse(rules) as unknown[]).length);
  }, 60_000);

  it("fails its cold start, naming the rule and field, when the file holds a bad rule", async () => {
    const bad = JSON.stringify([
      { match: "hi", messages: [{ text: "Hi", delay: 0, attachement: "x" }] },
    ]);
    await expect(coldStart(bad)).rejects.toThrow(
      /REPLY_RULES_FILE \(.*rules\.json\): reply rule 0: messages\[0\]\.attachement is not a field/,
    );
  }, 60_000);
});

describe("lambdaArchive", () => {
  it("refuses a data file that would replace or escape the bundle", () => {
    expect(() => lambdaArchive("responder", {}, { [BUNDLE_FILE]: "x" })).toThrow(
      /cannot add data file/,
    );
    expect(() => lambdaArchive("responder", {}, { "../rules.json": "x" })).toThrow(
      /cannot add data file/,
    );
  });

  it("fails at once, naming the file, when the handler is missing", () => {
    expect(() => lambdaArchive("sender", { handlersDir: "test/infra/fixtures/missing" })).toThrow(
      MissingHandlerError,
    );
  });
});
