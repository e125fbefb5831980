import { describe, expect, it } from "vitest";
import {
  checkVendorWebhookInputs,
  DEFAULT_MANAGEMENT_BASE_URL,
  diffVendorWebhook,
  VENDOR_WEBHOOK_PROVIDER_VERSION,
  type VendorWebhookInputs,
  type VendorWebhookOutputs,
  WAITING_DURATION_PRESETS,
} from "../../../infra/dynamic/vendorWebhookProvider.js";

const URL_G1 = "https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/whatsapp?g=1";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const reasons = (news: Record<string, unknown>) =>
  (checkVendorWebhookInputs(news).failures ?? []).map((f) => `${f.property}: ${f.reason}`);

function checked(news: Record<string, unknown> = {}): VendorWebhookInputs {
  return checkVendorWebhookInputs({ url: URL_G1, ...news }).inputs as VendorWebhookInputs;
}

function state(overrides: Partial<VendorWebhookInputs> = {}): VendorWebhookOutputs {
  return { ...checked(), ...overrides, webhookId: 1201, createdAt: 1, signingSecret: "s" };
}

describe("checkVendorWebhookInputs", () => {
  it("fills the defaults so diffs are stable", () => {
    expect(checked()).toEqual({
      url: URL_G1,
      enabled: true,
      incoming: true,
      outgoing: false,
      scheduleActivity: false,
      waitingDurationSeconds: 0,
      activeSignature: true,
      adopt: false,
      managementBaseUrl: DEFAULT_MANAGEMENT_BASE_URL,
      providerVersion: VENDOR_WEBHOOK_PROVIDER_VERSION,
    });
  });

  it("rejects a missing url", () => {
    expect(reasons({})).toEqual(["url: url is required"]);
  });

  it("rejects a url that is not https", () => {
    expect(reasons({ url: "http://example.com/hook" })).toEqual([
      'url: url must be an absolute https:// URL (got "http://example.com/hook")',
    ]);
  });

  it("accepts a url not known yet during preview", () => {
    expect(reasons({ url: UNKNOWN })).toEqual([]);
  });

  it("accepts every vendor preset when schedule activity is on", () => {
    for (const seconds of WAITING_DURATION_PRESETS) {
      expect(
        reasons({ url: URL_G1, scheduleActivity: true, waitingDurationSeconds: seconds }),
      ).toEqual([]);
    }
  });

  it("rejects a waiting duration that is not a preset when schedule activity is on", () => {
    expect(reasons({ url: URL_G1, scheduleActivity: true, waitingDurationSeconds: 45 })[0]).toMatch(
      /^waitingDurationSeconds: waitingDurationSeconds must be one of the vendor presets 15, 30, .* \(got 45\)$/,
    );
  });

  it("rejects a waiting duration when schedule activity is off", () => {
    expect(reasons({ url: URL_G1, waitingDurationSeconds: 60 })).toEqual([
      "waitingDurationSeconds: waitingDurationSeconds must be 0 when scheduleActivity is off (got 60)",
    ]);
  });

  it("rejects a registration that delivers nothing", () => {
    expect(reasons({ url: URL_G1, incoming: false, outgoing: false })).toEqual([
      "incoming: at least one of incoming and outgoing must be true, else nothing is delivered",
    ]);
  });

  it("rejects a plain-http management API except on loopback", () => {
    expect(reasons({ url: URL_G1, managementBaseUrl: "http://api.example.com" })).toEqual([
      "managementBaseUrl: managementBaseUrl must be an https:// URL (http only for localhost)",
    ]);
    expect(reasons({ url: URL_G1, managementBaseUrl: "http://127.0.0.1:3001/api:x" })).toEqual([]);
  });

  it("rejects a flag that is not a boolean", () => {
    expect(reasons({ url: URL_G1, enabled: "yes" })).toEqual([
      "enabled: enabled must be true or false",
    ]);
  });

  it.each(["maxAttempts", "origin", "itemPath", "authPrefix"])(
    "refuses provider tuning (%s) as a resource input: it is not what the registration is",
    (key) => {
      expect(reasons({ url: URL_G1, [key]: 1 })).toEqual([
        expect.stringMatching(new RegExp(`^${key}: ${key} is not an input of a VendorWebhook`)),
      ]);
    },
  );

  it("ignores the engine's __provider property", () => {
    expect(reasons({ url: URL_G1, __provider: "exports.handler = ..." })).toEqual([]);
  });
});

describe("diffVendorWebhook", () => {
  it("reports no change when nothing differs", () => {
    expect(diffVendorWebhook(state(), checked())).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it.each([
    ["enabled", { enabled: false }],
    ["outgoing", { outgoing: true }],
    ["url", { url: URL_G1.replace("g=1", "g=2") }],
    ["waitingDurationSeconds", { scheduleActivity: true, waitingDurationSeconds: 60 }],
    ["providerVersion", { providerVersion: "next" }],
    ["adopt", { adopt: true }],
  ])("updates in place when %s changes", (_field, change) => {
    expect(diffVendorWebhook(state(), checked(change))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("replaces, deleting first, when signing is switched on the same URL", () => {
    expect(diffVendorWebhook(state(), checked({ activeSignature: false }))).toEqual({
      changes: true,
      replaces: ["activeSignature"],
      deleteBeforeReplace: true,
    });
  });

  it("replaces, creating first, when signing is switched together with the URL", () => {
    const news = checked({ activeSignature: false, url: URL_G1.replace("g=1", "g=2") });
    expect(diffVendorWebhook(state(), news)).toMatchObject({ deleteBeforeReplace: false });
  });

  it("replaces when the management API changes", () => {
    const news = checked({ managementBaseUrl: "https://other.example.com/api:x" });
    expect(diffVendorWebhook(state(), news).replaces).toEqual(["managementBaseUrl"]);
  });

  it("updates in place when the new URL is not known yet (a new entrance at preview)", () => {
    expect(diffVendorWebhook(state(), { ...checked(), url: UNKNOWN })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("deletes before replacing when the new URL is not known yet", () => {
    const news = { ...checked({ activeSignature: false }), url: UNKNOWN };
    expect(diffVendorWebhook(state(), news).deleteBeforeReplace).toBe(true);
  });

  it("never reports the signing secret or vendor-assigned fields as a change", () => {
    const olds = { ...state(), signingSecret: "other", createdAt: 99, webhookId: 7 };
    expect(diffVendorWebhook(olds, checked()).changes).toBe(false);
  });
});
