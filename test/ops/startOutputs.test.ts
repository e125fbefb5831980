import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NpmStart, READY_TIMEOUT_MS, startNpmStart } from "../support/npmStart.js";

/** The whole operator path, as two terminals: `npm start -- --outputs FILE`, then `npm run ops`. */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "ops-start-"));
const outputsFile = join(dir, "local.json");
let stack: NpmStart;

beforeAll(async () => {
  stack = await startNpmStart([
    "--port",
    "0",
    "--vendor-port",
    "0",
    "--outputs",
    outputsFile,
    "--data-dir",
    join(dir, "data"),
  ]);
}, READY_TIMEOUT_MS + 5000);

afterAll(() => stack?.stop(), 30_000);

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
    expect(stack.stderr()).toContain(`tables and queues kept in ${join(dir, "data")}`);
  });
});
