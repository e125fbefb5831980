import { describe, expect, it } from "vitest";
import {
  buildSendRequest,
  classifySendError,
  classifySendResponse,
  formatPhone,
  parseRetryAfter,
  sanitizeReason,
} from "../../../lambdas/core/vendorSend.js";

const config = {
  baseUrl: "https://api.vendor.test/",
  sendPath: "/api:-GWQv5aM/send",
  authPrefix: "Bearer ",
  phoneFormat: "e164" as const,
};

describe("buildSendRequest", () => {
  it("posts phone and text as JSON with the prefixed token", () => {
    const request = buildSendRequest(config, "tok", { phone: "14155552671", text: "hi" });
    expect(request.url).toBe("https://api.vendor.test/api:-GWQv5aM/send");
    expect(request.method).toBe("POST");
    expect(request.headers.authorization).toBe("Bearer tok");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request.body)).toEqual({ phone: "+14155552671", text: "hi" });
  });

  it("sends a raw token when the prefix is empty", () => {
    expect(
      buildSendRequest({ ...config, authPrefix: "" }, "tok", { phone: "1", text: "x" }).headers
        .authorization,
    ).toBe("tok");
  });

  it("includes attachment and filename when present", () => {
    const request = buildSendRequest(config, "t", {
      phone: "1",
      text: "menu",
      attachment: "https://x.test/m.pdf",
      filename: "m.pdf",
    });
    expect(JSON.parse(request.body)).toMatchObject({
      attachment: "https://x.test/m.pdf",
      filename: "m.pdf",
    });
  });

  it("keeps the token out of the body", () => {
    expect(buildSendRequest(config, "tok-secret", { phone: "1", text: "x" }).body).not.toContain(
      "tok-secret",
    );
  });
});

describe("formatPhone", () => {
  it("adds the + for e164", () => {
    expect(formatPhone("14155552671", "e164")).toBe("+14155552671");
  });

  it("sends bare digits for the digits format", () => {
    expect(formatPhone("+1 415 555 2671", "digits")).toBe("14155552671");
  });
});

