import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  checkVendorWebhookInputs,
  createVendorWebhookProvider,
  diffVendorWebhook,
  type VendorWebhookInputs,
  type VendorWebhookOutputs,
  type VendorWebhookProvider,
  type VendorWebhookTuning,
} from "../../../infra/dynamic/vendorWebhookProvider.js";
import { startVendorSimulator, type VendorSimulator } from "../../../local/vendorSimulator.js";
import MANAGEMENT from "../../fixtures/vendor/management-api.json" with { type: "json" };

const TOKEN = "vendor-token-for-provider-tests";
const URL_G1 = "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/whatsapp?g=1";

let vendor: VendorSimulator;
let provider: VendorWebhookProvider;

beforeAll(async () => {
  vendor = await startVendorSimulator({ token: TOKEN });
});
afterAll(async () => {
  await vendor.stop();
});
beforeEach(async () => {
  vendor.reset();
  provider = await configuredProvider(TOKEN);
});
afterEach(() => {
  delete process.env.WHATSABLE_VENDOR_TOKEN;
  delete process.env.WHATSABLE_MANAGEMENT_TOKEN;
});

/** Fast retries, so the retry tests take milliseconds. */
const FAST: Partial<VendorWebhookTuning> = { retryBaseDelayMs: 5, requestTimeoutMs: 2000 };

async function configuredProvider(
  token: string | undefined,
  key = "vendorToken",
  tuning: Partial<VendorWebhookTuning> = {},
) {
  const instance = createVendorWebhookProvider({ ...FAST, ...tuning });
  const values: Record<string, string | undefined> = { [`whatsable-replies:${key}`]: token };
  await instance.configure({
    config: {
      get: (k) => values[`whatsable-replies:${k}`],
      require: (k) => values[`whatsable-replies:${k}`] ?? "",
    },
  });
  return instance;
}

/** Checked inputs pointed at the simulator. */
function inputs(overrides: Partial<VendorWebhookInputs> = {}): VendorWebhookInputs {
  const result = checkVendorWebhookInputs({
    url: URL_G1,
    managementBaseUrl: `${vendor.url}/api:qh9OQ3OW`,
    ...overrides,
  });
  expect(result.failures).toEqual([]);
  return result.inputs as VendorWebhookInputs;
}

