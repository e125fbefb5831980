import { describe, expect, it } from "vitest";
import {
  labelList,
  optionalBoolean,
  optionalEpochMs,
  optionalObject,
  optionalText,
  requiredPhone,
} from "../../../lambdas/core/coerce.js";
import { PayloadError } from "../../../lambdas/core/errors.js";

const noRecovery = () => null;

describe("optionalEpochMs", () => {
  it.each([
    [1749506891, 1749506891000],
    [1749506891.25, 1749506891250],
    [999_999_999_999, 999_999_999_999_000],
    [1_000_000_000_000, 1_000_000_000_000],
    [1749506891123, 1749506891123],
    ["1749506891", 1749506891000],
    [" 1749506891123 ", 1749506891123],
    ["2025-06-09T22:08:11.990Z", Date.parse("2025-06-09T22:08:11.990Z")],
  ])("reads %j as %d ms", (input, expected) => {
    expect(optionalEpochMs(input, "t")).toBe(expected);
  });

  it.each([undefined, null, 0, "0", "", "  "])("treats %j as absent", (input) => {
    expect(optionalEpochMs(input, "t")).toBeNull();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, "12abc", "2025-13-45", {}, [], true, 1e17])(
    "refuses %j naming the field",
    (input) => {
      expect(() => optionalEpochMs(input, "user_last_message_time")).toThrow(
        expect.objectContaining({ field: "user_last_message_time" }),
      );
    },
  );
});

describe("requiredPhone", () => {
  it("keeps digits of a safe integer", () => {
    expect(requiredPhone(14155552671, "phone_number", noRecovery)).toBe("14155552671");
  });

  it("asks for the raw literal when the number is beyond 2^53", () => {
    const seen: number[] = [];
    const digits = requiredPhone(2 ** 60, "phone_number", (lossy) => {
      seen.push(lossy);
      return "1152921504606846976";
    });
    expect(seen).toEqual([2 ** 60]);
    expect(digits).toBe("1152921504606846976");
  });

  it("refuses a big number whose literal cannot be recovered", () => {
    expect(() => requiredPhone(2 ** 60, "phone_number", noRecovery)).toThrow(PayloadError);
  });

  it("refuses more than 20 digits", () => {
    expect(() => requiredPhone("1".repeat(21), "phone_number", noRecovery)).toThrow(/5 to 20/);
  });

  it("refuses a + in the middle", () => {
    expect(() => requiredPhone("1415+5552671", "phone_number", noRecovery)).toThrow(PayloadError);
  });
});

describe("optionalText", () => {
  it("turns a finite number into its text and refuses booleans", () => {
    expect(optionalText(42, "f")).toBe("42");
    expect(() => optionalText(true, "f")).toThrow(PayloadError);
  });
});

describe("optionalBoolean", () => {
  it.each([
    ["TRUE", true],
    [" false ", false],
    ["1", true],
    [0, false],
  ])("reads %j as %s", (input, expected) => {
    expect(optionalBoolean(input, "b")).toBe(expected);
  });

  it("refuses other numbers", () => {
    expect(() => optionalBoolean(2, "b")).toThrow(PayloadError);
  });
});

describe("labelList", () => {
  it("splits a comma string and trims", () => {
    expect(labelList("sales, premium-inquiry ,", "labels")).toEqual(["sales", "premium-inquiry"]);
  });

  it("reads a JSON array encoded in a string", () => {
    expect(labelList('["a","b, c"]', "labels")).toEqual(["a", "b, c"]);
  });

  it("treats an empty string as no labels", () => {
    expect(labelList("", "labels")).toEqual([]);
  });
});

describe("optionalObject", () => {
  it("refuses an array and a JSON string holding an array", () => {
    expect(() => optionalObject([], "referral")).toThrow(PayloadError);
    expect(() => optionalObject("[1]", "referral")).toThrow(PayloadError);
  });
});
