import { describe, expect, it } from "vitest";
import { ReplyPlanError } from "../../../lambdas/core/errors.js";
import {
  parseReplyRules,
  type ReplyPolicy,
  rulesPolicy,
} from "../../../lambdas/core/replyRules.js";
import {
  buildReplyPlan,
  planIdFor,
  type RespondDeps,
  respondToJob,
  shouldReply,
} from "../../../lambdas/core/respondToJob.js";
import {
  MemoryLog,
  RecordingQueue,
  SimulatedClock,
  silentLogger,
} from "../../support/replyFakes.js";
import { aJob, aWebhook } from "../../support/replyFixtures.js";

const rules = parseReplyRules([
  {
    match: "hello",
    messages: [
      { text: "a", delay: 0 },
      { text: "b", delay: 2000 },
      { text: "c", delay: 3500 },
    ],
  },
]);

function deps(policy: ReplyPolicy = rulesPolicy(rules), maxHopSeconds = 900) {
  const clock = new SimulatedClock(1_000_000);
  const conversationLog = new MemoryLog();
  const repliesQueue = new RecordingQueue(clock);
  const respond: RespondDeps = {
    conversationLog,
    repliesQueue,
    policy,
    clock,
    logger: silentLogger,
    settings: { maxHopSeconds, ttlSeconds: 3600 },
  };
  return { respond, conversationLog, repliesQueue, clock };
}

describe("respondToJob", () => {
  const hello = aWebhook().lastMessages.map((entry) => ({ ...entry, content: "hello" }));
  const job = aJob({
    acceptedAt: 1_000_000,
    webhook: aWebhook({ lastMessageOfUser: "hello", lastMessages: hello }),
  });

  it("schedules each message of the plan with the delay that brings it to its due time", async () => {
    const { respond, repliesQueue } = deps();
    const result = await respondToJob(job, respond);
    expect(result).toMatchObject({ planned: 3, planId: planIdFor(job.key) });
    expect(repliesQueue.sent.map((s) => [s.body.seq, s.body.text, s.delaySeconds])).toEqual([
      [0, "a", 0],
      [1, "b", 2],
      [2, "c", 3],
    ]);
  });

  it("never delays a message longer than one hop", async () => {
    const { respond, repliesQueue } = deps(rulesPolicy(rules), 1);
    await respondToJob(job, respond);
    expect(repliesQueue.sent.map((s) => s.delaySeconds)).toEqual([0, 1, 1]);
  });

  it("schedules late jobs for immediate delivery", async () => {
    const { respond, repliesQueue, clock } = deps();
    clock.current = 1_000_000 + 60_000;
    await respondToJob(job, respond);
    expect(repliesQueue.sent.map((s) => s.delaySeconds)).toEqual([0, 0, 0]);
  });

  it("logs the conversation before replying", async () => {
    const { respond, conversationLog } = deps();
    const result = await respondToJob(job, respond);
    expect(result.logged).toBe(1);
    expect([...conversationLog.items.values()].map((i) => [i.role, i.content])).toEqual([
      ["user", "hello"],
    ]);
  });

  it("logs but does not answer the business's own outgoing messages", async () => {
    const { respond, repliesQueue, conversationLog } = deps();
    const outgoing = aJob({
      webhook: aWebhook({ incomingMessage: false, lastMessageOfUser: "hello" }),
    });
    expect(await respondToJob(outgoing, respond)).toMatchObject({ planned: 0 });
    expect(repliesQueue.sent).toHaveLength(0);
    expect(conversationLog.items.size).toBeGreaterThan(0);
  });

  it("schedules nothing when no rule matches", async () => {
    const { respond, repliesQueue } = deps();
    await respondToJob(aJob({ webhook: aWebhook({ lastMessageOfUser: "bye" }) }), respond);
    expect(repliesQueue.sent).toHaveLength(0);
  });

  it("gives a repeated job the same plan id and sequence", async () => {
    const { respond, repliesQueue } = deps();
    await respondToJob(job, respond);
    await respondToJob(job, respond);
    const ids = repliesQueue.sent.map((s) => `${s.body.planId}#${s.body.seq}`);
    expect(new Set(ids).size).toBe(3);
  });

  it("passes the webhook and acceptance time to a custom policy", async () => {
    const seen: number[] = [];
    const { respond, repliesQueue } = deps(({ webhook, acceptedAt }) => {
      seen.push(acceptedAt);
      return [{ text: `Hello ${webhook.recipientName}`, delayMs: 0 }];
    });
    await respondToJob(job, respond);
    expect(seen).toEqual([1_000_000]);
    expect(repliesQueue.sent[0]?.body.text).toBe("Hello Ada");
  });

  it("fails a job whose custom policy answers an unusable plan", async () => {
    const { respond } = deps(() => [{ text: "", delayMs: 0 }]);
    await expect(respondToJob(job, respond)).rejects.toThrow(ReplyPlanError);
  });
});

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
