import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { SigningSecretDocument } from "../contract.js";
import { SigningSecretError } from "./errors.js";
import { isPlainObject, tryParseJson } from "./parseWebhook.js";

/**
 * Webhook signature verification (SIGNATURE_SCHEME in docs/operations.md, "Configuration
 * reference"). The vendor documents neither the algorithm nor the encoding (docs/vendor.md,
 * "Unverified"): its example header looks like the
 * secret itself, older docs said hex HMAC-SHA256 of the raw body. So the scheme is configurable:
 *
 * - `secret`: the header equals one of the live secrets.
 * - `hmac-sha256` / `hmac-sha512`: the header is the HMAC of the raw body bytes, keyed with the
 *   secret's UTF-8 bytes, in hex (any case), base64 or base64url (padding optional), optionally
 *   prefixed "sha256=" / "sha512=" (a prefix naming the other algorithm never matches).
 * - `auto`: any of the above.
 * - `off`: no check; only when a stack's configuration says so explicitly.
 *
 * Every comparison hashes both sides with SHA-256 and compares the digests with
 * crypto.timingSafeEqual, so neither content nor length leaks through timing. Headers are
 * trimmed; API Gateway joins repeated headers with ",", so each comma-separated part is tried
 * as well as the whole value.
 */

export const SIGNATURE_SCHEMES = ["auto", "secret", "hmac-sha256", "hmac-sha512", "off"] as const;

export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** Why a signature was refused (logged; the caller always gets the same 401). */
export type SignatureFailure = "missing" | "malformed" | "mismatch" | "no_secrets";

export type SignatureVerdict =
  | { valid: true; method: "off" | "secret" | HmacAlgorithm; secretIndex: number }
  | { valid: false; reason: SignatureFailure };

export interface SignatureCheck {
  scheme: SignatureScheme;
  /** The X-Webhook-Signature header value, undefined when absent. */
  header: string | undefined;
  /** The raw body bytes as received (base64 already decoded), never a re-serialised body. */
  body: Uint8Array;
  /** Live secrets, current first (see parseSigningSecrets). */
  secrets: readonly string[];
}

type HmacAlgorithm = "hmac-sha256" | "hmac-sha512";

/** Longest header considered (a base64 HMAC-SHA512 is 88 chars, the vendor's example 171). */
const MAX_HEADER_LENGTH = 1024;
/** Most comma-separated values considered, so a forged header cannot multiply the work. */
const MAX_HEADER_PARTS = 4;

const HASH_OF_ALGORITHM: Record<HmacAlgorithm, "sha256" | "sha512"> = {
  "hmac-sha256": "sha256",
  "hmac-sha512": "sha512",
};

export function verifySignature(check: SignatureCheck): SignatureVerdict {
  const { scheme, header, body, secrets } = check;
  if (scheme === "off") return { valid: true, method: "off", secretIndex: -1 };
  const trimmed = header?.trim() ?? "";
  if (trimmed === "") return { valid: false, reason: "missing" };
  if (trimmed.length > MAX_HEADER_LENGTH) return { valid: false, reason: "malformed" };
  if (secrets.length === 0) return { valid: false, reason: "no_secrets" };
  const parts = candidateValues(trimmed);

  const algorithms: HmacAlgorithm[] =
    scheme === "auto" ? ["hmac-sha256", "hmac-sha512"] : scheme === "secret" ? [] : [scheme];
  for (const [secretIndex, secret] of secrets.entries()) {
    if (scheme === "auto" || scheme === "secret") {
      if (parts.some((part) => constantTimeEqual(part, secret))) {
        return { valid: true, method: "secret", secretIndex };
      }
    }
    for (const algorithm of algorithms) {
      if (parts.some((part) => matchesHmac(part, algorithm, secret, body))) {
        return { valid: true, method: algorithm, secretIndex };
      }
    }
  }
  return { valid: false, reason: "mismatch" };
}

/**
 * The whole header, plus its comma-separated parts when there are a few (API Gateway joins a
 * repeated header with ","; a secret may itself contain commas, so the whole value is tried too).
 */
function candidateValues(header: string): string[] {
  const parts = header
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  return parts.length > 1 && parts.length <= MAX_HEADER_PARTS ? [header, ...parts] : [header];
}

function matchesHmac(
  part: string,
  algorithm: HmacAlgorithm,
  secret: string,
  body: Uint8Array,
): boolean {
  const hash = HASH_OF_ALGORITHM[algorithm];
  const prefixed = /^(sha256|sha512)=\s*(.*)$/i.exec(part);
  if (prefixed && prefixed[1]?.toLowerCase() !== hash) return false;
  const value = prefixed ? (prefixed[2] ?? "") : part;
  const digest = createHmac(hash, secret).update(body).digest();
  const unpadded = value.replace(/=+$/, "");
  // Evaluate every encoding (no short-circuit) so timing does not say which one was tried last.
  const hex = constantTimeEqual(value.toLowerCase(), digest.toString("hex"));
  const base64 = constantTimeEqual(unpadded, digest.toString("base64").replace(/=+$/, ""));
  const base64url = constantTimeEqual(unpadded, digest.toString("base64url"));
  return hex || base64 || base64url;
}

/** Compares SHA-256 digests of both strings in constant time (equal length by construction). */
function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

// ── Signing (what the vendor does; for test deliveries: the demo, tests, `ops trigger`) ─────────

/**
 * The X-Webhook-Signature value a receiver accepts for `body` under `scheme`: the secret itself
 * for "secret", a hex HMAC-SHA512 for "hmac-sha512", a hex HMAC-SHA256 otherwise ("auto" and
 * "off" accept it too). The one signer: every test delivery is signed here, next to the check.
 */
export function signatureFor(body: string, secret: string, scheme: string): string {
  if (scheme === "secret") return secret;
  const hash = scheme === "hmac-sha512" ? "sha512" : "sha256";
  return createHmac(hash, secret).update(body, "utf8").digest("hex");
}

// ── The stored signing secret(s) ────────────────────────────────────────────────────────────────

/**
 * Reads the stored signing secret into the list of live secrets, current first.
 *
 * The SecretString is either a SigningSecretDocument (`{"current": "...", "previous": [...]}`,
 * several live during a rotation) or a plain string, read as the only current secret. Plain
 * strings are trimmed (a trailing newline from a CLI paste would otherwise never match a
 * trimmed header). Errors never quote the value.
 */
export function parseSigningSecrets(secretString: string): string[] {
  const trimmed = secretString.trim();
  const parsed = trimmed.startsWith("{") ? tryParseJson(trimmed) : undefined;
  if (!isPlainObject(parsed)) {
    if (trimmed === "") throw new SigningSecretError("the signing secret is empty");
    return [trimmed];
  }
  const document = parsed as Partial<SigningSecretDocument> & Record<string, unknown>;
  if (typeof document.current !== "string" || document.current === "") {
    throw new SigningSecretError('the signing secret document needs a non-empty "current" string');
  }
  const previous = document.previous ?? [];
  const previousList: unknown[] = Array.isArray(previous) ? previous : [previous];
  if (!previousList.every((secret) => typeof secret === "string")) {
    throw new SigningSecretError('"previous" in the signing secret document must be strings');
  }
  const live = [document.current, ...(previousList as string[])].filter((secret) => secret !== "");
  return [...new Set(live)];
}
