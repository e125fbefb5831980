import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { VendorSendClient } from "../../../lambdas/adapters/VendorSendClient.js";
import { DEFAULTS } from "../../../lambdas/contract.js";
import type { SecretSource } from "../../../lambdas/core/ports.js";
import { startVendorSimulator, type VendorSimulator } from "../../../local/vendorSimulator.js";
import SEND from "../../fixtures/vendor/send-api.json" with { type: "json" };

const TOKEN = "vendor-token-abc";
let vendor: VendorSimulator;

/** A token source that counts reads and can switch tokens (rotation). */
function tokenSource(initial = TOKEN) {
  const source = {
    value: initial,
    reads: 0,
    forced: 0,
    get: async (options: { forceRefresh?: boolean } = {}) => {
      source.reads += 1;
      if (options.forceRefresh) source.forced += 1;
      return source.value;
    },
  };
  return source satisfies SecretSource & Record<string, unknown>;
}

function client(
  token: SecretSource,
  overrides: Partial<ConstructorParameters<typeof VendorSendClient>[0]> = {},
) {
  return new VendorSendClient(
    {
      baseUrl: vendor.url,
      sendPath: DEFAULTS.vendorSendPath,
      authPrefix: "Bearer ",
      phoneFormat: "e164",
      timeoutMs: 1000,
      ...overrides,
    },
    token,
  );
}

beforeAll(async () => {
  vendor = await startVendorSimulator({ token: TOKEN });
});
afterAll(async () => {
  await vendor.stop();
});
beforeEach(() => vendor.reset());

describe("VendorSendClient", () => {
  it("sends phone (E.164), text and attachment with the token", async () => {
    const outcome = await client(tokenSource()).send({
      phone: "14155552671",
      text: "Hello",
      attachment: "https://x.test/a.pdf",
      filename: "a.pdf",
    });
    expect(outcome).toEqual({ kind: "sent", status: 200 });
    expect(vendor.sent()).toEqual([
      expect.objectContaining({
        phone: "+14155552671",
        text: "Hello",
        attachment: "https://x.test/a.pdf",
        filename: "a.pdf",
      }),
    ]);
  });

  it("sends bare digits when configured", async () => {
    await client(tokenSource(), { phoneFormat: "digits" }).send({
      phone: "14155552671",
      text: "x",
    });
    expect(vendor.sent()[0]?.phone).toBe("14155552671");
  });

  it("reports the message-limit error as permanent", async () => {
    vendor.setMessageLimitReached("14155552671", true);
    expect(await client(tokenSource()).send({ phone: "14155552671", text: "x" })).toMatchObject({
      kind: "permanent",
      code: "message-limit",
      status: 400,
    });
  });

  it("reports the older message-limit shape (reason in details) as permanent", async () => {
    vendor.scriptSendResponses([SEND.messageLimitWithDetails]);
    expect(await client(tokenSource()).send({ phone: "14155552671", text: "x" })).toMatchObject({
      kind: "permanent",
      code: "message-limit",
    });
  });

  it("reports an invalid number as permanent", async () => {
    expect(await client(tokenSource()).send({ phone: "12", text: "x" })).toMatchObject({
      kind: "permanent",
      code: "invalid-number",
    });
  });

  it("reports a 500 as retryable", async () => {
    vendor.scriptSendResponses([SEND.serverError]);
    expect(await client(tokenSource()).send({ phone: "14155552671", text: "x" })).toMatchObject({
      kind: "retryable",
      status: 500,
    });
  });

  it("reports a slow vendor as a retryable timeout", async () => {
    vendor.scriptSendResponses([{ status: 200, delayMs: 3000 }]);
    expect(
      await client(tokenSource(), { timeoutMs: 200 }).send({ phone: "14155552671", text: "x" }),
    ).toEqual({
      kind: "retryable",
      reason: "timeout waiting for the vendor",
    });
  });

  it("reports an unreachable vendor as retryable", async () => {
    const outcome = await client(tokenSource(), { baseUrl: "http://127.0.0.1:9" }).send({
      phone: "1",
      text: "x",
    });
    expect(outcome.kind).toBe("retryable");
  });

  it("refreshes the token after a 401 so the next attempt uses a rotated one, and never leaks it", async () => {
    const token = tokenSource("stale-token");
    const outcome = await client(token).send({ phone: "14155552671", text: "x" });
    expect(outcome.kind).toBe("retryable");
    expect(JSON.stringify(outcome)).not.toContain("stale-token");
    expect(token.forced).toBe(1);
    token.value = TOKEN;
    expect((await client(token).send({ phone: "14155552671", text: "x" })).kind).toBe("sent");
  });

  it("throws, without calling the vendor, when the token cannot be read", async () => {
    const failing: SecretSource = { get: () => Promise.reject(new Error("secrets unavailable")) };
    await expect(client(failing).send({ phone: "14155552671", text: "x" })).rejects.toThrow(
      "secrets unavailable",
    );
    expect(vendor.callCounts().send ?? 0).toBe(0);
  });
});
