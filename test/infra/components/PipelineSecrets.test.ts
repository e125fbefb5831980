import { describe, expect, it } from "vitest";
import { writeOnlyVersion } from "../../../infra/components/PipelineSecrets.js";

describe("PipelineSecrets' write-only version", () => {
  it("changes when the value changes, so the provider writes the new value", () => {
    expect(writeOnlyVersion("token-a")).not.toBe(writeOnlyVersion("token-b"));
  });

  it("stays the same for the same value, so an unchanged token writes no version", () => {
    expect(writeOnlyVersion("token-a")).toBe(writeOnlyVersion("token-a"));
  });

  it("is an integer the provider's number input holds exactly", () => {
    const version = writeOnlyVersion("whsec_c2VjcmV0");
    expect(Number.isSafeInteger(version)).toBe(true);
    expect(version).toBeGreaterThanOrEqual(0);
  });
});
