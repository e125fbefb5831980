import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settingsSchema } from "../../infra/settings.js";
import { registerLocalWebhook } from "../../local/opsOutputs.js";
import { startVendorSimulator, type VendorSimulator } from "../../local/vendorSimulator.js";

const TOKEN = "sim-token";
let sim: VendorSimulator;

beforeAll(async () => {
  sim = await startVendorSimulator({ token: TOKEN });
});
afterAll(async () => {
  await sim.stop();
});

describe("registerLocalWebhook", () => {
  it("registers the local stack as a stack file without webhook settings registers", async () => {
    const id = await registerLocalWebhook({
      vendorUrl: sim.url,
      receiverUrl: "http://127.0.0.1:1/webhooks/whatsapp",
      vendorToken: TOKEN,
    });
    const defaults = settingsSchema.parse({});
    expect(sim.webhooks().find((row) => row.id === id)).toMatchObject({
      incoming: defaults.webhookIncoming,
      outgoing: defaults.webhookOutgoing,
      schedule_activity: defaults.scheduleActivity,
      active_signature: defaults.activeSignature,
    });
    // Outgoing messages are delivered by default: human takeover needs them.
    expect(defaults.webhookOutgoing).toBe(true);
  });
});
