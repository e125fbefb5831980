import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { PayloadError } from "../../../lambdas/core/errors.js";
import {
  announcesTooLarge,
  headerValue,
  matchRoute,
  rawBody,
  responseFor,
} from "../../../lambdas/functions/receiver.js";

function event(
  overrides: Partial<APIGatewayProxyEventV2> & { method?: string; stage?: string } = {},
) {
  const { method = "POST", stage = "$default", ...rest } = overrides;
  return {
    routeKey: "$default",
    rawPath: "/webhooks/whatsapp",
    headers: {},
    requestContext: { http: { method, path: rest.rawPath ?? "/webhooks/whatsapp" }, stage },
    isBase64Encoded: false,
    ...rest,
  } as unknown as APIGatewayProxyEventV2;
}

describe("matchRoute", () => {
  it.each([
    [{}, "ok"],
    [{ rawPath: "/webhooks/whatsapp/" }, "ok"],
    [{ rawPath: "/prod/webhooks/whatsapp", stage: "prod" }, "ok"],
    // A function URL (and the $default stage) has no stage prefix: any other path is refused.
    [{ rawPath: "/prod/webhooks/whatsapp" }, "not_found"],
    [{ rawPath: "/other/webhooks/whatsapp", stage: "prod" }, "not_found"],
    [{ rawPath: "/a/b/webhooks/whatsapp" }, "not_found"],
    [{ rawPath: "/" }, "not_found"],
    [{ rawPath: "/webhooks/whatsapp2" }, "not_found"],
    [{ method: "GET" }, "method_not_allowed"],
    [{ method: "post" }, "ok"],
    [{ routeKey: "POST /webhooks/whatsapp", rawPath: "/stage/x/webhooks/whatsapp" }, "ok"],
  ] as const)("answers %j with %s", (overrides, expected) => {
    expect(matchRoute(event(overrides))).toBe(expected);
  });
});

describe("headerValue", () => {
  it("matches names case-insensitively", () => {
    expect(headerValue({ "X-Webhook-Signature": "s" }, "x-webhook-signature")).toBe("s");
    expect(headerValue(undefined, "x")).toBeUndefined();
  });
});

describe("rawBody", () => {
  it("decodes a base64 body to its bytes", () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7b]);
    const body = rawBody(event({ body: bytes.toString("base64"), isBase64Encoded: true }), 10);
    expect(body).toEqual(bytes);
  });

  it("measures UTF-8 bytes, not characters", () => {
    expect(rawBody(event({ body: "ééé" }), 5)).toBe("too_large");
    expect(rawBody(event({ body: "ééé" }), 6)).toEqual(Buffer.from("ééé"));
  });

  it("refuses an oversized base64 body at the exact decoded limit", () => {
    const encoded = Buffer.alloc(11).toString("base64");
    expect(rawBody(event({ body: encoded, isBase64Encoded: true }), 10)).toBe("too_large");
    expect(rawBody(event({ body: encoded, isBase64Encoded: true }), 11)).toHaveLength(11);
  });

  it("reads a missing body as empty", () => {
    expect(rawBody(event({ body: undefined }), 10)).toEqual(Buffer.alloc(0));
  });
});

describe("announcesTooLarge", () => {
  it("trusts only a numeric Content-Length", () => {
    expect(announcesTooLarge(event({ headers: { "content-length": "11" } }), 10)).toBe(true);
    expect(announcesTooLarge(event({ headers: { "content-length": "10" } }), 10)).toBe(false);
    expect(announcesTooLarge(event({ headers: { "content-length": "lots" } }), 10)).toBe(false);
  });
});

describe("responseFor", () => {
  it("names the field in a 400", () => {
    const response = responseFor({
      outcome: "invalid",
      error: new PayloadError("phone_number", "phone_number is required"),
    });
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(String(response.body))).toEqual({
      error: "invalid_payload",
      field: "phone_number",
      message: "phone_number is required",
    });
  });

  it("answers 503 with Retry-After for a failed dependency", () => {
    const response = responseFor({
      outcome: "unavailable",
      dependency: "queue",
      error: new Error("x"),
      retryAfterSeconds: 5,
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers?.["retry-after"]).toBe("5");
  });

  it("gives every signature failure the same 401 body", () => {
    const missing = responseFor({ outcome: "unauthorized", reason: "missing" });
    const mismatch = responseFor({ outcome: "unauthorized", reason: "mismatch" });
    expect(missing).toEqual(mismatch);
    expect(missing.statusCode).toBe(401);
  });
});
