/**
 * Errors the receiver's core raises. Messages name fields and reasons only: never a secret,
 * a signature header value or a full phone number.
 */

/** Why a request body was refused: "malformed_json" (not JSON at all) or "invalid_payload". */
export type PayloadErrorCode = "malformed_json" | "invalid_payload";

/** The body is not a usable webhook; `field` names the offending field (dotted path, "body" for the whole). */
export class PayloadError extends Error {
  override name = "PayloadError";

  constructor(
    readonly field: string,
    message: string,
    readonly code: PayloadErrorCode = "invalid_payload",
  ) {
    super(message);
  }
}

/** The signing-secret document in Secrets Manager is unusable (a deployment fault, not the caller's). */
export class SigningSecretError extends Error {
  override name = "SigningSecretError";
}
