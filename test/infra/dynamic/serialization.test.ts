import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkVendorWebhookInputs,
  createVendorWebhookProvider,
  type VendorWebhookInputs,
  type VendorWebhookProvider,
} from "../../../infra/dynamic/vendorWebhookProvider.js";
import { startVendorSimulator, type VendorSimulator } from "../../../local/vendorSimulator.js";

const TOKEN = "tok-serialisation-7f3a9c";

let vendor: VendorSimulator;
let serialized: pulumi.runtime.SerializedFunction;
let serializedInNativeEsm: pulumi.runtime.SerializedFunction;

beforeAll(async () => {
  vendor = await startVendorSimulator({ token: TOKEN });
  // Everything a careless provider could capture: the token in the env and in stack config.
  process.env.WHATSABLE_VENDOR_TOKEN = TOKEN;
  pulumi.runtime.setAllConfig({ "whatsable-replies:vendorToken": TOKEN }, [
    "whatsable-replies:vendorToken",
  ]);
  const provider = createVendorWebhookProvider();
  // Serialised exactly as pulumi.dynamic.Resource does it.
  serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  delete process.env.WHATSABLE_VENDOR_TOKEN;

  // vitest runs modules through its own loader; `pulumi up` runs this ESM project natively.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "test/infra/fixtures/serializeProvider.ts"],
    {
      env: {
        ...process.env,
        WHATSABLE_VENDOR_TOKEN: TOKEN,
        PULUMI_CONFIG: JSON.stringify({ "whatsable-replies:vendorToken": TOKEN }),
      },
      timeout: 60_000,
    },
  );
  serializedInNativeEsm = JSON.parse(stdout);
}, 90_000);
afterAll(async () => {
  await vendor.stop();
});

/** Loads serialised provider text the way Pulumi's dynamic provider host does (requireFromString). */
function load(text: string): VendorWebhookProvider {
  const module = { exports: {} as Record<string, () => VendorWebhookProvider> };
  new Function("exports", "module", "require", text)(module.exports, module, () => {
    throw new Error("the serialised provider must not require modules");
  });
  const handler = module.exports.handler;
  if (!handler) throw new Error("serialised text exports no handler");
  return handler();
}

describe("VendorWebhook provider serialisation", () => {
  it("serialises without capturing a secret", () => {
    expect(serialized.containsSecrets).toBe(false);
  });

  it("contains no vendor token, although env and config hold one", () => {
    expect(serialized.text).not.toContain(TOKEN);
  });

  it("captures no module import (vitest's or any other)", () => {
    expect(serialized.text).not.toMatch(/__vite_ssr_import|require\(/);
  });

  it("serialises the same way in a native ES module process, as `pulumi up` runs it", () => {
    expect(serializedInNativeEsm.containsSecrets).toBe(false);
    expect(serializedInNativeEsm.text).not.toContain(TOKEN);
    expect(serializedInNativeEsm.text).not.toMatch(/require\(/);
  });

  it.each([
    ["under vitest", () => serialized],
    ["in native ESM", () => serializedInNativeEsm],
  ])("works %s when loaded as the provider host loads it", async (_where, text) => {
    const provider = load(text().text);
    await provider.configure({
      config: { get: (key) => (key === "vendorToken" ? TOKEN : undefined), require: () => TOKEN },
    });
    const inputs = checkVendorWebhookInputs({
      url: "https://example.com/webhooks/whatsapp?g=1",
      managementBaseUrl: `${vendor.url}/api:qh9OQ3OW`,
    }).inputs as VendorWebhookInputs;

    const { id, outs } = await provider.create(inputs);
    expect(vendor.webhooks()).toEqual([expect.objectContaining({ id: Number(id) })]);
    await provider.delete?.(id, outs as never);

    expect(vendor.webhooks()).toEqual([]);
  });
});
