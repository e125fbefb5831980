import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  BUNDLE_FILE,
  bundleHandler,
  lambdaArchive,
  MissingHandlerError,
} from "../../infra/lambdaBundle.js";
import { FUNCTIONS } from "../../lambdas/contract.js";

const FIXTURES = { handlersDir: "test/infra/fixtures/handlers" };
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

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
});

describe("lambdaArchive", () => {
  it("fails at once, naming the file, when the handler is missing", () => {
    expect(() => lambdaArchive("sender", { handlersDir: "test/infra/fixtures/missing" })).toThrow(
      MissingHandlerError,
    );
  });
});
