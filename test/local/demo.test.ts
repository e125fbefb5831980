import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * `npm run demo` as a newcomer runs it: the terminal shows the story (header, timeline, verdict)
 * and the demo's few progress lines; the logs go to the file the header names. The handlers log
 * at INFO here, so there are JSON lines to keep out of sight.
 */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

let run: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  run = await new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "--silent", "demo"],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: "INFO", NO_COLOR: "1" },
        timeout: 240_000,
        maxBuffer: 10_000_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}, 250_000);

const jsonLines = (text: string) => text.split("\n").filter((line) => line.trim().startsWith("{"));

describe("npm run demo", () => {
  // The verdict (OK, or FAILED with exit 1) is the demo's own check of the pipeline's timing,
  // which a heavily loaded machine can upset; what is judged here is what reaches the terminal.
  it("tells the story: a header, the timeline and a verdict", () => {
    expect(run.stdout, run.stderr).toMatch(/^WhatsApp reply pipeline demo \(local stack\)$/m);
    expect(run.stdout).toMatch(/^ {2}time +dir +contact +message +status$/m);
    expect(run.stdout).toMatch(/^(OK: \d+ replies arrived once each|FAILED: see above)/m);
  });

  it("prints no JSON log line and no ExperimentalWarning, on stdout or stderr", () => {
    expect(jsonLines(run.stdout)).toEqual([]);
    expect(jsonLines(run.stderr)).toEqual([]);
    expect(run.stdout).not.toContain("ExperimentalWarning");
    expect(run.stderr).not.toContain("ExperimentalWarning");
  });

  it("keeps the handlers' JSON log lines in the file its header names", () => {
    const file = /^logs (\S+)$/m.exec(run.stdout)?.[1];
    expect(file, run.stdout).toBeDefined();
    const lines = jsonLines(readFileSync(file as string, "utf8"));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.map((line) => JSON.parse(line).message)).toContain("webhook");
  });
});
