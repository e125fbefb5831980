import { beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoConversationLog } from "../../../lambdas/adapters/DynamoConversationTable.js";
import { provisionForTest } from "../../support/localAws.js";

let log: DynamoConversationLog;
let phoneCounter = 0;
const newPhone = () => `1415200${String(++phoneCounter).padStart(4, "0")}`;
const claim = (phone: string, key: string, at: number, intent: "stop" | "start" | null = null) =>
  log.claimMessage({ phone, key, at, planId: `plan_${key}`, intent, now: at });

beforeAll(async () => {
  const resources = await provisionForTest();
  const client = createDocumentClient(resources.awsEnv);
  log = new DynamoConversationLog(client, resources.tables.conversation);
});

describe("DynamoConversationLog (contacts)", () => {
  it("claims a contact's first message and makes its plan the contact's plan", async () => {
    const phone = newPhone();
    expect(await claim(phone, "k1", 1000)).toEqual({ kind: "newest", before: undefined });
    expect(await log.getContact(phone)).toMatchObject({
      lastInboundAt: 1000,
      lastInboundKey: "k1",
      planId: "plan_k1",
    });
  });

  it("tells a redelivery of the same message from the failed condition", async () => {
    const phone = newPhone();
    await claim(phone, "k1", 1000);
    expect(await claim(phone, "k1", 1000)).toMatchObject({
      kind: "same",
      contact: { lastInboundKey: "k1", planId: "plan_k1" },
    });
  });

  it("tells a redelivery of an undated message as the same, though it carries a later time", async () => {
    const phone = newPhone();
    await claim(phone, "k1", 1000);
    // No vendor time: the message's time is when it was accepted, later on a late redelivery.
    expect(await claim(phone, "k1", 400_000)).toMatchObject({
      kind: "same",
      contact: { lastInboundAt: 1000, planId: "plan_k1" },
    });
  });

  it("leaves a newer message's claim alone when an older one arrives late", async () => {
    const phone = newPhone();
    await claim(phone, "k2", 2000);
    expect(await claim(phone, "k1", 1000)).toMatchObject({ kind: "older" });
    expect((await log.getContact(phone))?.planId).toBe("plan_k2");
  });

  it("lets exactly one of two concurrent claims for the same time win, the same one always", async () => {
    const phone = newPhone();
    const results = await Promise.all([claim(phone, "ka", 1000), claim(phone, "kb", 1000)]);
    expect((await log.getContact(phone))?.planId).toBe("plan_kb");
    // Whichever lands first, kb (the greater key) ends as the contact's plan.
    expect(results.map((r) => r.kind)).toContain("newest");
  });

  it("keeps the first stop word's plan as the one confirmation", async () => {
    const phone = newPhone();
    await claim(phone, "s1", 1000, "stop");
    await claim(phone, "s2", 2000, "stop");
    expect(await log.getContact(phone)).toMatchObject({
      optedOut: true,
      optedOutAt: 2000,
      optOutPlanId: "plan_s1",
    });
    await claim(phone, "go", 3000, "start");
    const contact = await log.getContact(phone);
    expect(contact).toMatchObject({ optedOut: false, optedInAt: 3000 });
    expect(contact?.optOutPlanId).toBeUndefined();
  });

  it("never lowers a human takeover's pause", async () => {
    const phone = newPhone();
    await log.takeOver({ phone, at: 5000, until: 9000, now: 5000 });
    await log.takeOver({ phone, at: 1000, until: 4000, now: 6000 });
    expect(await log.getContact(phone)).toMatchObject({ pausedUntil: 9000, cancelBefore: 5000 });
  });

  it("never moves the cancel cutoff back: a late takeover keeps an operator's cancel", async () => {
    const phone = newPhone();
    await log.cancelPending({ phone, now: 5000 });
    await log.takeOver({ phone, at: 1000, until: 9000, now: 6000 });
    expect(await log.getContact(phone)).toMatchObject({
      pausedUntil: 9000,
      cancelBefore: 5000,
      cancelReason: "operator",
    });
  });

  it("never moves the cancel cutoff back: an operator pause keeps a later takeover's cutoff", async () => {
    const phone = newPhone();
    await log.takeOver({ phone, at: 8000, until: 9000, now: 8000 });
    await log.pause({ phone, until: 20_000, now: 7000 });
    expect(await log.getContact(phone)).toMatchObject({
      pausedUntil: 20_000,
      pauseReason: "operator",
      cancelBefore: 8000,
    });
  });

  it("lets an operator pause, cancel and resume a contact, a stop word staying in force", async () => {
    const phone = newPhone();
    await claim(phone, "s1", 1000, "stop");
    await log.pause({ phone, until: 10_000, now: 2000 });
    expect(await log.getContact(phone)).toMatchObject({
      pausedUntil: 10_000,
      pauseReason: "operator",
      cancelBefore: 2000,
    });
    await log.cancelPending({ phone, now: 3000 });
    expect((await log.getContact(phone))?.cancelBefore).toBe(3000);
    await log.resume({ phone, now: 4000, optIn: false });
    const resumed = await log.getContact(phone);
    expect(resumed).toMatchObject({ optedOut: true });
    expect(resumed?.pausedUntil).toBeUndefined();
  });

  it("lifts an opt-out only on an operator resume that says optIn", async () => {
    const phone = newPhone();
    await claim(phone, "s1", 1000, "stop");
    await log.resume({ phone, now: 5000, optIn: true });
    const contact = await log.getContact(phone);
    expect(contact).toMatchObject({ optedOut: false, optedInAt: 5000 });
    expect(contact?.optOutPlanId).toBeUndefined();
  });
});
