import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  contactPk,
  isNewerMessage,
  planIdFor,
  webhookMessage,
} from "../../../lambdas/core/conversation.js";
import {
  type ConversationItem,
  messageItem,
  type NoReplyReason,
  planOf,
  replyPlan,
} from "../../../lambdas/core/conversationLog.js";
import type { ContactStore } from "../../../lambdas/core/ports.js";
import { aWebhook } from "../replyFixtures.js";

/**
 * The ContactStore port's contract (CONTACT and MSG items of the conversation table): one suite,
 * run against the DynamoDB store on DynamoDB Local and against the in-memory fake
 * (test/support/replyFakes.ts), so the fake cannot drift from the real table. Where the two
 * disagree, the table is right.
 */
export interface ContactStoreHarness {
  store: ContactStore;
  /** A MSG item as stored, whole: what the port itself never reads back (e.g. its planId). */
  storedMessage(phone: string, sk: string): Promise<ConversationItem | undefined>;
}

const AT = Date.parse("2026-11-20T10:00:00Z");

/** The key attributes of a contact's CONTACT item. */
const contactKey = (phone: string) => ({ pk: contactPk(phone), sk: "CONTACT" });

/** A customer message's MSG item; with `replies`, the plan it got. */
export function aMessage(
  phone: string,
  options: {
    text?: string;
    replies?: string[];
    noReplyReason?: NoReplyReason;
    referral?: Record<string, unknown>;
  } = {},
): ConversationItem {
  const webhook = aWebhook({
    phone,
    lastMessageOfUser: options.text ?? "hello",
    referral: options.referral ?? null,
  });
  const key = `0123456789abcdef${phone}`;
  const planId = planIdFor(key);
  return messageItem(webhook, webhookMessage(webhook), {
    key,
    at: AT,
    ttlSeconds: 90 * 86_400,
    planId,
    noReplyReason: options.noReplyReason,
    plan: options.replies
      ? replyPlan({
          planId,
          planAt: AT,
          acceptedAt: AT + 400,
          keep: false,
          source: "policy",
          messages: options.replies.map((text, i) => ({ text, delayMs: i * 2000 })),
        })
      : undefined,
  });
}

/** The texts of the plan an item holds. */
const planTexts = (item: ConversationItem | undefined) => item?.plan?.messages.map((m) => m.text);

