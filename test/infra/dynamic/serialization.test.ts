import { type ChildProcess, execFile, fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkVendorWebhookInputs,
  createVendorWebhookProvider,
  VENDOR_WEBHOOK_PROVIDER_VERSION,
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

/** What the engine host (support/engineHost.mjs) answers for one request. */
interface HostAnswer {
  ok: boolean;
  error?: string;
  result: { plan?: string; calls?: string[]; gone?: boolean };
  state: { id: string; outputs: Record<string, unknown>; inputs: Record<string, unknown> } | null;
}

/** The engine host in a fresh `node`, loaded with the provider as `pulumi up` serialises it. */
async function startEngineHost(text: string) {
  const dir = mkdtempSync(join(tmpdir(), "engine-host-"));
  const file = join(dir, "provider.js");
  writeFileSync(file, text);
  const env = { ...process.env };
  delete env.WHATSABLE_VENDOR_TOKEN;
  delete env.WHATSABLE_MANAGEMENT_TOKEN;
  const child: ChildProcess = fork(new URL("./support/engineHost.mjs", import.meta.url), [file], {
    execArgv: [], // plain node: no tsx, no vitest loader
    env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`engine host exited (${code})`)));
  });
  let seq = 0;
  const pending = new Map<number, (answer: HostAnswer) => void>();
  child.on("message", (message: HostAnswer & { seq: number }) => {
    pending.get(message.seq)?.(message);
    pending.delete(message.seq);
  });
  const request = (message: Record<string, unknown>) =>
    new Promise<HostAnswer>((resolve) => {
      seq += 1;
      pending.set(seq, resolve);
      child.send({ ...message, seq });
    });
  return {
    request,
    /** `pulumi up` of one resource with these program inputs (as VendorWebhook passes them). */
    up: (name: string, inputs: Record<string, unknown>) => request({ op: "up", name, inputs }),
    refresh: (name: string) => request({ op: "refresh", name }),
    destroy: (name: string) => request({ op: "destroy", name }),
    stop: () => {
      child.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("the serialised provider as the engine runs it (fresh node, vendor simulator)", () => {
  let host: Awaited<ReturnType<typeof startEngineHost>>;
  const url = (name: string) => `https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/${name}`;
  /** The program's inputs, as VendorWebhook hands them to the engine. */
  const program = (name: string, args: Record<string, unknown> = {}) => ({
    url: url(name),
    managementBaseUrl: `${vendor.url}/api:qh9OQ3OW`,
    providerVersion: VENDOR_WEBHOOK_PROVIDER_VERSION,
    ...args,
  });
  const rowOf = (id: string | undefined) => vendor.webhooks().find((row) => String(row.id) === id);

  beforeAll(async () => {
    host = await startEngineHost(serializedInNativeEsm.text);
    // The host hands the provider the stack config; the token reaches it only this way.
    await host.request({ op: "configure", config: { "whatsable-replies:vendorToken": TOKEN } });
  }, 30_000);
  afterAll(() => host?.stop());

  it("creates on the first up, then an up with the same inputs calls the vendor no more", async () => {
    const created = await host.up("same", program("same"));
    const counts = vendor.callCounts();

    const again = await host.up("same", program("same"));

    expect(created.result.plan).toBe("create");
    expect(rowOf(created.state?.id)).toMatchObject({ webhooks: url("same"), status: true });
    expect(created.state?.outputs.signingSecret).toBe(rowOf(created.state?.id)?.signature_secret);
    expect(again.result.plan).toBe("same");
    expect(vendor.callCounts()).toEqual(counts);
  });

  it("updates a changed flag in place, keeping the id and the signing secret", async () => {
    const created = await host.up("flag", program("flag"));

    const updated = await host.up("flag", program("flag", { enabled: false }));

    expect(updated.result.plan).toBe("update");
    expect(updated.state?.id).toBe(created.state?.id);
    expect(updated.state?.outputs.signingSecret).toBe(created.state?.outputs.signingSecret);
    expect(rowOf(created.state?.id)?.status).toBe(false);
  });

  it("refresh records drift from the dashboard, and the next up puts the configuration back", async () => {
    const created = await host.up("drift", program("drift"));
    vendor.editWebhook(Number(created.state?.id), { status: false, outgoing: true });

    const refreshed = await host.refresh("drift");
    const next = await host.up("drift", program("drift"));

    expect(refreshed.state?.outputs).toMatchObject({ enabled: false, outgoing: true });
    expect(next.result.plan).toBe("update");
    expect(rowOf(created.state?.id)).toMatchObject({ status: true, outgoing: false });
  });

  it("refresh keeps the signing flag the list omits, so the next up neither replaces nor rotates", async () => {
    const created = await host.up("omitted", program("omitted"));
    const secret = rowOf(created.state?.id)?.signature_secret;
    vendor.omitFromList(["active_signature"]);
    try {
      const refreshed = await host.refresh("omitted");
      const next = await host.up("omitted", program("omitted"));

      expect(refreshed.state?.outputs.activeSignature).toBe(true);
      expect(next.result.plan).toBe("same");
      expect(rowOf(created.state?.id)?.signature_secret).toBe(secret);
    } finally {
      vendor.omitFromList([]);
    }
  });

  it("refresh drops a webhook deleted out of band, and the next up registers it again", async () => {
    const created = await host.up("gone", program("gone"));
    vendor.removeWebhook(Number(created.state?.id));

    const refreshed = await host.refresh("gone");
    const next = await host.up("gone", program("gone"));

    expect(refreshed.result.gone).toBe(true);
    expect(refreshed.state).toBeNull();
    expect(next.result.plan).toBe("create");
    expect(rowOf(next.state?.id)?.webhooks).toBe(url("gone"));
  });

  it("an up against a webhook deleted out of band, without a refresh, says to refresh", async () => {
    const created = await host.up("stale", program("stale"));
    vendor.removeWebhook(Number(created.state?.id));

    const next = await host.up("stale", program("stale", { enabled: false }));

    expect(next.ok).toBe(false);
    expect(next.error).toContain("pulumi refresh");
  });

  it("replaces on the same URL by deleting first, since the vendor refuses a second registration of a URL", async () => {
    const created = await host.up("replace", program("replace"));

    const replaced = await host.up("replace", program("replace", { activeSignature: false }));

    expect(replaced.result).toMatchObject({
      plan: "replace",
      calls: ["check", "diff", "delete", "create"],
    });
    expect(rowOf(created.state?.id)).toBeUndefined();
    expect(vendor.webhooks().filter((row) => row.webhooks === url("replace"))).toEqual([
      expect.objectContaining({ id: Number(replaced.state?.id), active_signature: false }),
    ]);
    expect(replaced.state?.outputs.signingSecret).toBeNull();
  });

  it("destroy removes the registration", async () => {
    const created = await host.up("destroyed", program("destroyed"));

    await host.destroy("destroyed");

    expect(rowOf(created.state?.id)).toBeUndefined();
  });

  it("check refuses provider tuning given as a resource input, naming it", async () => {
    const answer = await host.up("tuned", program("tuned", { maxAttempts: 2 }));

    expect(answer.ok).toBe(false);
    expect(answer.error).toContain("maxAttempts is not an input of a VendorWebhook");
  });
});
