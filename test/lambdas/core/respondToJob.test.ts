import { describe, expect, it } from "vitest";
import { ReplyPlanError } from "../../../lambdas/core/errors.js";
import {
  ReplyPolicyAnswerError,
  ReplyPolicyUnavailableError,
} from "../../../lambdas/core/replyPolicy.js";
import {
  parseReplyRules,
  type ReplyPolicy,
  rulesPolicy,
} from "../../../lambdas/core/replyRules.js";
import {
  checkMessages,
  planIdFor,
  type RespondDeps,
  respondToJob,
  shouldReply,
} from "../../../lambdas/core/respondToJob.js";
import {
  MemoryLog,
  MemoryPlans,
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
  const plans = new MemoryPlans();
  const respond: RespondDeps = {
    conversationLog,
    plans,
    repliesQueue,
    policy,
    clock,
    logger: silentLogger,
    settings: { maxHopSeconds, ttlSeconds: 3600, policyRetryBaseSeconds: 2, maxAttempts: 3 },
  };
  return { respond, conversationLog, repliesQueue, clock, plans };
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
    expect(result).toMatchObject({ outcome: "done", logged: 1 });
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

describe("respondToJob: the stored plan", () => {
  const job = aJob({ acceptedAt: 1_000_000 });

  it("numbers messages in order and sets dueAt = acceptedAt + delay", async () => {
    const { respond, repliesQueue } = deps(() => [
      { text: "a", delayMs: 0 },
      { text: "b", delayMs: 2000 },
      { text: "c", delayMs: 3500 },
    ]);
    await respondToJob(job, respond);
    const plan = repliesQueue.sent.map((s) => s.body);
    expect(plan.map((r) => [r.seq, r.total, r.dueAt, r.text])).toEqual([
      [0, 3, 1_000_000, "a"],
      [1, 3, 1_002_000, "b"],
      [2, 3, 1_003_500, "c"],
    ]);
    expect(new Set(plan.map((r) => r.planId))).toEqual(new Set([planIdFor(job.key)]));
  });

  it("addresses the contact of the webhook and carries attachments", async () => {
    const { respond, repliesQueue } = deps(() => [
      { text: "a", delayMs: 0, attachment: "https://x.test/a.pdf", filename: "a.pdf" },
    ]);
    await respondToJob(job, respond);
    const reply = repliesQueue.sent[0]?.body;
    expect(reply).toMatchObject({
      kind: "scheduled-reply",
      version: 1,
      phone: job.webhook.phone,
      attachment: "https://x.test/a.pdf",
      filename: "a.pdf",
    });
    expect(reply?.userId).toBe(job.webhook.userId);
  });

  it("stores the plan before the first reply is queued", async () => {
    const { respond, repliesQueue, plans } = deps(() => [
      { text: "a", delayMs: 0 },
      { text: "b", delayMs: 10 },
    ]);
    const queuedWithPlanStored: boolean[] = [];
    const send = repliesQueue.send.bind(repliesQueue);
    repliesQueue.send = async (body, options) => {
      queuedWithPlanStored.push(plans.plans.size === 1);
      await send(body, options);
    };
    await respondToJob(job, respond);
    expect(queuedWithPlanStored).toEqual([true, true]);
  });

  it("asks the policy once for a job delivered twice, and queues the same replies again", async () => {
    let asked = 0;
    const { respond, repliesQueue } = deps(() => {
      asked += 1;
      return [{ text: `answer ${asked}`, delayMs: 0 }];
    });
    const first = await respondToJob(job, respond);
    const second = await respondToJob(job, respond);
    expect(asked).toBe(1);
    expect(first).toMatchObject({ reusedPlan: false });
    expect(second).toMatchObject({ reusedPlan: true, planned: 1 });
    expect(repliesQueue.sent.map((s) => s.body.text)).toEqual(["answer 1", "answer 1"]);
  });

  it("reuses the plan when the worker failed after storing it, before queueing", async () => {
    let asked = 0;
    const { respond, repliesQueue } = deps(() => {
      asked += 1;
      return [{ text: "once", delayMs: 0 }];
    });
    const send = repliesQueue.send.bind(repliesQueue);
    repliesQueue.send = async () => {
      throw new Error("the worker died here");
    };
    await expect(respondToJob(job, respond)).rejects.toThrow("the worker died here");
    repliesQueue.send = send;
    await respondToJob(job, respond);
    expect(asked).toBe(1);
    expect(repliesQueue.sent.map((s) => s.body.text)).toEqual(["once"]);
  });

  it("stores a no-reply answer too, so it is not asked again", async () => {
    let asked = 0;
    const { respond, plans } = deps(() => {
      asked += 1;
      return [];
    });
    await respondToJob(job, respond);
    await respondToJob(job, respond);
    expect(asked).toBe(1);
    expect([...plans.plans.values()][0]?.messages).toEqual([]);
  });

  it("keeps the plan another copy of the job stored first", async () => {
    const { respond, repliesQueue, plans } = deps(() => [{ text: "mine", delayMs: 0 }]);
    const create = plans.create.bind(plans);
    plans.create = async (plan) => {
      await create({ ...plan, messages: [{ seq: 0, text: "theirs", dueAt: plan.acceptedAt }] });
      return create(plan);
    };
    await respondToJob(job, respond);
    expect(repliesQueue.sent.map((s) => s.body.text)).toEqual(["theirs"]);
  });
});

describe("respondToJob: an unavailable policy", () => {
  const job = aJob({ acceptedAt: 1_000_000 });
  const unavailable = () => {
    throw new ReplyPolicyUnavailableError("the reply policy answered HTTP 503", 503);
  };

  it("comes back later with a backoff that grows per attempt, storing no plan", async () => {
    const { respond, plans, repliesQueue } = deps(unavailable);
    const delays: number[] = [];
    for (const receiveCount of [1, 2]) {
      const result = await respondToJob(job, respond, { receiveCount });
      expect(result).toMatchObject({ outcome: "retry", lastAttempt: false });
      if (result.outcome === "retry") delays.push(result.afterSeconds);
    }
    expect(delays).toEqual([2, 3]);
    expect(plans.plans.size).toBe(0);
    expect(repliesQueue.sent).toHaveLength(0);
  });

  it("says so on the last attempt, after which the queue moves the job to its DLQ", async () => {
    const { respond } = deps(unavailable);
    const lines: string[] = [];
    respond.logger = { ...silentLogger, error: (message) => lines.push(message) };
    const result = await respondToJob(job, respond, { receiveCount: 3 });
    expect(result).toMatchObject({ outcome: "retry", lastAttempt: true, afterSeconds: 0 });
    expect(lines).toEqual([
      "reply policy unavailable on the last attempt; the job goes to the DLQ",
    ]);
  });

  it("waits at least as long as the policy's Retry-After", async () => {
    const { respond } = deps(() => {
      throw new ReplyPolicyUnavailableError("the reply policy answered HTTP 429", 429, 120);
    });
    expect(await respondToJob(job, respond)).toMatchObject({ afterSeconds: 120 });
  });

  it("lets an invalid answer through to the handler, which sends the job to the DLQ", async () => {
    const { respond, plans } = deps(() => {
      throw new ReplyPolicyAnswerError("bad", "messages[0].text", 200);
    });
    await expect(respondToJob(job, respond)).rejects.toThrow(ReplyPolicyAnswerError);
    expect(plans.plans.size).toBe(0);
  });
});

describe("checkMessages", () => {
  it("accepts no reply", () => {
    expect(() => checkMessages([])).not.toThrow();
  });

  it("rejects a custom policy's out-of-order delays", () => {
    expect(() =>
      checkMessages([
        { text: "a", delayMs: 5 },
        { text: "b", delayMs: 1 },
      ]),
    ).toThrow(ReplyPlanError);
  });

  it("rejects a negative delay", () => {
    expect(() => checkMessages([{ text: "a", delayMs: -1 }])).toThrow(/delayMs/);
  });

  it("rejects a blank text", () => {
    expect(() => checkMessages([{ text: " ", delayMs: 0 }])).toThrow(/non-blank/);
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