describe("classifySendResponse", () => {
  const ok = (status: number, body: unknown, retryAfter?: string) =>
    classifySendResponse({
      status,
      body: typeof body === "string" ? body : JSON.stringify(body),
      retryAfter,
      now: 0,
    });

  it("counts the documented 200 as sent", () => {
    expect(ok(200, { message: "Message sent successfully" })).toEqual({
      kind: "sent",
      status: 200,
    });
  });

  it("counts a 2xx with an empty body as sent", () => {
    expect(ok(204, "").kind).toBe("sent");
  });

  it.each([500, 502, 503, 504, 408])("retries HTTP %i", (status) => {
    expect(ok(status, { message: "oops" }).kind).toBe("retryable");
  });

  it("retries 429 and keeps Retry-After", () => {
    expect(ok(429, { message: "Too many" }, "12")).toMatchObject({
      kind: "retryable",
      retryAfterSeconds: 12,
    });
  });

  it("does not retry the documented message-limit error", () => {
    expect(
      ok(400, {
        message: "Message sending failed | Reason: Message limit for this number reached.",
      }),
    ).toMatchObject({
      kind: "permanent",
      code: "message-limit",
    });
  });

  it("recognises the older message-limit shape with details", () => {
    expect(
      ok(400, {
        message: "Message sending failed",
        details: "Message limit for this phone number reached.",
      }),
    ).toMatchObject({
      kind: "permanent",
      code: "message-limit",
    });
  });

  it("recognises the message-limit error whatever the status and case", () => {
    expect(
      ok(200, {
        message: "MESSAGE SENDING FAILED | REASON: MESSAGE LIMIT FOR THIS NUMBER REACHED.",
      }),
    ).toMatchObject({
      kind: "permanent",
      code: "message-limit",
    });
  });

  it("does not retry an invalid number", () => {
    expect(
      ok(400, { message: "Message sending failed | Reason: Invalid phone number." }),
    ).toMatchObject({
      kind: "permanent",
      code: "invalid-number",
    });
  });

  it("recognises the newer error object shape", () => {
    expect(
      ok(422, { success: false, error: { code: "invalid_phone_number", message: "Bad number" } }),
    ).toMatchObject({
      kind: "permanent",
      code: "invalid-number",
    });
  });

  it("recognises an unregistered number", () => {
    expect(ok(404, { message: "The number +14155552671 is not registered" })).toMatchObject({
      kind: "permanent",
      code: "invalid-number",
    });
  });

  it("retries a rate-limit text even without a 429", () => {
    expect(ok(400, { error: { code: "rate_limit_exceeded", message: "slow down" } }).kind).toBe(
      "retryable",
    );
  });

  it("retries 401: the token may be mid-rotation", () => {
    expect(ok(401, { message: "Unauthorized" }).kind).toBe("retryable");
  });

  it("does not retry other 4xx", () => {
    expect(
      ok(400, { message: "Message sending failed | Reason: Text is required." }),
    ).toMatchObject({
      kind: "permanent",
      code: "rejected",
    });
  });

  it("reads a 2xx that says it failed as a refusal", () => {
    expect(ok(200, { success: false, error: { message: "Subscription expired" } })).toMatchObject({
      kind: "permanent",
      code: "rejected",
    });
  });

  it("tolerates a non-JSON error body, describing it by size and hash rather than quoting it", () => {
    expect(ok(400, "<html>Bad Request</html>")).toMatchObject({
      kind: "permanent",
      reason: expect.stringMatching(/^HTTP 400: body 24 bytes, sha256 [0-9a-f]{16}$/),
    });
  });

  it("never quotes an error page that echoes the request (the reply text)", () => {
    const echo = `<pre>POST /send {"phone":"4915112345678","text":"Your code is BLUE-HERON"}</pre>`;
    for (const status of [400, 500, 401]) {
      const outcome = ok(status, echo);
      expect(outcome.kind === "sent" ? "" : outcome.reason).not.toContain("BLUE-HERON");
    }
  });

  it("masks phone numbers and secrets in the reason", () => {
    const outcome = classifySendResponse(
      {
        status: 404,
        body: JSON.stringify({
          message: "The number +14155552671 is not registered (token tok-xyz)",
        }),
      },
      ["tok-xyz"],
    );
    expect(outcome.kind).toBe("permanent");
    const reason = outcome.kind === "permanent" ? outcome.reason : "";
    expect(reason).not.toContain("14155552671");
    expect(reason).toContain("2671");
    expect(reason).not.toContain("tok-xyz");
  });
});

describe("classifySendError", () => {
  it("retries a timeout", () => {
    expect(classifySendError(new DOMException("timed out", "TimeoutError"))).toEqual({
      kind: "retryable",
      reason: "timeout waiting for the vendor",
    });
  });

  it("retries a refused connection and names the cause", () => {
    const error = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    expect(classifySendError(error)).toEqual({
      kind: "retryable",
      reason: "network error: ECONNREFUSED",
    });
  });
});

describe("parseRetryAfter", () => {
  it("reads delta seconds", () => {
    expect(parseRetryAfter("7", 0)).toBe(7);
  });

  it("reads an HTTP date relative to now", () => {
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:30 GMT", 10_000)).toBe(20);
  });

  it("ignores garbage", () => {
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
  });
});

describe("sanitizeReason", () => {
  it("bounds the length", () => {
    expect(sanitizeReason("x".repeat(1000)).length).toBeLessThanOrEqual(200);
  });

  it("drops control characters", () => {
    expect(sanitizeReason("a\nb\u0000c")).toBe("a b c");
  });

  it("leaves short numbers alone", () => {
    expect(sanitizeReason("HTTP 400: limit 250 per day")).toBe("HTTP 400: limit 250 per day");
  });
});
