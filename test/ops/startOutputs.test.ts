import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForReadyLine } from "../../local/readyLine.js";

/** The whole operator path, as two terminals: `npm start -- --outputs FILE`, then `npm run ops`. */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const dir = mkdtempSync(join(tmpdir(), "ops-start-"));
const outputsFile = join(dir, "local.json");
let child: ChildProcess;
let stderr = "";

beforeAll(async () => {
  child = spawn(
    "npm",
    [
      "start",
      "--silent",
      "--",
      "--port",
      "0",
      "--vendor-port",
      "0",
      "--outputs",
      outputsFile,
      "--data-dir",
      join(dir, "data"),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  await waitForReadyLine(child, READY_TIMEOUT_MS, () => stderr);
}, READY_TIMEOUT_MS + 5000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
}, 30_000);

describe("npm start -- --outputs FILE", () => {
  it("writes outputs before READY that npm run ops reads, with no secret in them", async () => {
    const outputs = JSON.parse(readFileSync(outputsFile, "utf8"));
    expect(outputs.local.endpoints.sqs).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(JSON.stringify(outputs)).not.toMatch(/whsec_|"token"|signingSecret"\s*:\s*"(?!arn:)/);

    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        "npm",
        ["run", "--silent", "ops", "--", "status", "--outputs", outputsFile],
        { cwd: REPO_ROOT, timeout: 60_000 },
        (error, out) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out }),
      ),
    );
    expect(code).toBe(0);
    expect(stdout).toContain("(local stack)");
    expect(stdout).toMatch(/^ {2}1\s+\d+\s+yes\s+yes/m);
  }, 60_000);

  it("says where the tables and queues are kept", () => {
    expect(stderr).toContain(`tables and queues kept in ${join(dir, "data")}`);
  });
});
