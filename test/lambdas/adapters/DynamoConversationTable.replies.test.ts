import { beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoSentMarkers } from "../../../lambdas/adapters/DynamoConversationTable.js";
import { replySk } from "../../../lambdas/core/deliverReply.js";
import { provisionForTest } from "../../support/localAws.js";
import { aReply } from "../../support/replyFixtures.js";

let markers: DynamoSentMarkers;
/** Times are offsets from now: markers expire (DynamoDB TTL) relative to their clock. */
const T0 = Date.now();
let plan = 0;
/** A fresh plan id per test. */
const newPlan = () => `plan_test_${++plan}_${Date.now()}`;
const phone = "14155552671";
const claimInput = (planId: string, owner: string, now = 1_000, leaseMs = 10_000) => ({
  phone,
  reply: aReply({ planId, text: "Thanks for writing" }),
  planId,
  seq: 0,
  owner,
  now: T0 + now,
  leaseMs,
  ttlSeconds: 3600,
});

beforeAll(async () => {
  const resources = await provisionForTest();
  markers = new DynamoSentMarkers(
    createDocumentClient(resources.awsEnv),
    resources.tables.conversation,
  );
});

describe("DynamoSentMarkers", () => {
  it("lets exactly one of several concurrent workers claim a reply", async () => {
    const planId = newPlan();
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((owner) => markers.claim(claimInput(planId, owner))),
    );
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const loser = results.find((r) => !r.claimed);
    expect(loser && !loser.claimed && loser.existing?.status).toBe("SENDING");
  });

  it("records the claim with its lease, owner, attempt count and expiry", async () => {
    const planId = newPlan();
    await markers.claim(claimInput(planId, "a", 1_000, 5_000));
    expect(await markers.get({ phone, planId: planId, seq: 0 })).toMatchObject({
      pk: `PHONE#${phone}`,
      sk: replySk(planId, 0),
      role: "bot",
      content: "Thanks for writing",
      planId,
      seq: 0,
      status: "SENDING",
      owner: "a",
      leaseUntil: T0 + 6_000,
      attempts: 1,
      expiresAt: Math.floor((T0 + 1_000) / 1000) + 3600,
    });
  });

  it("marks SENT only for the claim's owner", async () => {
    const planId = newPlan();
    await markers.claim(claimInput(planId, "a"));
    expect(await markers.markSent({ phone, planId, seq: 0, owner: "b", sentAt: T0 + 2_000 })).toBe(
      false,
    );
    expect(await markers.markSent({ phone, planId, seq: 0, owner: "a", sentAt: T0 + 2_000 })).toBe(
      true,
    );
    const marker = await markers.get({ phone, planId: planId, seq: 0 });
    expect(marker).toMatchObject({ status: "SENT", sentAt: T0 + 2_000 });
    expect(marker?.leaseUntil).toBeUndefined();
  });

  it("never lets a SENT reply be claimed again", async () => {
    const planId = newPlan();
    await markers.claim(claimInput(planId, "a"));
    await markers.markSent({ phone, planId, seq: 0, owner: "a", sentAt: T0 + 2_000 });
    const again = await markers.claim(claimInput(planId, "b", 99_000));
    expect(again.claimed).toBe(false);
  });

  it("lets a released (RETRY) reply be claimed again, counting attempts", async () => {
    const planId = newPlan();
    await markers.claim(claimInput(planId, "a"));
    expect(
      await markers.finish({
        phone,
        planId,
        seq: 0,
        owner: "a",
        now: T0 + 2_000,
        status: "RETRY",
        reason: "HTTP 500",
      }),
    ).toBe(true);
    expect((await markers.claim(claimInput(planId, "b", 3_000))).claimed).toBe(true);
    expect(await markers.get({ phone, planId: planId, seq: 0 })).toMatchObject({
      status: "SENDING",
      owner: "b",
      attempts: 2,
    });
  });

  it("keeps a FAILED reply failed, with its reason", async () => {
    const planId = newPlan();
    await markers.claim(claimInput(planId, "a"));
    await markers.finish({
      phone,
      planId,
      seq: 0,
      owner: "a",
      now: T0 + 2_000,
      status: "FAILED",
      reason: "Message limit",
    });
    expect((await markers.claim(claimInput(planId, "b"))).claimed).toBe(false);
    expect(await markers.get({ phone, planId: planId, seq: 0 })).toMatchObject({
      status: "FAILED",
      reason: "Message limit",
    });
  });

  it("lets a GAVE_UP reply be claimed by a DLQ redrive", async () => {
    const planId = newPlan();
    await markers.claim(claimInput(planId, "a"));
    await markers.finish({
      phone,
      planId,
      seq: 0,
      owner: "a",
      now: T0 + 2_000,
      status: "GAVE_UP",
      reason: "HTTP 500",
    });
    expect((await markers.claim(claimInput(planId, "b"))).claimed).toBe(true);
  });

  it("marks an abandoned claim UNKNOWN only after its lease expired", async () => {
    const planId = newPlan();
    await markers.claim(claimInput(planId, "a", 1_000, 5_000));
    expect(await markers.markUnknown({ phone, planId, seq: 0, owner: "a", now: T0 + 5_999 })).toBe(
      false,
    );
    expect(await markers.markUnknown({ phone, planId, seq: 0, owner: "a", now: T0 + 6_000 })).toBe(
      true,
    );
    expect((await markers.get({ phone, planId: planId, seq: 0 }))?.status).toBe("UNKNOWN");
    expect((await markers.claim(claimInput(planId, "b", 10_000))).claimed).toBe(false);
  });

  it("does not finish a claim that is no longer SENDING", async () => {
    const planId = newPlan();
    await markers.claim(claimInput(planId, "a", 1_000, 1));
    await markers.markUnknown({ phone, planId, seq: 0, owner: "a", now: T0 + 5_000 });
    expect(
      await markers.finish({
        phone,
        planId,
        seq: 0,
        owner: "a",
        now: T0 + 6_000,
        status: "RETRY",
        reason: "late",
      }),
    ).toBe(false);
  });

  it("cancels a reply nobody claimed, with its reason, and never lets it be claimed", async () => {
    const planId = newPlan();
    const reply = aReply({ planId });
    const cancel = {
      phone,
      planId,
      seq: 0,
      now: T0,
      reason: "superseded" as const,
      ttlSeconds: 60,
      reply,
    };
    expect(await markers.cancel(cancel)).toBe(true);
    expect(await markers.get({ phone, planId, seq: 0 })).toMatchObject({
      status: "CANCELLED",
      cancelReason: "superseded",
    });
    expect((await markers.claim(claimInput(planId, "a"))).claimed).toBe(false);
  });

  it("does not cancel a reply that was sent", async () => {
    const planId = newPlan();
    await markers.claim(claimInput(planId, "a"));
    await markers.markSent({ phone, planId, seq: 0, owner: "a", sentAt: T0 + 2_000 });
    const reply = aReply({ planId });
    expect(
      await markers.cancel({
        phone,
        planId,
        seq: 0,
        now: T0,
        reason: "human",
        ttlSeconds: 60,
        reply,
      }),
    ).toBe(false);
  });

  it("reads nothing for a reply never tried", async () => {
    expect(await markers.get({ phone, planId: newPlan(), seq: 3 })).toBeUndefined();
  });
});
