import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { isSqliteExperimentalWarning } from "../../local/services/sqliteWarning.js";

/** The one warning the local services drop (local/services/sqliteWarning.ts), and only that one. */

const SQLITE = "SQLite is an experimental feature and might change at any time";

describe("the SQLite warning filter", () => {
  it("recognises Node's SQLite experimental-feature warning in each form emitWarning takes", () => {
    expect(isSqliteExperimentalWarning(SQLITE, "ExperimentalWarning")).toBe(true);
    expect(isSqliteExperimentalWarning(SQLITE, { type: "ExperimentalWarning" })).toBe(true);
    const error = Object.assign(new Error(SQLITE), { name: "ExperimentalWarning" });
    expect(isSqliteExperimentalWarning(error)).toBe(true);
  });

  it("leaves other experimental features and other warning types alone", () => {
    expect(
      isSqliteExperimentalWarning("VM Modules is an experimental feature", "ExperimentalWarning"),
    ).toBe(false);
    expect(isSqliteExperimentalWarning(SQLITE, "DeprecationWarning")).toBe(false);
    expect(isSqliteExperimentalWarning(SQLITE)).toBe(false);
  });

  it("drops the SQLite warning and still emits every other one", async () => {
    const seen: string[] = [];
    const onWarning = (warning: Error) => seen.push(warning.message);
    process.on("warning", onWarning);
    try {
      process.emitWarning(SQLITE, "ExperimentalWarning");
      process.emitWarning("another feature is experimental", "ExperimentalWarning");
      await once(process, "warning");
    } finally {
      process.off("warning", onWarning);
    }
    expect(seen).toEqual(["another feature is experimental"]);
  });
});
