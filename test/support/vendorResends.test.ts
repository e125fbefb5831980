import { describe, expect, it } from "vitest";
import type { SentRecord } from "../../local/vendorSimulator.js";
import { ambiguousFailure, withoutResends } from "./vendorResends.js";

const copy = (text: string, unanswered?: true): SentRecord => ({
  phone: "+14155550100",
  text,
  attachment: null,
  filename: null,
  at: "2026-12-07T00:00:00.000Z",
  ...(unanswered ? { unanswered } : {}),
});
const texts = (records: SentRecord[]) => records.map((r) => r.text);

describe("withoutResends (promise 8a in the tests' counts)", () => {
  it("leaves out a copy that follows an unanswered one", () => {
    expect(texts(withoutResends([copy("a", true), copy("a"), copy("b")]))).toEqual(["a", "b"]);
  });

  it("keeps a second copy when the first was answered and nothing was logged: a double", () => {
    expect(texts(withoutResends([copy("a"), copy("a")]))).toEqual(["a", "a"]);
  });

  it("leaves out as many copies as the sender logged ambiguous failures, no more", () => {
    const records = [copy("a"), copy("a"), copy("a")];
    expect(texts(withoutResends(records, () => 1))).toEqual(["a", "a"]);
  });
});

describe("ambiguousFailure", () => {
  const line = (reason: string) =>
    JSON.stringify({ message: "send failed; retrying with backoff", planId: "p", seq: 2, reason });

  it("names the reply of a timeout or a broken connection", () => {
    expect(ambiguousFailure(line("timeout waiting for the vendor"))).toBe("p#2");
    expect(ambiguousFailure(line("network error: ECONNRESET"))).toBe("p#2");
  });

  it("ignores a failure the vendor answered, and lines of other kinds", () => {
    expect(ambiguousFailure(line("HTTP 503: Service Unavailable"))).toBeUndefined();
    expect(ambiguousFailure("send failed, not JSON")).toBeUndefined();
  });
});
