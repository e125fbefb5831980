import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { WEBHOOK_ROUTE } from "../contract.js";
import type { PayloadError } from "../core/errors.js";
import type { ReceiveOutcome } from "../core/receiveWebhook.js";

/**
 * HTTP for the receiver (API Gateway HTTP API, payload format 2.0): the only place that knows
 * status codes and response bodies (README.md, "The local stack", lists them).
 */

export type HttpResponse = APIGatewayProxyStructuredResultV2;

function json(
  statusCode: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

export const respond = {
  accepted: () => json(200, { status: "accepted" }),
  duplicate: () => json(200, { status: "duplicate" }),
  /** 400 naming the field: {"error":"invalid_payload"|"malformed_json","field","message"}. */
  invalid: (error: PayloadError) =>
    json(400, { error: error.code, field: error.field, message: error.message }),
  /** The same body for every signature failure; the reason is only logged. */
  unauthorized: () =>
    json(401, { error: "unauthorized", message: "missing or invalid webhook signature" }),
  notFound: () => json(404, { error: "not_found", message: "no such route" }),
  methodNotAllowed: () =>
    json(
      405,
      { error: "method_not_allowed", message: `use ${WEBHOOK_ROUTE.method}` },
      { allow: WEBHOOK_ROUTE.method },
    ),
  payloadTooLarge: (limitBytes: number) =>
    json(413, {
      error: "payload_too_large",
      message: `the body exceeds ${limitBytes} bytes`,
      limitBytes,
    }),
  /** A dependency failed or an identical delivery is in flight: the vendor should retry. */
  unavailable: (retryAfterSeconds: number) =>
    json(
      503,
      { error: "unavailable", message: "temporarily unable to accept the webhook; retry later" },
      { "retry-after": String(retryAfterSeconds) },
    ),
  /** A bug: never expected, never the caller's fault. */
  internalError: () => json(500, { error: "internal_error", message: "unexpected error" }),
};

/** The HTTP answer for a use-case outcome. */
export function responseFor(outcome: ReceiveOutcome): HttpResponse {
  switch (outcome.outcome) {
    case "accepted":
      return respond.accepted();
    case "duplicate":
      return respond.duplicate();
    case "invalid":
      return respond.invalid(outcome.error);
    case "unauthorized":
      return respond.unauthorized();
    case "busy":
    case "unavailable":
      return respond.unavailable(outcome.retryAfterSeconds);
  }
}

/**
 * Whether the event is the webhook route. API Gateway routes before the Lambda runs; this is the
 * defensive second check (a `$default` route or a local adapter may send anything). A stage name
 * may prefix the path ("/prod/webhooks/whatsapp").
 */
export function matchRoute(
  event: APIGatewayProxyEventV2,
): "ok" | "not_found" | "method_not_allowed" {
  const method = (event.requestContext?.http?.method ?? "").toUpperCase();
  const path = (event.rawPath ?? event.requestContext?.http?.path ?? "").replace(/\/+$/, "");
  const routeKeyMatches = event.routeKey?.endsWith(` ${WEBHOOK_ROUTE.path}`) ?? false;
  const pathMatches = new RegExp(`^(/[^/]+)?${escapeRegExp(WEBHOOK_ROUTE.path)}$`).test(path);
  if (!routeKeyMatches && !pathMatches) return "not_found";
  return method === WEBHOOK_ROUTE.method ? "ok" : "method_not_allowed";
}

/** A header's value, matched case-insensitively (payload 2.0 lower-cases names; adapters may not). */
export function headerValue(
  headers: Record<string, string | undefined> | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  const exact = headers[wanted];
  if (exact !== undefined) return exact;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * The raw request body bytes, base64-decoded when API Gateway encoded it (any content type other
 * than JSON/text). Returns "too_large" without decoding when the body cannot fit maxBytes.
 */
export function rawBody(event: APIGatewayProxyEventV2, maxBytes: number): Buffer | "too_large" {
  const body = event.body ?? "";
  if (event.isBase64Encoded) {
    // Decoded base64 is at most 3/4 of its length: refuse giant strings before decoding them.
    if (Math.floor((body.length * 3) / 4) > maxBytes + 2) return "too_large";
    const bytes = Buffer.from(body, "base64");
    return bytes.length > maxBytes ? "too_large" : bytes;
  }
  // A UTF-8 string has at least as many bytes as UTF-16 code units.
  if (body.length > maxBytes) return "too_large";
  const bytes = Buffer.from(body, "utf8");
  return bytes.length > maxBytes ? "too_large" : bytes;
}

/** True when a Content-Length header announces more than maxBytes (early 413). */
export function announcesTooLarge(event: APIGatewayProxyEventV2, maxBytes: number): boolean {
  const length = headerValue(event.headers, "content-length");
  if (length === undefined || !/^\s*\d+\s*$/.test(length)) return false;
  return Number(length) > maxBytes;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
