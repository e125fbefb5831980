import { beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoPlanStore } from "../../../lambdas/adapters/DynamoConversationTable.js";
import { type PlanItem, planItem } from "../../../lambdas/core/conversationLog.js";
import { planIdFor } from "../../../lambdas/core/respondToJob.js";
import { provisionForTest } from "../../support/localAws.js";
import { aJob } from "../../support/replyFixtures.js";

/** PLAN items on DynamoDB Local: the first plan stored under an id is the job's plan. */

let plans: DynamoPlanStore;
let counter = 0;

beforeAll(async () => {
  const resources = await provisionForTest();
  plans = new DynamoPlanStore(
    createDocumentClient(resources.awsEnv),
    resources.tables.conversation,
  );
});

function aPlan(texts: string[], key = `job-plan-${++counter}-${Date.now()}`): PlanItem {
  const job = aJob({ key, acceptedAt: 1_800_000_000_000 });
  return planItem({
    planId: planIdFor(job.key),
    webhook: job.webhook,
    messageKey: job.key,
    planAt: job.acceptedAt,
    acceptedAt: job.acceptedAt,
    keep: false,
    source: "policy",
    messages: texts.map((text, i) => ({ text, delayMs: i * 1000 })),
    now: job.acceptedAt,
    ttlSeconds: 3600,
  });
}

describe("DynamoPlanStore", () => {
  it("reads back the plan it stored, in the contact's partition", async () => {
    const plan = aPlan(["a", "b"]);
    expect(await plans.create(plan)).toEqual(plan);
    expect(await plans.get(plan.phone, plan.planId)).toEqual(plan);
    expect(plan).toMatchObject({ pk: `PHONE#${plan.phone}`, sk: `PLAN#${plan.planId}` });
  });

  it("stores a plan once: a second create gets the stored plan back", async () => {
    const key = `job-twice-${Date.now()}`;
    const first = aPlan(["first"], key);
    expect(await plans.create(first)).toEqual(first);
    expect((await plans.create(aPlan(["second"], key))).messages.map((m) => m.text)).toEqual([
      "first",
    ]);
    expect((await plans.get(first.phone, first.planId))?.messages.map((m) => m.text)).toEqual([
      "first",
    ]);
  });

  it("has no plan for a job never planned", async () => {
    expect(await plans.get("14155550000", planIdFor("never"))).toBeUndefined();
  });

  it("keeps the first plan when two copies of a job store theirs at once", async () => {
    const key = `job-race-${Date.now()}`;
    const first = aPlan(["first"], key);
    const second = aPlan(["second"], key);
    const stored = await Promise.all([plans.create(first), plans.create(second)]);
    const kept = await plans.get(first.phone, first.planId);
    expect(stored).toEqual([kept, kept]);
    expect([["first"], ["second"]]).toContainEqual(kept?.messages.map((m) => m.text));
  });

  it("stores a no-reply plan", async () => {
    const plan = aPlan([]);
    await plans.create(plan);
    expect((await plans.get(plan.phone, plan.planId))?.messages).toEqual([]);
  });
});