export function contactStoreContract(name: string, setup: () => Promise<ContactStoreHarness>) {
  let harness: ContactStoreHarness;
  let store: ContactStore;
  let phones = 0;
  /** A phone of its own per test (the DynamoDB run shares one table across the file). */
  const newPhone = () => `1415200${String(++phones).padStart(4, "0")}`;
  /** A claim; by default the message was accepted when it was written (`at`). */
  const claim = (
    phone: string,
    key: string,
    at: number,
    intent: "stop" | "start" | null = null,
    acceptedAt = at,
  ) => store.claimMessage({ phone, key, at, acceptedAt, planId: `plan_${key}`, intent, now: at });

  beforeAll(async () => {
    harness = await setup();
    store = harness.store;
  });

  describe(`${name}: ContactStore contract (CONTACT item)`, () => {
    it("claims a contact's first message and makes its plan the contact's plan", async () => {
      const phone = newPhone();
      expect(await claim(phone, "k1", 1000)).toEqual({ kind: "newest", before: undefined });
      expect(await store.getContact(phone)).toEqual({
        ...contactKey(phone),
        phone,
        lastInboundAt: 1000,
        lastInboundKey: "k1",
        lastInboundAcceptedAt: 1000,
        planId: "plan_k1",
        updatedAt: 1000,
      });
    });

    it("reads no contact for a phone never written", async () => {
      expect(await store.getContact(newPhone())).toBeUndefined();
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
      expect((await store.getContact(phone))?.planId).toBe("plan_k2");
    });

    it("returns the contact as it was before a newer message's claim", async () => {
      const phone = newPhone();
      await claim(phone, "k1", 1000);
      const before = await store.getContact(phone);
      expect(await claim(phone, "k2", 2000)).toEqual({ kind: "newest", before });
    });

    it("orders two messages of one vendor second as they were accepted, whatever order workers see them", async () => {
      const phone = newPhone();
      // "hi" then "are you open?" in the same second: the later-accepted one ends as the plan,
      // though its key sorts first and it is claimed first.
      const [first, second] = ["zz-hi", "aa-open"];
      expect((await claim(phone, second, 1000, null, 1500)).kind).toBe("newest");
      expect(await claim(phone, first, 1000, null, 1200)).toMatchObject({ kind: "older" });
      expect((await store.getContact(phone))?.planId).toBe(`plan_${second}`);
    });

    it("takes the claim from a same-second message accepted earlier", async () => {
      const phone = newPhone();
      await claim(phone, "zz-hi", 1000, null, 1200);
      expect((await claim(phone, "aa-open", 1000, null, 1500)).kind).toBe("newest");
      expect(await store.getContact(phone)).toMatchObject({
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
      expect((await store.getContact(phone))?.planId).toBe("plan_kb");
      // Whichever lands first, kb (the greater key) ends as the contact's plan.
      expect(results.map((r) => r.kind)).toContain("newest");
    });

    it("keeps the first stop word's plan as the one confirmation, a start word lifting it", async () => {
      const phone = newPhone();
      await claim(phone, "s1", 1000, "stop");
      await claim(phone, "s2", 2000, "stop");
      expect(await store.getContact(phone)).toMatchObject({
        optedOut: true,
        optedOutAt: 2000,
        optOutPlanId: "plan_s1",
      });
      await claim(phone, "go", 3000, "start");
      const contact = await store.getContact(phone);
      expect(contact).toMatchObject({ optedOut: false, optedInAt: 3000 });
      expect(contact?.optOutPlanId).toBeUndefined();
    });

    it("opts a contact out on a stop word that arrived after a newer message", async () => {
      const phone = newPhone();
      await claim(phone, "k2", 2000);
      await store.optOutLate({ phone, at: 1500, now: 2500 });
      expect(await store.getContact(phone)).toMatchObject({
        optedOut: true,
        optedOutAt: 1500,
        updatedAt: 2500,
      });
    });

    it("keeps a newer start word in force over a late stop word", async () => {
      const phone = newPhone();
      await claim(phone, "go", 2000, "start");
      await store.optOutLate({ phone, at: 1500, now: 2500 });
      expect(await store.getContact(phone)).toMatchObject({ optedOut: false, optedInAt: 2000 });
    });

    it("writes a late stop word of a contact never claimed as the opt-out alone", async () => {
      const phone = newPhone();
      await store.optOutLate({ phone, at: 1500, now: 2500 });
      expect(await store.getContact(phone)).toEqual({
        ...contactKey(phone),
        optedOut: true,
        optedOutAt: 1500,
        updatedAt: 2500,
      });
    });

    it("pauses a contact on a human takeover and cancels replies up to it", async () => {
      const phone = newPhone();
      await store.takeOver({ phone, at: 5000, until: 9000, now: 5100 });
      expect(await store.getContact(phone)).toEqual({
        ...contactKey(phone),
        phone,
        pausedUntil: 9000,
        pauseReason: "human",
        cancelBefore: 5000,
        cancelReason: "human",
        updatedAt: 5100,
      });
    });

    it("never lowers a human takeover's pause", async () => {
      const phone = newPhone();
      await store.takeOver({ phone, at: 5000, until: 9000, now: 5000 });
      await store.takeOver({ phone, at: 1000, until: 4000, now: 6000 });
      expect(await store.getContact(phone)).toMatchObject({
        pausedUntil: 9000,
        cancelBefore: 5000,
      });
    });

    it("never moves the cancel cutoff back: a late takeover keeps an operator's cancel", async () => {
      const phone = newPhone();
      await store.cancelPending({ phone, now: 5000 });
      await store.takeOver({ phone, at: 1000, until: 9000, now: 6000 });
      expect(await store.getContact(phone)).toMatchObject({
        pausedUntil: 9000,
        cancelBefore: 5000,
        cancelReason: "operator",
      });
    });

    it("never moves the cancel cutoff back: an operator pause keeps a later takeover's cutoff", async () => {
      const phone = newPhone();
      await store.takeOver({ phone, at: 8000, until: 9000, now: 8000 });
      await store.pause({ phone, until: 20_000, now: 7000 });
      expect(await store.getContact(phone)).toMatchObject({
        pausedUntil: 20_000,
        pauseReason: "operator",
        cancelBefore: 8000,
        cancelReason: "human",
      });
    });

    it("never moves the cancel cutoff back: an operator cancel keeps a later one", async () => {
      const phone = newPhone();
      await store.cancelPending({ phone, now: 5000 });
      await store.cancelPending({ phone, now: 4000 });
      expect((await store.getContact(phone))?.cancelBefore).toBe(5000);
    });

    it("lets an operator pause, cancel and resume a contact, a stop word staying in force", async () => {
      const phone = newPhone();
      await claim(phone, "s1", 1000, "stop");
      await store.pause({ phone, until: 10_000, now: 2000 });
      expect(await store.getContact(phone)).toMatchObject({
        pausedUntil: 10_000,
        pauseReason: "operator",
        cancelBefore: 2000,
        cancelReason: "operator",
      });
      await store.cancelPending({ phone, now: 3000 });
      expect((await store.getContact(phone))?.cancelBefore).toBe(3000);
      await store.resume({ phone, now: 4000, optIn: false });
      const resumed = await store.getContact(phone);
      expect(resumed).toMatchObject({ optedOut: true, optOutPlanId: "plan_s1", updatedAt: 4000 });
      expect(resumed?.optedInAt).toBeUndefined();
      expect(resumed?.pausedUntil).toBeUndefined();
      expect(resumed?.pauseReason).toBeUndefined();
    });

    it("lifts an opt-out only on an operator resume that says optIn", async () => {
      const phone = newPhone();
      await claim(phone, "s1", 1000, "stop");
      await store.resume({ phone, now: 5000, optIn: true });
      const contact = await store.getContact(phone);
      expect(contact).toMatchObject({ optedOut: false, optedInAt: 5000 });
      expect(contact?.optOutPlanId).toBeUndefined();
    });
  });

  describe(`${name}: ContactStore contract (MSG items and their plans)`, () => {
    const find = (item: ConversationItem) =>
      store.findMessage({ phone: item.phone, sk: item.sk, consistentRead: true });

    it("reads back the plan stored with its message", async () => {
      const item = aMessage(newPhone(), { replies: ["a", "b"] });
      expect(await store.recordMessage(item)).toEqual(item);
      expect(await find(item)).toEqual({ plan: planOf(item) });
      expect(await harness.storedMessage(item.phone, item.sk)).toEqual(item);
    });

    it("stores a plan once: a second write gets the stored message and plan back", async () => {
      const phone = newPhone();
      const first = aMessage(phone, { replies: ["first"] });
      await store.recordMessage(first);
      expect(
        planTexts(await store.recordMessage(aMessage(phone, { replies: ["second"] }))),
      ).toEqual(["first"]);
      expect((await find(first))?.plan?.messages.map((m) => m.text)).toEqual(["first"]);
    });

    it("keeps the first plan when two copies of a job store theirs at once", async () => {
      const phone = newPhone();
      const stored = await Promise.all([
        store.recordMessage(aMessage(phone, { replies: ["first"] })),
        store.recordMessage(aMessage(phone, { replies: ["second"] })),
      ]);
      const kept = await harness.storedMessage(phone, aMessage(phone).sk);
      expect(stored.map(planTexts)).toEqual([planTexts(kept), planTexts(kept)]);
      expect([["first"], ["second"]]).toContainEqual(planTexts(kept));
    });

    it("keeps a stored plan when the message is logged again without one", async () => {
      const phone = newPhone();
      const planned = aMessage(phone, { replies: ["a"] });
      await store.recordMessage(planned);
      await store.recordMessage(aMessage(phone, { noReplyReason: "older_than_newest" }));
      expect(await harness.storedMessage(phone, planned.sk)).toEqual(planned);
    });

    it("keeps the plan id an earlier write set when the message is logged again without one", async () => {
      const phone = newPhone();
      const first = aMessage(phone);
      await store.recordMessage(first);
      const { planId: _none, ...late } = aMessage(phone, { noReplyReason: "older_than_newest" });
      await store.recordMessage(late);
      expect(await harness.storedMessage(phone, first.sk)).toEqual({
        ...late,
        planId: first.planId,
      });
    });

    it("gives a message logged without a plan its plan later, without the old reason", async () => {
      const phone = newPhone();
      await store.recordMessage(aMessage(phone, { noReplyReason: "policy_unavailable" }));
      const planned = aMessage(phone, { replies: ["back"] });
      await store.recordMessage(planned);
      expect(await harness.storedMessage(phone, planned.sk)).toEqual(planned);
      expect(await find(planned)).toEqual({ plan: planOf(planned) });
    });

    it("stores a no-reply plan with its reason", async () => {
      const item = aMessage(newPhone(), { replies: [], noReplyReason: "no_rule_matched" });
      await store.recordMessage(item);
      expect(await find(item)).toEqual({
        plan: expect.objectContaining({ messages: [] }),
        noReplyReason: "no_rule_matched",
      });
    });

    it("has no plan for a message never planned", async () => {
      const item = aMessage(newPhone());
      await store.recordMessage(item);
      expect(await find(item)).toEqual({});
    });

    it("finds nothing for a message never logged, and a logged one's reason for no plan", async () => {
      const item = aMessage(newPhone(), { noReplyReason: "paused" });
      expect(await find(item)).toBeUndefined();
      await store.recordMessage(item);
      expect(await find(item)).toEqual({ noReplyReason: "paused" });
    });

    it("finds no legacy PLAN item where none was written", async () => {
      const item = aMessage(newPhone(), { replies: ["a"] });
      await store.recordMessage(item);
      expect(
        await store.findLegacyPlan({ phone: item.phone, planId: item.planId ?? "" }),
      ).toBeUndefined();
    });
  });
}
