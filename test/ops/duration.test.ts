import { describe, expect, it } from "vitest";
import { formatDuration, formatRelative, parseDuration } from "../../ops/duration.js";
import { UsageError } from "../../ops/errors.js";

describe("durations", () => {
  it.each([
    ["90s", 90_000],
    ["15m", 900_000],
    ["24h", 86_400_000],
    ["7d", 604_800_000],
  ])("reads %s", (raw, ms) => {
    expect(parseDuration("since", raw)).toBe(ms);
  });

  it.each(["", "0m", "1.5h", "h", "10 minutes", "-5m", "5w"])(
    "refuses %j naming the option",
    (raw) => {
      expect(() => parseDuration("since", raw)).toThrow(UsageError);
      expect(() => parseDuration("since", raw)).toThrow(/^--since must be a positive duration/);
    },
  );

  it.each([
    [0, "0s"],
    [59_400, "59s"],
    [125_000, "2m"],
    [3_600_000, "1h"],
    [3_900_000, "1h 05m"],
    [86_400_000 * 2 + 3_600_000 * 4, "2d 4h"],
    [86_400_000, "1d"],
  ])("shows %i ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("says how long ago, or how long until, relative to now", () => {
    expect(formatRelative(1_000_000 - 180_000, 1_000_000)).toBe("3m ago");
    expect(formatRelative(1_000_000 + 7_500_000, 1_000_000)).toBe("in 2h 05m");
    expect(formatRelative(1_000_000 + 400, 1_000_000)).toBe("just now");
  });
});
