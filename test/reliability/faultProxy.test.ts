import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVendorSimulator, type VendorSimulator } from "../../local/vendorSimulator.js";
import { type FaultProxy, startFaultProxy } from "../support/faultProxy.js";

/** The fault proxy the reliability tests put between the handlers and real services. */

async function get(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await res.arrayBuffer();
  return res.status;
}

/** The error code under fetch's "fetch failed" (ECONNREFUSED, ECONNRESET, ...) or the abort. */
async function failureOf(url: string): Promise<string> {
  try {
    await get(url);
    return "none";
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as Error).name;
  }
}

describe("faultProxy", () => {
  let vendor: VendorSimulator;
  let proxy: FaultProxy;

  beforeAll(async () => {
    vendor = await startVendorSimulator();
    proxy = await startFaultProxy(vendor.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await vendor?.stop();
  });

  it("passes requests through to the service while up", async () => {
    expect(await get(`${proxy.url}/_sent`)).toBe(200);
  });

  it("refuses connections while in refuse mode, and serves again on the same port after", async () => {
    await proxy.setMode("refuse");
    expect(await failureOf(`${proxy.url}/_sent`)).toBe("ECONNREFUSED");
    await proxy.setMode("up");
    expect(await get(`${proxy.url}/_sent`)).toBe(200);
  });

  it("resets connections while in reset mode", async () => {
    await proxy.setMode("reset");
    expect(await failureOf(`${proxy.url}/_sent`)).toBe("ECONNRESET");
    await proxy.setMode("up");
    expect(await get(`${proxy.url}/_sent`)).toBe(200);
  });

  it("leaves connections unanswered while in hang mode, so the client times out", async () => {
    await proxy.setMode("hang");
    expect(await failureOf(`${proxy.url}/_sent`)).toBe("TimeoutError");
    await proxy.setMode("up");
    expect(await get(`${proxy.url}/_sent`)).toBe(200);
  });

  it("cuts keep-alive connections opened before the fault", async () => {
    const agentless = await get(`${proxy.url}/_sent`); // leaves a pooled keep-alive socket
    expect(agentless).toBe(200);
    await proxy.setMode("reset");
    expect(await failureOf(`${proxy.url}/_sent`)).not.toBe("none");
    await proxy.setMode("up");
  });
});
