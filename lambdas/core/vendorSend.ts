import { describeBody } from "./errors.js";
import { maskPhone } from "./phone.js";

/**
 * The vendor's send API (docs/vendor.md, "Send API" and "Error texts"): request building and
 * response classification.
 *
 * `POST <base>/api:-GWQv5aM/send` with `Authorization: <prefix><token>` and JSON
 * `{ phone, text, attachment?, filename? }`. Success is `200 {"message":"Message sent successfully"}`;
 * errors are `{"message": "..."}` (e.g. "Message sending failed | Reason: Message limit for this
 * number reached."), older `{"message","details"}`, or `{"error":{"code","message"}}` on newer APIs.
 * The HTTP status of the message-limit error is undocumented (docs/vendor.md, "Unverified"), so
 * errors are also
 * recognised by their text, case-insensitively, whatever the status.
 */

/** How the send API wants the number: "+<digits>" (documented) or bare digits (integrations). */
export type PhoneFormat = "e164" | "digits";

export const PHONE_FORMATS: readonly PhoneFormat[] = ["e164", "digits"];

export interface VendorSendConfig {
  /** e.g. https://api.insightssystem.com (no trailing slash needed). */
  baseUrl: string;
  /** e.g. /api:-GWQv5aM/send */
  sendPath: string;
  /** Put before the token in the Authorization header: "Bearer " or "" (raw key). */
  authPrefix: string;
  phoneFormat: PhoneFormat;
}

/** One message to send; `phone` is digits only (as in ScheduledReply). */
export interface OutgoingMessage {
  phone: string;
  text: string;
  attachment?: string;
  filename?: string;
}

/** Why the vendor refused a message for good. */
type PermanentFailureCode = "message-limit" | "invalid-number" | "rejected";

/** The result of one send attempt. */
export type SendOutcome =
  | { kind: "sent"; status: number }
  /** Try again later: 429, 5xx, 408, network error, timeout, or credentials (401) that may be rotated. */
  | { kind: "retryable"; reason: string; status?: number; retryAfterSeconds?: number }
  /** Never retried: the same request would fail the same way. */
  | { kind: "permanent"; reason: string; status?: number; code: PermanentFailureCode };

/** The number as the send API wants it. */
export function formatPhone(digits: string, format: PhoneFormat): string {
  const bare = digits.replace(/\D/g, "");
  return format === "e164" ? `+${bare}` : bare;
}

/** The HTTP request for one send (the token goes only into the Authorization header). */
export function buildSendRequest(
  config: VendorSendConfig,
  token: string,
  message: OutgoingMessage,
): { url: string; method: "POST"; headers: Record<string, string>; body: string } {
  const base = config.baseUrl.replace(/\/+$/, "");
  const path = config.sendPath.startsWith("/") ? config.sendPath : `/${config.sendPath}`;
  const body: Record<string, string> = {
    phone: formatPhone(message.phone, config.phoneFormat),
    text: message.text,
  };
  if (message.attachment) body.attachment = message.attachment;
  if (message.filename) body.filename = message.filename;
  return {
    url: `${base}${path}`,
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      authorization: `${config.authPrefix}${token}`,
    },
    body: JSON.stringify(body),
  };
}

const MAX_REASON_LENGTH = 200;

/**
 * A vendor error text made fit for logs and the reply item: secrets replaced, digit runs that
 * look like phone numbers masked, control characters dropped, length bounded.
 */
export function sanitizeReason(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join("[redacted]");
  }
  out = out
    .replace(/\+?\d[\d ().-]{5,}\d/g, (run) =>
      run.replace(/\D/g, "").length >= 7 ? maskPhone(run) : run,
    )
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .trim();
  return out.length > MAX_REASON_LENGTH ? `${out.slice(0, MAX_REASON_LENGTH - 1)}…` : out;
}

/**
 * Every human-readable text in a vendor error body, joined; `fallback` when the body has none
 * (not JSON, or no message field).
 */
