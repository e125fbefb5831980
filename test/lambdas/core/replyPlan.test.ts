import { describe, expect, it } from "vitest";
import {
  buildReplyPlan,
  planIdFor,
  ReplyPlanError,
  shouldReply,
} from "../../../lambdas/core/replyPlan.js";
import { aJob, aWebhook } from "../../support/replyFixtures.js";

describe("planIdFor", () => {
  it("is the same for the same job key (a redelivered job gets the same plan)", () => {
    expect(planIdFor("key-1")).toBe(planIdFor("key-1"));
  });

  it("differs between job keys", () => {
    expect(planIdFor("key-1")).not.toBe(planIdFor("key-2"));
  });

  it("does not contain the key itself", () => {
    expect(planIdFor("14155552671|1700000000")).not.toContain("14155552671");
  });
});

describe("buildReplyPlan", () => {
  const job = aJob({ acceptedAt: 1_000_000 });

  it("numbers messages in order and sets dueAt = acceptedAt + delay", () => {
    const plan = buildReplyPlan(job, [
      { text: "a", delayMs: 0 },
      { text: "b", delayMs: 2000 },
      { text: "c", delayMs: 3500 },
    ]);
    expect(plan.map((r) => [r.seq, r.total, r.dueAt, r.text])).toEqual([
      [0, 3, 1_000_000, "a"],
      [1, 3, 1_002_000, "b"],
      [2, 3, 1_003_500, "c"],
    ]);
    expect(new Set(plan.map((r) => r.planId))).toEqual(new Set([planIdFor(job.key)]));
  });

  it("addresses the contact of the webhook", () => {
    const [reply] = buildReplyPlan(job, [{ text: "a", delayMs: 0 }]);
    expect(reply).toMatchObject({ kind: "scheduled-reply", version: 1, phone: "14155552671" });
    expect(reply?.userId).toBe(job.webhook.userId);
  });

  it("carries attachments", () => {
    const [reply] = buildReplyPlan(job, [
      { text: "a", delayMs: 0, attachment: "https://x.test/a.pdf", filename: "a.pdf" },
    ]);
    expect(reply).toMatchObject({ attachment: "https://x.test/a.pdf", filename: "a.pdf" });
  });

  it("is empty when the policy answers nothing", () => {
    expect(buildReplyPlan(job, [])).toEqual([]);
  });

  it("rejects a custom policy's out-of-order delays", () => {
    expect(() =>
      buildReplyPlan(job, [
        { text: "a", delayMs: 5 },
        { text: "b", delayMs: 1 },
      ]),
    ).toThrow(ReplyPlanError);
  });

  it("rejects a negative delay", () => {
    expect(() => buildReplyPlan(job, [{ text: "a", delayMs: -1 }])).toThrow(/delayMs/);
  });

  it("rejects a blank text", () => {
    expect(() => buildReplyPlan(job, [{ text: " ", delayMs: 0 }])).toThrow(/non-blank/);
  });
});

describe("shouldReply", () => {
  it("replies to incoming messages", () => {
    expect(shouldReply(aWebhook({ incomingMessage: true }))).toBe(true);
  });

  it("replies when the payload does not say (older payloads are incoming-only)", () => {
    expect(shouldReply(aWebhook({ incomingMessage: null }))).toBe(true);
  });

  it("does not reply to the business's own outgoing messages", () => {
    expect(shouldReply(aWebhook({ incomingMessage: false }))).toBe(false);
  });
});
