import { describe, expect, it } from "vitest";
import { SigningSecretError } from "../../../lambdas/core/errors.js";
import { parseSigningSecrets } from "../../../lambdas/core/signingSecrets.js";

describe("parseSigningSecrets", () => {
  it("reads a plain string as the only secret, trimmed", () => {
    expect(parseSigningSecrets("s3cret\n")).toEqual(["s3cret"]);
  });

  it("reads a document with current and previous secrets, current first", () => {
    expect(
      parseSigningSecrets(JSON.stringify({ current: "new", previous: ["old", "older"] })),
    ).toEqual(["new", "old", "older"]);
  });

  it("accepts a single previous secret given as a string and drops duplicates", () => {
    expect(parseSigningSecrets(JSON.stringify({ current: "a", previous: "a" }))).toEqual(["a"]);
  });

  it("reads a string that only looks like JSON as a plain secret", () => {
    expect(parseSigningSecrets("{not json")).toEqual(["{not json"]);
  });

  it("refuses a document without current, without quoting it", () => {
    const value = JSON.stringify({ previous: ["leaked-value"] });
    expect(() => parseSigningSecrets(value)).toThrow(SigningSecretError);
    try {
      parseSigningSecrets(value);
    } catch (error) {
      expect(String(error)).not.toContain("leaked-value");
    }
  });

  it("refuses non-string previous secrets and an empty secret", () => {
    expect(() => parseSigningSecrets(JSON.stringify({ current: "a", previous: [1] }))).toThrow(
      SigningSecretError,
    );
    expect(() => parseSigningSecrets("  ")).toThrow(SigningSecretError);
  });
});
