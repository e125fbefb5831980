import { beforeAll, describe, expect, it } from "vitest";
import type { ReplyStore } from "../../../lambdas/core/ports.js";
import { replySk } from "../../../lambdas/core/replyItem.js";
import { aReply } from "../replyFixtures.js";

/**
 * The reply store port's contract (REPLY items of the conversation table): one suite, run against
 * the DynamoDB store on DynamoDB Local and against the in-memory fake (test/support/replyFakes.ts),
 * so the fake cannot drift from the real table. Items are compared whole: an attribute the fake
 * sets and the table does not (or the reverse) fails here. Where the two disagree, the table is
 * right.
 */
export function replyStoreContract(name: string, setup: () => Promise<ReplyStore>) {
  let store: ReplyStore;
  /** Times are offsets from T0: items expire (DynamoDB TTL) relative to the real clock. */
  const T0 = Date.now();
  let plans = 0;
  /** A fresh plan id per test (the DynamoDB run shares one table across the file). */
  const newPlan = () => `plan_contract_${++plans}_${T0}`;
  const phone = "14155552671";
  const claimInput = (planId: string, owner: string, now = 1_000, leaseMs = 10_000) => ({
    phone,
    reply: aReply({ planId, phone, text: "Thanks for writing" }),
    planId,
    seq: 0,
    owner,
    now: T0 + now,
    leaseMs,
    ttlSeconds: 3600,
  });
  const ref = (planId: string) => ({ phone, planId, seq: 0 });
  const finish = (
    planId: string,
    owner: string,
    status: "FAILED" | "GAVE_UP" | "RETRY",
    reason: string,
    now = 2_000,
  ) => store.finish({ ...ref(planId), owner, now: T0 + now, status, reason });
  const cancelInput = (planId: string, now = 0) => ({
    ...ref(planId),
    now: T0 + now,
    reason: "superseded" as const,
    ttlSeconds: 60,
    reply: aReply({ planId, phone }),
  });
  /** The conversation fields every reply item carries from its creation (claim or cancel). */
  const conversation = (planId: string, text = "Thanks for writing") => {
    const reply = aReply({ planId, phone, text });
    return {
      pk: `PHONE#${phone}`,
      sk: replySk(planId, 0),
      phone,
      userId: reply.userId,
      role: "bot",
      content: text,
      contentType: "text",
      mediaUrl: null,
      dueAt: reply.dueAt,
      planId,
      seq: 0,
    };
  };

  beforeAll(async () => {
    store = await setup();
  });

  describe(`${name}: reply store contract (REPLY items)`, () => {
    it("lets exactly one of several concurrent workers claim a reply", async () => {
      const planId = newPlan();
      const results = await Promise.all(
        ["a", "b", "c", "d"].map((owner) => store.claim(claimInput(planId, owner))),
      );
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      const loser = results.find((r) => !r.claimed);
      expect(loser && !loser.claimed && loser.existing?.status).toBe("SENDING");
    });

    it("records the claim with the reply, its lease, owner, attempt count and expiry", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a", 1_000, 5_000));
      expect(await store.get(ref(planId))).toEqual({
        ...conversation(planId),
        status: "SENDING",
        owner: "a",
        leaseUntil: T0 + 6_000,
        attempts: 1,
        updatedAt: T0 + 1_000,
        expiresAt: Math.floor((T0 + 1_000) / 1000) + 3600,
      });
    });

    it("records an attachment reply's content type and media URL", async () => {
      const planId = newPlan();
      const attachment = "https://example.com/menu.pdf";
      await store.claim({
        ...claimInput(planId, "a"),
        reply: aReply({ planId, phone, attachment }),
      });
      expect(await store.get(ref(planId))).toMatchObject({
        contentType: "document",
        mediaUrl: attachment,
      });
    });

    it("returns the item that prevented a claim", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a"));
      const held = await store.get(ref(planId));
      expect(await store.claim(claimInput(planId, "b"))).toEqual({
        claimed: false,
        existing: held,
      });
    });

    it("marks SENT only for the claim's owner, with the send time", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a"));
      const sent = { ...ref(planId), sentAt: T0 + 2_000 };
      expect(await store.markSent({ ...sent, owner: "b" })).toBe(false);
      expect(await store.markSent({ ...sent, owner: "a" })).toBe(true);
      expect(await store.get(ref(planId))).toEqual({
        ...conversation(planId),
        status: "SENT",
        owner: "a",
        attempts: 1,
        sentAt: T0 + 2_000,
        at: new Date(T0 + 2_000).toISOString(),
        updatedAt: T0 + 2_000,
        expiresAt: Math.floor((T0 + 1_000) / 1000) + 3600,
      });
    });

    it("never lets a SENT reply be claimed or cancelled", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a"));
      await store.markSent({ ...ref(planId), owner: "a", sentAt: T0 + 2_000 });
      expect((await store.claim(claimInput(planId, "b", 99_000))).claimed).toBe(false);
      expect(await store.cancel(cancelInput(planId))).toBe(false);
      expect((await store.get(ref(planId)))?.status).toBe("SENT");
    });

    it("lets a released (RETRY) reply be claimed again, counting attempts", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a"));
      expect(await finish(planId, "a", "RETRY", "HTTP 500")).toBe(true);
      expect(await store.get(ref(planId))).toEqual({
        ...conversation(planId),
        status: "RETRY",
        owner: "a",
        attempts: 1,
        reason: "HTTP 500",
        updatedAt: T0 + 2_000,
        expiresAt: Math.floor((T0 + 1_000) / 1000) + 3600,
      });
      expect((await store.claim(claimInput(planId, "b", 3_000))).claimed).toBe(true);
      expect(await store.get(ref(planId))).toEqual({
        ...conversation(planId),
        status: "SENDING",
        owner: "b",
        leaseUntil: T0 + 13_000,
        attempts: 2,
        // The last failure's reason stays until the next status that says otherwise.
        reason: "HTTP 500",
        updatedAt: T0 + 3_000,
        expiresAt: Math.floor((T0 + 3_000) / 1000) + 3600,
      });
    });

    it("keeps a FAILED reply failed, with its reason", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a"));
      await finish(planId, "a", "FAILED", "Message limit");
      expect((await store.claim(claimInput(planId, "b"))).claimed).toBe(false);
      expect(await store.cancel(cancelInput(planId))).toBe(false);
      expect(await store.get(ref(planId))).toMatchObject({
        status: "FAILED",
        reason: "Message limit",
      });
    });

    it("lets a GAVE_UP reply be claimed by a DLQ redrive", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a"));
      await finish(planId, "a", "GAVE_UP", "HTTP 500");
      expect((await store.claim(claimInput(planId, "b"))).claimed).toBe(true);
    });

    it("finishes only the owner's claim", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a"));
      expect(await finish(planId, "b", "RETRY", "HTTP 500")).toBe(false);
      expect((await store.get(ref(planId)))?.status).toBe("SENDING");
    });

    it("marks an abandoned claim UNKNOWN only after its lease expired, saying why", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a", 1_000, 5_000));
      const unknown = { ...ref(planId), owner: "a" };
      expect(await store.markUnknown({ ...unknown, now: T0 + 5_999 })).toBe(false);
      expect(await store.markUnknown({ ...unknown, owner: "b", now: T0 + 6_000 })).toBe(false);
      expect(await store.markUnknown({ ...unknown, now: T0 + 6_000 })).toBe(true);
      expect(await store.get(ref(planId))).toEqual({
        ...conversation(planId),
        status: "UNKNOWN",
        owner: "a",
        attempts: 1,
        reason: "the sender stopped during the vendor call; delivery unknown",
        updatedAt: T0 + 6_000,
        expiresAt: Math.floor((T0 + 1_000) / 1000) + 3600,
      });
      expect((await store.claim(claimInput(planId, "b", 10_000))).claimed).toBe(false);
      expect(await store.cancel(cancelInput(planId))).toBe(false);
    });

    it("records a send that succeeded after its claim was marked UNKNOWN as SENT", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a", 1_000, 5_000));
      await store.markUnknown({ ...ref(planId), owner: "a", now: T0 + 6_000 });
      expect(await store.markSent({ ...ref(planId), owner: "a", sentAt: T0 + 7_000 })).toBe(true);
      expect(await store.get(ref(planId))).toMatchObject({ status: "SENT", sentAt: T0 + 7_000 });
    });

    it("does not finish a claim that is no longer SENDING", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a", 1_000, 1));
      await store.markUnknown({ ...ref(planId), owner: "a", now: T0 + 5_000 });
      expect(await finish(planId, "a", "RETRY", "late", 6_000)).toBe(false);
      expect((await store.get(ref(planId)))?.status).toBe("UNKNOWN");
    });

    it("cancels a reply nobody claimed, with its reason, and never lets it be claimed", async () => {
      const planId = newPlan();
      expect(await store.cancel(cancelInput(planId))).toBe(true);
      expect(await store.get(ref(planId))).toEqual({
        ...conversation(planId, aReply().text),
        status: "CANCELLED",
        cancelReason: "superseded",
        updatedAt: T0,
        expiresAt: Math.floor(T0 / 1000) + 60,
      });
      expect((await store.claim(claimInput(planId, "a"))).claimed).toBe(false);
    });

    it("cancels a released reply, keeping what its attempts recorded", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a"));
      await finish(planId, "a", "RETRY", "HTTP 500");
      expect(await store.cancel(cancelInput(planId, 3_000))).toBe(true);
      expect(await store.get(ref(planId))).toEqual({
        ...conversation(planId, aReply().text),
        status: "CANCELLED",
        cancelReason: "superseded",
        owner: "a",
        attempts: 1,
        reason: "HTTP 500",
        updatedAt: T0 + 3_000,
        expiresAt: Math.floor((T0 + 3_000) / 1000) + 60,
      });
    });

    it("does not cancel a reply being sent", async () => {
      const planId = newPlan();
      await store.claim(claimInput(planId, "a"));
      expect(await store.cancel(cancelInput(planId))).toBe(false);
      expect((await store.get(ref(planId)))?.status).toBe("SENDING");
    });

    it("reads nothing for a reply never tried", async () => {
      expect(await store.get({ phone, planId: newPlan(), seq: 3 })).toBeUndefined();
    });
  });
}
