import { describe, expect, it } from "vitest";
import { parseDuration } from "../../ops/duration.js";
import { UsageError } from "../../ops/errors.js";
import { MAX_OUTPUTS_BYTES } from "../../ops/outputs.js";
import { runCli } from "./support/runCli.js";

/**
 * Hostile command lines: what an operator sees for a value the CLI cannot take. Every case is
 * refused before any stack is read (usage errors exit 2) or while reading it (exit 1), with a
 * message naming the option or the file.
 */

const PHONE = "+447400123456";

describe("ops argument handling", () => {
  it("reports a negative duration as an invalid duration, not as a missing value", async () => {
    const run = await runCli(["pause", PHONE, "--for", "-5h", "--outputs", "unused.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--for must be a positive duration like 90s.*got "-5h"/);
    expect(run.stderr).not.toMatch(/needs a value/);
  });

  it("refuses a pause beyond the vendor's 60-day window instead of pausing for centuries", async () => {
    const run = await runCli(["pause", PHONE, "--for", "99999d", "--outputs", "unused.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--for must be at most 60d \(the vendor's 60-day window\), got "99999d"/,
    );
  });

  it("still takes a pause of exactly 60 days", () => {
    expect(parseDuration("for", "60d", { ms: 60 * 86_400_000, why: "w" })).toBe(60 * 86_400_000);
    expect(() => parseDuration("for", "1441h", { ms: 60 * 86_400_000, why: "w" })).toThrow(
      UsageError,
    );
  });

  it("still says a value is missing when it is", async () => {
    const run = await runCli(["pause", PHONE, "--outputs"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--outputs needs a value/);
  });

  it("refuses an outputs 'file' that never ends, after reading at most the cap", async () => {
    const run = await runCli(["dlq", "--outputs", "/dev/zero"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`outputs file /dev/zero is larger than ${MAX_OUTPUTS_BYTES / 1024 / 1024} MiB`),
    );
  });
});
