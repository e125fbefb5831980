import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The soak (test/reliability/soak.ts) for a few seconds in every `npm test`: the conversation mix,
 * the HTTP policy's slow, failing and invalid answers, and a SIGKILL of the whole stack mid-load
 * with a restart on its data directory. Its verdicts are counts of what reached the vendor against
 * what was sent, so a slow machine makes it take longer, never fail.
 */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "soak-test-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the soak, briefly", () => {
  it("loses, doubles and wrongly sends nothing across a SIGKILL of the whole stack, and answers people", async () => {
    const json = join(dir, "soak.json");
    const child = spawn(
      join(REPO_ROOT, "node_modules/.bin/tsx"),
      ["test/reliability/soak.ts", "--seconds", "25", "--kill-at", "0.4", "--json", json],
      { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    const [code] = (await once(child, "exit")) as [number | null];
    const result = JSON.parse(readFileSync(json, "utf8"));
    expect(
      {
        lost: result.lost,
        doubled: result.doubled,
        wronglySent: result.wronglySent,
        outOfOrder: result.outOfOrder,
        errors: result.errors,
      },
      `${stderr}\n${JSON.stringify(result.samples)}`,
    ).toEqual({ lost: 0, doubled: 0, wronglySent: 0, outOfOrder: 0, errors: 0 });
    expect(result.killed).not.toBeNull();
    expect(result.repliesExpected).toBeGreaterThan(0);
    expect(result.contactsAnswered).toBeGreaterThan(0);
    expect(code).toBe(0);
  }, 600_000);
});
