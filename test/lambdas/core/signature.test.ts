import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SigningSecretError } from "../../../lambdas/core/errors.js";
import {
  parseSigningSecrets,
  type SignatureScheme,
  verifySignature,
} from "../../../lambdas/core/signature.js";

const secret = randomBytes(128).toString("base64url");
const previous = "previous-secret";
const body = Buffer.from('{"phone_number":"14155552671","last_message_of_user":"hi"}');

const hmac = (algorithm: "sha256" | "sha512", key = secret, data: Uint8Array = body) =>
  createHmac(algorithm, key).update(data).digest();

function verify(scheme: SignatureScheme, header: string | undefined, secrets = [secret]) {
  return verifySignature({ scheme, header, body, secrets });
}

describe("verifySignature", () => {
  describe("auto", () => {
    it.each([
      ["the secret itself", () => secret],
      ["hex HMAC-SHA256", () => hmac("sha256").toString("hex")],
      ["upper-case hex HMAC-SHA256", () => hmac("sha256").toString("hex").toUpperCase()],
      ["base64 HMAC-SHA256", () => hmac("sha256").toString("base64")],
      ["unpadded base64 HMAC-SHA256", () => hmac("sha256").toString("base64").replace(/=+$/, "")],
      ["base64url HMAC-SHA256", () => hmac("sha256").toString("base64url")],
      ["sha256=hex", () => `sha256=${hmac("sha256").toString("hex")}`],
      ["SHA256= hex with a space", () => `SHA256= ${hmac("sha256").toString("hex")}`],
      ["hex HMAC-SHA512", () => hmac("sha512").toString("hex")],
      ["base64 HMAC-SHA512", () => hmac("sha512").toString("base64")],
      ["base64url HMAC-SHA512", () => hmac("sha512").toString("base64url")],
      ["sha512=base64", () => `sha512=${hmac("sha512").toString("base64")}`],
      ["a value with surrounding whitespace", () => `  ${hmac("sha256").toString("hex")}\n`],
      ["a repeated header joined with a comma", () => `garbage, ${hmac("sha256").toString("hex")}`],
    ])("accepts %s", (_name, header) => {
      expect(verify("auto", header())).toMatchObject({ valid: true, secretIndex: 0 });
    });

    it("reports which method matched", () => {
      expect(verify("auto", secret)).toMatchObject({ method: "secret" });
      expect(verify("auto", hmac("sha512").toString("hex"))).toMatchObject({
        method: "hmac-sha512",
      });
    });

    it.each([
      ["an HMAC keyed with another secret", () => hmac("sha256", "other").toString("hex")],
      ["an HMAC of another body", () => hmac("sha256", secret, Buffer.from("{}")).toString("hex")],
      ["a truncated hex HMAC", () => hmac("sha256").toString("hex").slice(0, 63)],
      ["a truncated secret", () => secret.slice(0, -1)],
      ["the secret with a prefix", () => `sha256=${secret}`],
      ["a sha512= prefix on a SHA-256 HMAC", () => `sha512=${hmac("sha256").toString("hex")}`],
      ["garbage", () => "not-a-signature"],
      ["non-ASCII garbage", () => "ü€𝄞"],
    ])("refuses %s as a mismatch", (_name, header) => {
      expect(verify("auto", header())).toEqual({ valid: false, reason: "mismatch" });
    });

    it("refuses a signature of a whitespace-altered body (raw bytes are signed)", () => {
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
      const header = hmac("sha256", secret, reserialised).toString("hex");
      expect(verify("auto", header)).toEqual({ valid: false, reason: "mismatch" });
    });

    it.each([undefined, "", "   "])("reports a missing header for %j", (header) => {
      expect(verify("auto", header)).toEqual({ valid: false, reason: "missing" });
    });

    it("reports an oversized header as malformed", () => {
      expect(verify("auto", "a".repeat(1025))).toEqual({ valid: false, reason: "malformed" });
    });

    it("reports no live secrets", () => {
      expect(verify("auto", "x", [])).toEqual({ valid: false, reason: "no_secrets" });
    });
  });

  describe("rotation", () => {
    it("accepts a signature made with a previous secret", () => {
      const header = hmac("sha256", previous).toString("hex");
      expect(verify("auto", header, [secret, previous])).toMatchObject({
        valid: true,
        secretIndex: 1,
      });
    });

    it("refuses the previous secret once it is no longer live", () => {
      expect(verify("auto", previous, [secret])).toEqual({ valid: false, reason: "mismatch" });
    });
  });

  describe("fixed schemes", () => {
    it("secret accepts only the secret", () => {
      expect(verify("secret", secret)).toMatchObject({ valid: true, method: "secret" });
      expect(verify("secret", hmac("sha256").toString("hex"))).toMatchObject({ valid: false });
    });

    it("secret accepts a secret that contains commas", () => {
      expect(verify("secret", "a,b,c,d,e,f", ["a,b,c,d,e,f"])).toMatchObject({ valid: true });
    });

    it("hmac-sha256 accepts only SHA-256 HMACs", () => {
      expect(verify("hmac-sha256", hmac("sha256").toString("base64"))).toMatchObject({
        valid: true,
      });
      expect(verify("hmac-sha256", secret)).toMatchObject({ valid: false });
      expect(verify("hmac-sha256", hmac("sha512").toString("hex"))).toMatchObject({
        valid: false,
      });
    });

    it("hmac-sha512 accepts only SHA-512 HMACs", () => {
      expect(verify("hmac-sha512", hmac("sha512").toString("base64url"))).toMatchObject({
        valid: true,
      });
      expect(verify("hmac-sha512", hmac("sha256").toString("hex"))).toMatchObject({
        valid: false,
      });
    });

    it("off accepts anything, even without a header or secrets", () => {
      expect(verify("off", undefined, [])).toMatchObject({ valid: true, method: "off" });
    });
  });
});

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