async function created(overrides: Partial<VendorWebhookInputs> = {}) {
  const result = await provider.create(inputs(overrides));
  return { id: result.id, outs: result.outs as VendorWebhookOutputs };
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

describe("VendorWebhook provider", () => {
  describe("create", () => {
    it("registers the full record and keeps the one-time signing secret", async () => {
      const { id, outs } = await created({ scheduleActivity: true, waitingDurationSeconds: 3600 });

      const [row] = vendor.webhooks();
      expect(row).toMatchObject({
        webhooks: URL_G1,
        status: true,
        incoming: true,
        outgoing: false,
        schedule_activity: true,
        waiting_duration: 3600,
        active_signature: true,
      });
      expect(id).toBe(String(row?.id));
      expect(outs.webhookId).toBe(row?.id);
      expect(outs.createdAt).toBe(row?.created_at);
      expect(outs.signingSecret).toBe(row?.signature_secret);
      expect(outs.signingSecret).toMatch(/^[A-Za-z0-9_-]{100,}$/);
    });

    it("stores no signing secret when signing is off", async () => {
      const { outs } = await created({ activeSignature: false });
      expect(outs.signingSecret).toBeNull();
    });

    it("fails with the way out (adopt or delete) when the URL is already registered", async () => {
      await created();
      const [existing] = vendor.webhooks();

      const error = await errorOf(provider.create(inputs()));

      expect(error.message).toContain("Same webhook exist");
      expect(error.message).toContain("webhookAdopt: true");
      expect(error.message).toContain(`DELETE /webhook/dev/${existing?.id}`);
      expect(vendor.webhooks()).toHaveLength(1);
    });

    it("adopts the registration with the same URL and applies the inputs when adopt is set", async () => {
      await created();
      const [existing] = vendor.webhooks();

      const { id, outs } = await created({ adopt: true, enabled: false, outgoing: true });

      expect(id).toBe(String(existing?.id));
      expect(outs.signingSecret).toBeNull();
      expect(vendor.webhooks()).toEqual([
        expect.objectContaining({ id: existing?.id, status: false, outgoing: true }),
      ]);
    });

    it("refuses to adopt a registration whose signing differs, which no update can change", async () => {
      await created({ activeSignature: false });
      const [existing] = vendor.webhooks();

      const error = await errorOf(provider.create(inputs({ adopt: true })));

      expect(error.message).toContain(`cannot adopt registration ${existing?.id}`);
      expect(error.message).toContain("its signing is off, the configuration wants it on");
      expect(vendor.webhooks()).toEqual([existing]);
    });

    it("creates a new registration when adopt is set but none exists", async () => {
      const { outs } = await created({ adopt: true });
      expect(vendor.webhooks()).toHaveLength(1);
      expect(outs.signingSecret).toEqual(expect.any(String));
    });

    it("retries a 429 and then succeeds", async () => {
      vendor.scriptManagementResponses([{ status: 429, body: { message: "Too many requests" } }]);

      const { outs } = await created();

      expect(outs.webhookId).toBe(vendor.webhooks()[0]?.id);
      expect(vendor.callCounts()["webhook.create"]).toBe(2);
    });

    it("gives up after maxAttempts of 5xx with the status in the message", async () => {
      vendor.scriptManagementResponses([{ status: 502 }, { status: 502 }, { status: 502 }]);

      const tuned = await configuredProvider(TOKEN, "vendorToken", { maxAttempts: 3 });
      const error = await errorOf(tuned.create(inputs()));

      expect(error.message).toBe(
        "VendorWebhook: POST /webhook/dev/create answered 502, 3 attempt(s)",
      );
      expect(vendor.webhooks()).toEqual([]);
    });

    it("retries a call that times out", async () => {
      vendor.scriptManagementResponses([{ status: 200, body: [], delayMs: 1500 }]);

      const tuned = await configuredProvider(TOKEN, "vendorToken", { requestTimeoutMs: 300 });
      const outs = (await tuned.create(inputs({ adopt: true }))).outs as VendorWebhookOutputs;

      expect(outs.webhookId).toBe(vendor.webhooks()[0]?.id);
      expect(vendor.callCounts()["webhook.list"]).toBe(2);
    });

    it("reports a timeout clearly when every attempt times out", async () => {
      vendor.scriptManagementResponses([
        { status: 200, body: [], delayMs: 1000 },
        { status: 200, body: [], delayMs: 1000 },
      ]);

      const tuned = await configuredProvider(TOKEN, "vendorToken", {
        requestTimeoutMs: 200,
        maxAttempts: 2,
      });
      const error = await errorOf(tuned.create(inputs({ adopt: true })));

      expect(error.message).toBe(
        "VendorWebhook: GET /webhook/dev timed out after 200 ms, 2 attempt(s)",
      );
    });

    it("does not retry a 401 and never puts the token in the error", async () => {
      const wrong = await configuredProvider("not-the-token");

      const error = await errorOf(wrong.create(inputs()));

      expect(error.message).toBe(
        'VendorWebhook: POST /webhook/dev/create answered 401 ERROR_CODE_UNAUTHORIZED "Unauthorized"',
      );
      expect(vendor.callCounts()["webhook.create"]).toBe(1);
    });

    it("reads the token from WHATSABLE_VENDOR_TOKEN when stack config has none", async () => {
      process.env.WHATSABLE_VENDOR_TOKEN = TOKEN;
      const fromEnv = await configuredProvider(undefined);

      await fromEnv.create(inputs());

      expect(vendor.webhooks()).toHaveLength(1);
    });

    it("prefers vendorManagementToken for the management API", async () => {
      const managed = await configuredProvider(TOKEN, "vendorManagementToken");
      await managed.create(inputs());
      expect(vendor.webhooks()).toHaveLength(1);
    });

    it("names the config key and the env var when there is no token", async () => {
      const tokenless = await configuredProvider(undefined);

      const error = await errorOf(tokenless.create(inputs()));

      expect(error.message).toContain("pulumi config set --secret vendorToken");
      expect(error.message).toContain("WHATSABLE_VENDOR_TOKEN");
      expect(vendor.callCounts()["webhook.create"]).toBeUndefined();
    });
  });

  describe("update", () => {
    it("sends the full record and carries the signing secret forward", async () => {
      const { id, outs } = await created();
      const news = inputs({ enabled: false, scheduleActivity: true, waitingDurationSeconds: 60 });

      const result = await provider.update?.(id, outs, news);

      expect(result?.outs).toMatchObject({
        enabled: false,
        waitingDurationSeconds: 60,
        webhookId: outs.webhookId,
        createdAt: outs.createdAt,
        signingSecret: outs.signingSecret,
      });
      expect(vendor.webhooks()[0]).toMatchObject({
        status: false,
        schedule_activity: true,
        waiting_duration: 60,
        signature_secret: outs.signingSecret,
      });
    });

    it("moves the registration to a new URL in place, keeping its id and signing secret", async () => {
      // What switching a stack's ingress (HTTP API ↔ function URL) does to its registrations.
      const { id, outs } = await created();
      const moved = URL_G1.replace("abc123", "def456");

      const result = await provider.update?.(id, outs, inputs({ url: moved }));

      expect(vendor.webhooks()).toEqual([
        expect.objectContaining({
          id: Number(id),
          webhooks: moved,
          signature_secret: outs.signingSecret,
        }),
      ]);
      expect(result?.outs).toMatchObject({
        url: moved,
        webhookId: outs.webhookId,
        signingSecret: outs.signingSecret,
      });
      expect(vendor.callCounts()["webhook.create"]).toBe(1);
    });

    it("says which URL is taken when moving onto another registration's URL", async () => {
      const { id, outs } = await created();
      const other = URL_G1.replace("g=1", "g=2");
      await created({ url: other });

      const error = await errorOf(
        Promise.resolve(provider.update?.(id, outs, inputs({ url: other }))),
      );

      expect(error.message).toContain(`cannot move webhook ${id} to ${other}`);
      expect(error.message).toContain("Same webhook exist");
      expect(vendor.webhooks().find((row) => row.id === Number(id))?.webhooks).toBe(URL_G1);
    });

    it("touches only the state when only adopt changes", async () => {
      const { id, outs } = await created();

      const result = await provider.update?.(id, outs, inputs({ adopt: true }));

      expect(result?.outs).toMatchObject({ adopt: true, signingSecret: outs.signingSecret });
      expect(vendor.callCounts()["webhook.update"]).toBeUndefined();
    });

    it("drops the tuning fields an older provider version kept in the state, without a vendor call", async () => {
      const { id, outs } = await created();
      const olderState = { ...outs, providerVersion: "1", maxAttempts: 4, origin: "x" };

      const result = await provider.update?.(id, olderState, inputs());

      expect(result?.outs).not.toHaveProperty("maxAttempts");
      expect(result?.outs).not.toHaveProperty("origin");
      expect(vendor.callCounts()["webhook.update"]).toBeUndefined();
    });

    it("says to refresh when the registration was deleted out of band", async () => {
      const { id, outs } = await created();
      vendor.removeWebhook(Number(id));

      const error = await errorOf(
        Promise.resolve(provider.update?.(id, outs, inputs({ enabled: false }))),
      );

      expect(error.message).toContain(`webhook ${id} no longer exists at the vendor`);
      expect(error.message).toContain("pulumi refresh");
    });
  });

  describe("read", () => {
    it("reports drift made in the vendor dashboard and keeps the signing secret", async () => {
      const { id, outs } = await created();
      vendor.editWebhook(Number(id), { status: false, outgoing: true });

      const result = await provider.read?.(id, outs);

      expect(result?.id).toBe(id);
      expect(result?.props).toMatchObject({
        enabled: false,
        outgoing: true,
        signingSecret: outs.signingSecret,
      });
      expect(result?.inputs).toMatchObject({ enabled: false, outgoing: true });
      expect(result?.inputs).not.toHaveProperty("signingSecret");
    });

    it("keeps the state's signing flag when the list omits active_signature, so a refresh plans no replace", async () => {
      const { id, outs } = await created();
      vendor.omitFromList(["active_signature"]);

      const result = await provider.read?.(id, outs);

      expect(result?.props).toMatchObject({ activeSignature: true });
      expect(diffVendorWebhook(result?.props as VendorWebhookOutputs, inputs())).toEqual({
        changes: false,
        replaces: [],
        deleteBeforeReplace: false,
      });
    });

    it("reads an older row (one incoming/outgoing flag, no active_signature) without inventing a signing change", async () => {
      const { id, outs } = await created();
      vendor.scriptManagementResponses([
        { status: 200, body: [{ ...MANAGEMENT.legacyListRow, id: Number(id), webhooks: URL_G1 }] },
      ]);

      const result = await provider.read?.(id, outs);

      expect(result?.props).toMatchObject({
        incoming: true,
        outgoing: true,
        activeSignature: true,
        createdAt: MANAGEMENT.legacyListRow.created_at,
        signingSecret: outs.signingSecret,
      });
    });

    it("keeps every state value the list leaves out", async () => {
      const { id, outs } = await created({ scheduleActivity: true, waitingDurationSeconds: 3600 });
      vendor.scriptManagementResponses([{ status: 200, body: [{ id: Number(id) }] }]);

      const result = await provider.read?.(id, outs);

      expect(result?.props).toEqual(outs);
    });

    it("answers no id when the registration is gone, so refresh drops it", async () => {
      const { id, outs } = await created();
      vendor.removeWebhook(Number(id));

      const result = await provider.read?.(id, outs);

      expect(result?.id).toBeUndefined();
    });
  });

  describe("delete", () => {
    it("removes the registration and treats a second delete (404) as done", async () => {
      const { id, outs } = await created();

      await provider.delete?.(id, outs);
      await provider.delete?.(id, outs);

      expect(vendor.webhooks()).toEqual([]);
      expect(vendor.callCounts()["webhook.delete"]).toBe(2);
    });

    it("fails on other errors, so the state keeps the registration", async () => {
      const { id, outs } = await created();
      vendor.scriptManagementResponses([
        { status: 403, body: { code: "ERROR_CODE_ACCESS_DENIED", message: "no" } },
      ]);

      const error = await errorOf(Promise.resolve(provider.delete?.(id, outs)));

      expect(error.message).toContain("answered 403");
      expect(vendor.webhooks()).toHaveLength(1);
    });
  });
});
