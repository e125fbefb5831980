import { describe, expect, it } from "vitest";
import { ENV } from "../../../lambdas/contract.js";
import { ConfigurationError } from "../../../lambdas/core/errors.js";
import { intEnv, oneOfEnv, optionalEnv, requireEnv } from "../../../lambdas/runtime/lambda.js";

describe("requireEnv", () => {
  it("returns a set variable", () => {
    expect(requireEnv(ENV.jobsQueueUrl, { [ENV.jobsQueueUrl]: "q" })).toBe("q");
  });

  it.each([undefined, "", "   "])("fails naming the variable when it is %j", (value) => {
    expect(() => requireEnv(ENV.jobsQueueUrl, { [ENV.jobsQueueUrl]: value })).toThrow(
      new ConfigurationError("environment variable JOBS_QUEUE_URL is required"),
    );
  });
});

describe("optionalEnv", () => {
  it("falls back when unset or empty", () => {
    expect(optionalEnv(ENV.vendorSendPath, "/send", {})).toBe("/send");
    expect(optionalEnv(ENV.vendorSendPath, "/send", { [ENV.vendorSendPath]: "" })).toBe("/send");
    expect(optionalEnv(ENV.vendorSendPath, "/send", { [ENV.vendorSendPath]: "/x" })).toBe("/x");
  });
});

describe("oneOfEnv", () => {
  const formats = ["e164", "digits"] as const;

  it("accepts an allowed value whatever its case and spacing", () => {
    expect(
      oneOfEnv(ENV.vendorPhoneFormat, formats, "e164", { [ENV.vendorPhoneFormat]: " DIGITS " }),
    ).toBe("digits");
  });

  it("falls back when unset", () => {
    expect(oneOfEnv(ENV.vendorPhoneFormat, formats, "e164", {})).toBe("e164");
  });

  it("fails naming the variable and the allowed values", () => {
    expect(() =>
      oneOfEnv(ENV.vendorPhoneFormat, formats, "e164", { [ENV.vendorPhoneFormat]: "local" }),
    ).toThrow('environment variable VENDOR_PHONE_FORMAT must be one of e164, digits, got "local"');
  });
});

describe("intEnv", () => {
  it("reads a whole number within range, or the fallback when unset", () => {
    expect(intEnv(ENV.maxBodyBytes, 10, { min: 1, max: 100 }, { [ENV.maxBodyBytes]: "42" })).toBe(
      42,
    );
    expect(intEnv(ENV.maxBodyBytes, 10, { min: 1, max: 100 }, {})).toBe(10);
  });

  it.each(["1.5", "abc", "0", "101"])("fails naming the variable for %j", (raw) => {
    expect(() =>
      intEnv(ENV.maxBodyBytes, 10, { min: 1, max: 100 }, { [ENV.maxBodyBytes]: raw }),
    ).toThrow(/environment variable MAX_BODY_BYTES must be a whole number in \[1, 100\]/);
  });
});
