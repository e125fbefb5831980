import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoConversationLog } from "../../../lambdas/adapters/DynamoConversationTable.js";
import { isNewerMessage } from "../../../lambdas/core/conversation.js";
import { provisionForTest } from "../../support/localAws.js";

let log: DynamoConversationLog;
let phoneCounter = 0;
const newPhone = () => `1415200${String(++phoneCounter).padStart(4, "0")}`;
/** A claim; by default the message was accepted when it was written (`at`). */
const claim = (
  phone: string,
  key: string,
  at: number,
  intent: "stop" | "start" | null = null,
  acceptedAt = at,
) => log.claimMessage({ phone, key, at, acceptedAt, planId: `plan_${key}`, intent, now: at });

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

  it("orders two messages of one vendor second as they were accepted, whatever order workers see them", async () => {
    const phone = newPhone();
    // "hi" then "are you open?" in the same second: the later-accepted one ends as the plan,
    // though its key sorts first and it is claimed first.
    const [first, second] = ["zz-hi", "aa-open"];
    expect((await claim(phone, second, 1000, null, 1500)).kind).toBe("newest");
    expect(await claim(phone, first, 1000, null, 1200)).toMatchObject({ kind: "older" });
    expect((await log.getContact(phone))?.planId).toBe(`plan_${second}`);
  });

  it("takes the claim from a same-second message accepted earlier", async () => {
    const phone = newPhone();
    await claim(phone, "zz-hi", 1000, null, 1200);
    expect((await claim(phone, "aa-open", 1000, null, 1500)).kind).toBe("newest");
    expect(await log.getContact(phone)).toMatchObject({
      planId: "plan_aa-open",
      lastInboundAcceptedAt: 1500,
    });
  });

  it("judges newer exactly as the model does (core isNewerMessage)", async () => {
    const message = fc.record({
      at: fc.integer({ min: 1, max: 3 }),
      acceptedAt: fc.integer({ min: 1, max: 3 }),
      key: fc.constantFrom("ka", "kb", "kc"),
    });
    await fc.assert(
      fc.asyncProperty(message, message, async (a, b) => {
        fc.pre(a.key !== b.key);
        const phone = newPhone();
        await claim(phone, a.key, a.at, null, a.acceptedAt);
        const outcome = await claim(phone, b.key, b.at, null, b.acceptedAt);
        const contact = {
          lastInboundAt: a.at,
          lastInboundAcceptedAt: a.acceptedAt,
          lastInboundKey: a.key,
        };
        expect(outcome.kind).toBe(isNewerMessage(contact, b) ? "newest" : "older");
      }),
      { numRuns: 30 },
    );
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