function vendorErrorText(body: unknown, fallback: string): string {
  if (body === null || typeof body !== "object") return fallback;
  const parts: string[] = [];
  const record = body as Record<string, unknown>;
  for (const key of ["message", "details", "reason", "code"]) {
    if (typeof record[key] === "string") parts.push(record[key] as string);
  }
  const nested = record.error;
  if (typeof nested === "string") parts.push(nested);
  else if (nested && typeof nested === "object") {
    for (const key of ["message", "code", "details"]) {
      const value = (nested as Record<string, unknown>)[key];
      if (typeof value === "string") parts.push(value);
    }
  }
  return parts.length ? parts.join(" | ") : fallback;
}

const RATE_LIMIT = /rate[\s_-]*limit|too many requests|throttl/i;
const MESSAGE_LIMIT = /limit/i;
const INVALID_NUMBER =
  /invalid[\s_-]*(phone|number)|phone[\s_-]*number[^|]*invalid|not registered|not a whatsapp|no whatsapp|not on whatsapp|does not have whatsapp|not.*e\.?164/i;
const FAILED_TEXT = /fail|error/i;

/** A refusal, classified on `text` (the whole answer), its reason from `said` (what may be quoted). */
function rejection(
  status: number | undefined,
  text: string,
  said: string,
  secrets: readonly string[],
): SendOutcome {
  const reason = sanitizeReason(said || `HTTP ${status}`, secrets);
  if (RATE_LIMIT.test(text)) return { kind: "retryable", reason, status };
  if (MESSAGE_LIMIT.test(text)) return { kind: "permanent", reason, status, code: "message-limit" };
  if (INVALID_NUMBER.test(text))
    return { kind: "permanent", reason, status, code: "invalid-number" };
  return { kind: "permanent", reason, status, code: "rejected" };
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date relative to `now`). */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Classifies a vendor HTTP response.
 * @param secrets strings that must never reach the reason (the token).
 */
export function classifySendResponse(
  response: { status: number; body: string; retryAfter?: string | null; now?: number },
  secrets: readonly string[] = [],
): SendOutcome {
  const { status, body: raw } = response;
  let body: unknown = null;
  try {
    body = raw ? JSON.parse(raw) : null;
  } catch {
    body = null;
  }
  // `text` classifies the answer; only the vendor's own message fields are quoted in a reason (a
  // log line, the reply item). A body without them (an HTML error page, a proxy's echo of the
  // request with the number and the reply text) is described by its size and hash instead.
  const text = vendorErrorText(body, raw.slice(0, 1000));
  const said = vendorErrorText(body, raw ? `body ${describeBody(raw)}` : "");
  const http = `HTTP ${status}`;
  if (status === 429 || status === 408 || status >= 500) {
    return {
      kind: "retryable",
      reason: sanitizeReason(`${http}: ${said}`, secrets),
      status,
      retryAfterSeconds: parseRetryAfter(response.retryAfter, response.now ?? 0),
    };
  }
  if (status >= 200 && status < 300) {
    const record = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
    const saysFailed =
      record.success === false ||
      (typeof record.message === "string" && FAILED_TEXT.test(record.message));
    return saysFailed ? rejection(status, text, said, secrets) : { kind: "sent", status };
  }
  if (status === 401) {
    // Our credentials, not the message: the token may be mid-rotation. Retried, then DLQ + alarm.
    return { kind: "retryable", reason: sanitizeReason(`${http}: ${said}`, secrets), status };
  }
  if (status >= 400) return rejection(status, text, `${http}: ${said}`, secrets);
  return {
    kind: "permanent",
    reason: sanitizeReason(`unexpected ${http}`, secrets),
    status,
    code: "rejected",
  };
}

/** Classifies a failed fetch: timeouts and network errors are all worth another attempt. */
export function classifySendError(error: unknown, secrets: readonly string[] = []): SendOutcome {
  const err = error as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (err?.name === "TimeoutError" || err?.name === "AbortError") {
    return { kind: "retryable", reason: "timeout waiting for the vendor" };
  }
  const detail = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(error);
  return { kind: "retryable", reason: sanitizeReason(`network error: ${detail}`, secrets) };
}
