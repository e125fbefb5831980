import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * A host program without a `typescript` of its own (a JavaScript program, or a TypeScript one
 * installed with `--omit=dev`) serializes the VendorWebhook provider with the TypeScript 3.8.3
 * that @pulumi/pulumi vendors: its closure serializer parses every function the provider captures,
 * and 3.8 knows neither logical assignment (`||=`, `??=`, `&&=`) nor anything newer. The child
 * process below serializes the provider exactly as `pulumi.dynamic.Resource` does, with
 * `require("typescript")` failing, so the shim (node_modules/@pulumi/pulumi/typescript-shim.js)
 * falls back to its vendored copy, the one Pulumi ships.
 */

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const VENDORED = "@pulumi/pulumi/vendor/typescript@3.8.3/typescript.js";

interface ParsedSource {
  parseDiagnostics: { messageText: string | { messageText: string }; start?: number }[];
}
const vendored = require(VENDORED) as {
  version: string;
  createSourceFile: (name: string, text: string, target: number, setParents: boolean) => unknown;
  ScriptTarget: { Latest: number };
};

let serialized: { ok: true; text: string } | { ok: false; error: string };

beforeAll(async () => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  try {
    const { stdout } = await run(
      process.execPath,
      [
        "--require",
        path.resolve("test/package/support/withoutTypescript.cjs"),
        "--import",
        "tsx",
        "test/infra/fixtures/serializeProvider.ts",
      ],
      { env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
    );
    serialized = { ok: true, text: (JSON.parse(stdout) as { text: string }).text };
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    serialized = { ok: false, error: stderr || message };
  }
}, 120_000);

describe("the VendorWebhook provider in a host without its own typescript", () => {
  it("is parsed by Pulumi's vendored TypeScript 3.8.3", () => {
    expect(vendored.version).toBe("3.8.3");
  });

  it("serializes with the vendored parser, as `pulumi up` does there", () => {
    expect(serialized.ok ? "" : serialized.error).toBe("");
  });

  it("serializes to text the vendored parser reads without an error", () => {
    if (!serialized.ok) throw new Error(serialized.error);
    const file = vendored.createSourceFile(
      "provider.js",
      serialized.text,
      vendored.ScriptTarget.Latest,
      false,
    ) as ParsedSource;
    const errors = file.parseDiagnostics.map((d) => {
      const text = typeof d.messageText === "string" ? d.messageText : d.messageText.messageText;
      return `${text} at: ${serialized.ok ? serialized.text.slice(d.start ?? 0, (d.start ?? 0) + 60) : ""}`;
    });
    expect(errors).toEqual([]);
  });
});
