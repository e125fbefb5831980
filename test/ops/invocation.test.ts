import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BIN, invocationOf } from "../../ops/cli.js";
import { nextCommand } from "../../ops/command.js";
import { runCli } from "./support/runCli.js";

/**
 * The help names the CLI the way the operator ran it: the npm facts (which variables a script
 * gets, what npx sets) are in test/fixtures/contracts/npm/README.md.
 */

describe("ops help names the CLI as it was run", () => {
  it.each([
    [
      "this repository's script",
      "/repo/ops/cli.ts",
      { npm_lifecycle_event: "ops", npm_lifecycle_script: "exec tsx ops/cli.ts" },
      "npm run ops --",
    ],
    [
      "a host's script that runs the bin",
      "/host/node_modules/.bin/whatsable-ops",
      { npm_lifecycle_event: "support", npm_lifecycle_script: "whatsable-ops" },
      "npm run support --",
    ],
    [
      "npx",
      "/host/node_modules/.bin/whatsable-ops",
      { npm_lifecycle_event: "npx", npm_lifecycle_script: '"whatsable-ops"' },
      "whatsable-ops",
    ],
    [
      "a script that passes arguments of its own",
      "/host/node_modules/.bin/whatsable-ops",
      { npm_lifecycle_event: "check", npm_lifecycle_script: "whatsable-ops validate" },
      "whatsable-ops",
    ],
    ["the bin on PATH, no npm", "/usr/local/bin/whatsable-ops", {}, "whatsable-ops"],
    ["the file by its path", "/host/dist/lib/ops/cli.js", {}, "whatsable-ops"],
  ])("%s", (_, scriptPath, env, expected) => {
    expect(invocationOf(scriptPath, env)).toBe(expected);
  });

  it("is the package's bin name when run by file", () => {
    const manifest = JSON.parse(readFileSync("package.json", "utf8")) as {
      bin: Record<string, string>;
    };
    expect(Object.keys(manifest.bin)).toEqual([BIN]);
  });

  it("says whatsable-ops, not npm run ops, in usage, examples and hints when run as the bin", async () => {
    const io = { invocation: "whatsable-ops" };
    const overall = await runCli(["--help"], io);
    expect(overall.stdout).toContain("Usage: whatsable-ops <command> [arguments]");
    const preflight = await runCli(["preflight", "--help"], io);
    expect(preflight.stdout).toContain("Usage: whatsable-ops preflight --stack NAME [options]");
    expect(preflight.stdout).toContain("Examples:\n  whatsable-ops preflight --stack prod\n");
    const usageError = await runCli(["status"], io);
    expect(usageError.stderr).toContain("(see: whatsable-ops status --help)");
    for (const run of [overall, preflight, usageError])
      expect(run.stdout + run.stderr).not.toContain("npm run ops --");
  });

  it("names the next command to run the same way, on the same stack", () => {
    const context = { invocation: "whatsable-ops", target: { flags: "--stack prod" } };
    expect(nextCommand(context, "dlq", "replies")).toBe("whatsable-ops dlq replies --stack prod");
  });
});
