import { describe, expect, it } from "vitest";
import { defaultOptOut, messageKey } from "../../../lambdas/core/conversation.js";
import { ReplyPlanError } from "../../../lambdas/core/errors.js";
import type { NormalizedWebhook, ScheduledReply } from "../../../lambdas/core/messages.js";
import type { ReplyScheduler } from "../../../lambdas/core/ports.js";
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
} from "../../../lambdas/core/respondToJob.js";
import { SCHEDULE_LEAD_SECONDS } from "../../../lambdas/core/schedule.js";
import {
  MemoryContacts,
  RecordingQueue,
  SimulatedClock,
  silentLogger,
} from "../../support/replyFakes.js";
import { aJob, aWebhook } from "../../support/replyFixtures.js";

const rules = parseReplyRules([
  {
    match: "^hello",
    messages: [
      { text: "a", delay: 0 },
      { text: "b", delay: 2000 },
      { text: "c", delay: 3500 },
    ],
  },
  { match: "^order", onNewMessage: "keep", messages: [{ text: "order noted", delay: 0 }] },
]);

const T0 = 1_000_000;

function deps(policy: ReplyPolicy = rulesPolicy(rules), maxHopSeconds = 900) {
  const clock = new SimulatedClock(T0);
  const contacts = new MemoryContacts();
  const repliesQueue = new RecordingQueue(clock);
  const respond: RespondDeps = {
    contacts,
    repliesQueue,
    policy,
    clock,
    logger: silentLogger,
    settings: {
      maxHopSeconds,
      ttlSeconds: 3600,
      humanPauseSeconds: 60,
      optOut: defaultOptOut([]),
      policyRetryBaseSeconds: 2,
      maxAttempts: 3,
    },
  };
  return { respond, contacts, repliesQueue, clock };
}

/** A job for a customer message written at `at` (vendor time), keyed as the receiver keys it. */
function customerJob(text: string, at = T0, overrides: Partial<NormalizedWebhook> = {}) {
  const webhook = aWebhook({
    lastMessageOfUser: text,
    userLastMessageTimeMs: at,
    lastMessages: [],
    ...overrides,
  });
  return aJob({ key: messageKey(webhook), acceptedAt: at, webhook });
}

function humanJob(at: number, human: boolean | null = true) {
  const webhook = aWebhook({
    incomingMessage: false,
    wasMessageByHuman: human,
    lastMessageOfBot: "This is Sam from the shop",
    botLastMessageTimeMs: at,
  });
  return aJob({ key: messageKey(webhook), acceptedAt: at, webhook });
}

describe("respondToJob", () => {
  it("schedules each message of the plan with the delay that brings it to its due time", async () => {
    const { respond, repliesQueue } = deps();
    const job = customerJob("hello");
    expect(await respondToJob(job, respond)).toMatchObject({
      claim: "newest",
      planned: 3,
      planId: planIdFor(job.key),
    });
    expect(repliesQueue.sent.map((s) => [s.body.seq, s.body.text, s.delaySeconds])).toEqual([
      [0, "a", 0],
      [1, "b", 2],
      [2, "c", 3],
    ]);
  });

  it("logs a scheduled plan by key prefix and plan id, with keep, source and lastDueInMs only when they apply", async () => {
    const logged = async (text: string) => {
      const { respond } = deps();
      const lines: [string, Record<string, unknown> | undefined][] = [];
      respond.logger = { ...silentLogger, info: (message, extra) => lines.push([message, extra]) };
      const job = customerJob(text);
      await respondToJob(job, respond);
      const ids = { keyPrefix: job.key.slice(0, 12), planId: planIdFor(job.key) };
      return { ids, line: lines.find(([message]) => message === "reply plan scheduled")?.[1] };
    };
    // No phone: the receiver's line of this key prefix has it.
    const hello = await logged("hello");
    expect(hello.line).toEqual({ ...hello.ids, planned: 3, lastDueInMs: 3_500 });
    const order = await logged("order 42");
    expect(order.line).toEqual({ ...order.ids, planned: 1, keep: true });
    const stop = await logged("STOP");
    expect(stop.line).toEqual({ ...stop.ids, planned: 1, source: "opt-out-confirmation" });
  });

  it("never delays a message longer than one hop", async () => {
    const { respond, repliesQueue } = deps(rulesPolicy(rules), 1);
    await respondToJob(customerJob("hello"), respond);
    expect(repliesQueue.sent.map((s) => s.delaySeconds)).toEqual([0, 1, 1]);
  });

  describe("far replies (a scheduler)", () => {
    const DAY = 24 * 3600 * 1000;
    const farRules = parseReplyRules(
      [
        {
          match: "^remind",
          messages: [
            { text: "noted", delay: 0 },
            { text: "tomorrow", delay: DAY },
            { text: "in 60 days", delay: 60 * DAY },
          ],
        },
      ],
      { waitingDurationSeconds: 60 * 24 * 3600 },
    );
    const made: { name: string; fireAt: number; body: ScheduledReply }[] = [];
    const scheduler: ReplyScheduler = {
      schedule: async (body, options) => {
        const exists = made.some((m) => m.name === options.name);
        made.push({ ...options, body: body as ScheduledReply });
        return exists ? "exists" : "created";
      },
    };

    it("queues a reply one hop reaches and puts each further one in a schedule named for it", async () => {
      made.length = 0;
      const { respond, repliesQueue } = deps(rulesPolicy(farRules));
      const job = customerJob("remind me");
      expect(await respondToJob(job, { ...respond, scheduler })).toMatchObject({ planned: 3 });
      expect(repliesQueue.sent.map((s) => s.body.text)).toEqual(["noted"]);
      const planId = planIdFor(job.key);
      expect(made.map((m) => [m.name, m.fireAt, m.body.text])).toEqual([
        [`${planId}-001`, T0 + DAY - SCHEDULE_LEAD_SECONDS * 1000, "tomorrow"],
        [`${planId}-002`, T0 + 60 * DAY - SCHEDULE_LEAD_SECONDS * 1000, "in 60 days"],
      ]);
    });

    it("names the same schedules when the job is delivered again, so a retry makes none twice", async () => {
      made.length = 0;
      const { respond } = deps(rulesPolicy(farRules));
      const job = customerJob("remind me");
      await respondToJob(job, { ...respond, scheduler });
      await respondToJob(job, { ...respond, scheduler }, { receiveCount: 2 });
      const names = made.map((m) => `${m.name}@${m.fireAt}`);
      expect(names.slice(2)).toEqual(names.slice(0, 2));
    });

    it("chains far replies through the queue when the stack has no scheduler", async () => {
      const { respond, repliesQueue } = deps(rulesPolicy(farRules));
      await respondToJob(customerJob("remind me"), respond);
      expect(repliesQueue.sent.map((s) => [s.body.text, s.delaySeconds])).toEqual([
        ["noted", 0],
        ["tomorrow", 900],
        ["in 60 days", 900],
      ]);
    });
  });

  it("logs the message and the plan it got as one item", async () => {
    const { respond, contacts } = deps();
    const job = customerJob("hello");
    await respondToJob(job, respond);
    const [item, ...others] = [...contacts.messages.values()];
    expect(others).toEqual([]);
    expect(item).toMatchObject({ role: "user", content: "hello", planId: planIdFor(job.key) });
    expect(item?.plan?.messages.map((m) => m.text)).toEqual(["a", "b", "c"]);
    expect(item?.noReplyReason).toBeUndefined();
  });

  it("keeps the message as long as its plan's last reply needs it", async () => {
    const { respond, contacts } = deps(() => [
      { text: "now", delayMs: 0 },
      { text: "in two days", delayMs: 2 * 86_400_000 },
    ]);
    await respondToJob(customerJob("hi"), respond);
    const [item] = [...contacts.messages.values()];
    // ttlSeconds 3600 after the last due reply, not after the message.
    expect(item?.expiresAt).toBe(Math.floor((T0 + 2 * 86_400_000) / 1000) + 3600);
  });

  it("asks the policy once: a redelivered job queues the stored plan again", async () => {
    let asked = 0;
    const { respond, repliesQueue } = deps(() => {
      asked += 1;
      return [{ text: `answer ${asked}`, delayMs: 0 }];
    });
    const job = customerJob("hello");
    await respondToJob(job, respond);
    const again = await respondToJob(job, respond);
    expect(asked).toBe(1);
    expect(again).toMatchObject({ claim: "handled", reusedPlan: true, planned: 1 });
    expect(repliesQueue.sent.map((s) => s.body.text)).toEqual(["answer 1", "answer 1"]);
  });

  it("carries the rule's onNewMessage keep into the plan and its replies", async () => {
    const { respond, repliesQueue, contacts } = deps();
    const job = customerJob("order 42");
    await respondToJob(job, respond);
    expect(contacts.planOf(planIdFor(job.key))?.keep).toBe(true);
    expect(repliesQueue.sent[0]?.body).toMatchObject({ keep: true, planAt: T0 });
  });

  it("makes a newer message the contact's plan", async () => {
    const { respond, contacts } = deps();
    await respondToJob(customerJob("hello", T0), respond);
    const newer = customerJob("hello again", T0 + 5000);
    await respondToJob(newer, respond);
    expect((await contacts.getContact(newer.webhook.phone))?.planId).toBe(planIdFor(newer.key));
  });

  it("plans the later of two messages written in one vendor second, whatever order they are handled in", async () => {
    const { respond, contacts } = deps();
    // The vendor's times are whole seconds: "hello" then "order 7" 300 ms apart share one.
    const first = { ...customerJob("hello", T0), acceptedAt: T0 + 100 };
    const second = { ...customerJob("order 7", T0), acceptedAt: T0 + 400 };
    await respondToJob(second, respond);
    expect(await respondToJob(first, respond)).toMatchObject({ claim: "older", planned: 0 });
    expect((await contacts.getContact(first.webhook.phone))?.planId).toBe(planIdFor(second.key));
  });

  it("never lets a repeat of a handled message take the contact from a newer one of the same second", async () => {
    const { respond, contacts } = deps();
    const first = { ...customerJob("hello", T0), acceptedAt: T0 + 100 };
    const second = { ...customerJob("order 7", T0), acceptedAt: T0 + 400 };
    await respondToJob(first, respond);
    await respondToJob(second, respond);
    // The vendor delivers "hello" again after SQS's 5-minute window: accepted last of all.
    const repeat = { ...first, acceptedAt: T0 + 400_000 };
    expect(await respondToJob(repeat, respond)).toMatchObject({ claim: "handled" });
    expect((await contacts.getContact(first.webhook.phone))?.planId).toBe(planIdFor(second.key));
  });

  it("recognises a repeat queued behind its first delivery, though that delivery's item was written just before", async () => {
    const { respond, contacts } = deps();
    // The responder was down longer than SQS's 5-minute window: the first delivery, a newer
    // message of the same second and the vendor's repeat wait in the contact's FIFO group and
    // run back to back; an eventually consistent read would not yet see the first one's item.
    contacts.lagReplica();
    const first = { ...customerJob("hello", T0), acceptedAt: T0 + 100 };
    const second = { ...customerJob("order 7", T0), acceptedAt: T0 + 400 };
    const repeat = { ...first, acceptedAt: T0 + 400_000 };
    await respondToJob(first, respond);
    await respondToJob(second, respond);
    expect(await respondToJob(repeat, respond)).toMatchObject({ claim: "handled" });
    expect((await contacts.getContact(first.webhook.phone))?.planId).toBe(planIdFor(second.key));
  });

  it("does nothing for a repeat of a message that got no reply, and keeps why", async () => {
    const { respond, contacts, repliesQueue } = deps();
    await respondToJob(customerJob("hello again", T0 + 5000), respond);
    const late = customerJob("hello", T0);
    await respondToJob(late, respond);
    const stored = [...contacts.messages.values()].map((m) => m.noReplyReason);
    expect(await respondToJob(late, respond)).toMatchObject({
      claim: "handled",
      planned: 0,
      noReplyReason: "older_than_newest",
    });
    expect([...contacts.messages.values()].map((m) => m.noReplyReason)).toEqual(stored);
    expect(repliesQueue.sent).toHaveLength(3);
  });

  it("reads what is stored for a message once per job, before any claim", async () => {
    const { respond, contacts } = deps();
    await respondToJob(customerJob("hello"), respond);
    expect(contacts.reads).toBe(1);
  });

  it("gives an older message delivered late no plan and cancels nothing", async () => {
    const { respond, contacts, repliesQueue } = deps();
    const newer = customerJob("hello again", T0 + 5000);
    await respondToJob(newer, respond);
    const result = await respondToJob(customerJob("hello", T0), respond);
    expect(result).toMatchObject({
      claim: "older",
      planned: 0,
      noReplyReason: "older_than_newest",
    });
    expect((await contacts.getContact(newer.webhook.phone))?.planId).toBe(planIdFor(newer.key));
    expect(repliesQueue.sent).toHaveLength(3);
  });

  it("keeps the plan a message got when its job is redelivered after a newer message", async () => {
    const { respond, contacts } = deps();
    const first = customerJob("hello", T0);
    await respondToJob(first, respond);
    await respondToJob(customerJob("hello again", T0 + 5000), respond);
    // Handled before: its stored plan is queued again, the newer message's claim left alone (the
    // sender cancels the superseded replies and never sends one twice).
    expect(await respondToJob(first, respond)).toMatchObject({
      claim: "handled",
      reusedPlan: true,
    });
    expect(contacts.planOf(planIdFor(first.key))?.messages).toHaveLength(3);
    expect((await contacts.getContact(first.webhook.phone))?.planId).not.toBe(planIdFor(first.key));
  });

  it("pauses the contact when a person at the business writes", async () => {
    const { respond, contacts } = deps();
    const result = await respondToJob(humanJob(T0), respond);
    expect(result).toMatchObject({ planned: 0, noReplyReason: "outgoing" });
    expect(await contacts.getContact("14155552671")).toMatchObject({
      pausedUntil: T0 + 60_000,
      pauseReason: "human",
      cancelBefore: T0,
    });
  });

  it.each([
    ["our own sends echoed back", null],
    ["a human flag that is not strictly true", false],
  ])("pauses nothing for %s", async (_name, human) => {
    const { respond, contacts } = deps();
    await respondToJob(humanJob(T0, human), respond);
    expect(await contacts.getContact("14155552671")).toBeUndefined();
  });

  it("does not pause when the human pause is 0 (takeover off)", async () => {
    const { respond, contacts } = deps();
    respond.settings.humanPauseSeconds = 0;
    await respondToJob(humanJob(T0), respond);
    expect(await contacts.getContact("14155552671")).toBeUndefined();
  });

  it("answers no customer message during a pause, and again after it", async () => {
    const { respond, repliesQueue } = deps();
    await respondToJob(humanJob(T0), respond);
    expect(await respondToJob(customerJob("hello", T0 + 30_000), respond)).toMatchObject({
      noReplyReason: "paused",
    });
    expect(repliesQueue.sent).toHaveLength(0);
    expect(await respondToJob(customerJob("hello", T0 + 61_000), respond)).toMatchObject({
      planned: 3,
    });
  });

  it("confirms a stop word once and answers nothing until a start word", async () => {
    const { respond, repliesQueue, contacts } = deps();
    expect(await respondToJob(customerJob("Stop!", T0), respond)).toMatchObject({ planned: 1 });
    expect(repliesQueue.sent[0]?.body.text).toMatch(/START/);
    expect(await respondToJob(customerJob("STOP", T0 + 1000), respond)).toMatchObject({
      noReplyReason: "already_opted_out",
    });
    expect(await respondToJob(customerJob("hello", T0 + 2000), respond)).toMatchObject({
      noReplyReason: "opted_out",
    });
    expect(repliesQueue.sent).toHaveLength(1);
    expect(await respondToJob(customerJob("hello", T0 + 3000, {}), respond)).toMatchObject({
      noReplyReason: "opted_out",
    });
    await respondToJob(customerJob("start", T0 + 4000), respond);
    expect((await contacts.getContact("14155552671"))?.optedOut).toBe(false);
    expect(await respondToJob(customerJob("hello", T0 + 5000), respond)).toMatchObject({
      planned: 3,
    });
  });

  it("honours a stop word delivered late, without a confirmation", async () => {
    const { respond, contacts } = deps();
    await respondToJob(customerJob("hello", T0 + 5000), respond);
    expect(await respondToJob(customerJob("STOP", T0), respond)).toMatchObject({
      claim: "older",
      planned: 0,
    });
    expect((await contacts.getContact("14155552671"))?.optedOut).toBe(true);
  });

  it("acknowledges a number that cannot be valid without a reply, saying why", async () => {
    const { respond, contacts, repliesQueue } = deps();
    const job = customerJob("hello", T0, { phone: "4155552671" });
    expect(await respondToJob(job, respond)).toMatchObject({ noReplyReason: "invalid_phone" });
    expect(repliesQueue.sent).toHaveLength(0);
    expect([...contacts.messages.values()][0]).toMatchObject({ noReplyReason: "invalid_phone" });
    expect(await contacts.getContact("4155552671")).toBeUndefined();
  });

  it("stores an empty plan when no rule matches, so a redelivery does not ask again", async () => {
    let asked = 0;
    const { respond, repliesQueue, contacts } = deps(() => {
      asked += 1;
      return [];
    });
    const job = customerJob("bye");
    expect(await respondToJob(job, respond)).toMatchObject({ noReplyReason: "no_rule_matched" });
    expect(await respondToJob(job, respond)).toMatchObject({
      claim: "handled",
      reusedPlan: true,
      noReplyReason: "no_rule_matched",
    });
    expect(asked).toBe(1);
    expect([...contacts.messages.values()]).toEqual([
      expect.objectContaining({ noReplyReason: "no_rule_matched", plan: expect.anything() }),
    ]);
    expect(repliesQueue.sent).toHaveLength(0);
  });

  it("passes the webhook, acceptance time and job key to a custom policy", async () => {
    const seen: [number, string][] = [];
    const { respond, repliesQueue } = deps(({ webhook, acceptedAt, jobKey }) => {
      seen.push([acceptedAt, jobKey]);
      return [{ text: `Hello ${webhook.recipientName}`, delayMs: 0 }];
    });
    const job = customerJob("hi");
    await respondToJob(job, respond);
    expect(seen).toEqual([[T0, job.key]]);
    expect(repliesQueue.sent[0]?.body.text).toBe("Hello Ada");
  });

  it("fails a job whose custom policy answers an unusable plan", async () => {
    const { respond } = deps(() => [{ text: "", delayMs: 0 }]);
    await expect(respondToJob(customerJob("hi"), respond)).rejects.toThrow(ReplyPlanError);
  });
});

describe("respondToJob: the stored plan", () => {
  it("numbers messages in order and sets dueAt = acceptedAt + delay", async () => {
    const { respond, repliesQueue } = deps(() => [
      { text: "a", delayMs: 0 },
      { text: "b", delayMs: 2000 },
      { text: "c", delayMs: 3500 },
    ]);
    const job = customerJob("hi");
    await respondToJob(job, respond);
    const plan = repliesQueue.sent.map((s) => s.body);
    expect(plan.map((r) => [r.seq, r.total, r.dueAt, r.text])).toEqual([
      [0, 3, T0, "a"],
      [1, 3, T0 + 2000, "b"],
      [2, 3, T0 + 3500, "c"],
    ]);
    expect(new Set(plan.map((r) => r.planId))).toEqual(new Set([planIdFor(job.key)]));
  });

  it("addresses the contact of the webhook and carries attachments", async () => {
    const { respond, repliesQueue } = deps(() => [
      { text: "a", delayMs: 0, attachment: "https://x.test/a.pdf", filename: "a.pdf" },
    ]);
    const job = customerJob("hi");
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
    const { respond, repliesQueue, contacts } = deps(() => [
      { text: "a", delayMs: 0 },
      { text: "b", delayMs: 10 },
    ]);
    const queuedWithPlanStored: boolean[] = [];
    const send = repliesQueue.send.bind(repliesQueue);
    repliesQueue.send = async (body, options) => {
      queuedWithPlanStored.push(contacts.planOf((body as ScheduledReply).planId) !== undefined);
      await send(body, options);
    };
    await respondToJob(customerJob("hi"), respond);
    expect(queuedWithPlanStored).toEqual([true, true]);
  });

  it("reuses the plan when the worker failed after storing it, before queueing", async () => {
    let asked = 0;
    const { respond, repliesQueue } = deps(() => {
      asked += 1;
      return [{ text: "once", delayMs: 0 }];
    });
    const job = customerJob("hi");
    const send = repliesQueue.send.bind(repliesQueue);
    repliesQueue.send = async () => {
      throw new Error("the worker died here");
    };
    await expect(respondToJob(job, respond)).rejects.toThrow("the worker died here");
    repliesQueue.send = send;
    expect(await respondToJob(job, respond)).toMatchObject({ claim: "handled", reusedPlan: true });
    expect(asked).toBe(1);
    expect(repliesQueue.sent.map((s) => s.body.text)).toEqual(["once"]);
  });

  it("keeps the plan another copy of the job stored first", async () => {
    const { respond, repliesQueue, contacts } = deps(() => [{ text: "mine", delayMs: 0 }]);
    const record = contacts.recordMessage.bind(contacts);
    contacts.recordMessage = async (item) => {
      if (item.plan) {
        const theirs = [{ text: "theirs", dueAt: T0 }];
        await record({ ...item, plan: { ...item.plan, messages: theirs } });
      }
      return record(item);
    };
    await respondToJob(customerJob("hi"), respond);
    expect(repliesQueue.sent.map((s) => s.body.text)).toEqual(["theirs"]);
    expect(contacts.planOf(planIdFor(customerJob("hi").key))?.messages[0]?.text).toBe("theirs");
  });

  it("finds the plan of an undated message redelivered after the dedupe window", async () => {
    let asked = 0;
    const { respond, repliesQueue, contacts } = deps(() => {
      asked += 1;
      return [{ text: "once", delayMs: 0 }];
    });
    // No vendor time: the message is keyed and timed by its acceptance.
    const webhook = aWebhook({ lastMessageOfUser: "hi", userLastMessageTimeMs: null });
    const key = messageKey(webhook);
    await respondToJob(aJob({ key, acceptedAt: T0, webhook }), respond);
    const later = await respondToJob(aJob({ key, acceptedAt: T0 + 600_000, webhook }), respond);
    expect(later).toMatchObject({ claim: "same", reusedPlan: true, planned: 1 });
    expect(asked).toBe(1);
    expect(contacts.messages.size).toBe(1);
    expect(repliesQueue.sent.map((s) => s.body.dueAt)).toEqual([T0, T0]);
  });
});

describe("respondToJob: an unavailable policy", () => {
  const unavailable = () => {
    throw new ReplyPolicyUnavailableError("the reply policy answered HTTP 503", 503);
  };

  it("comes back later with a backoff that grows per attempt, storing no plan", async () => {
    const { respond, contacts, repliesQueue } = deps(unavailable);
    const job = customerJob("hi");
    const delays: number[] = [];
    for (const receiveCount of [1, 2]) {
      const result = await respondToJob(job, respond, { receiveCount });
      expect(result).toMatchObject({ outcome: "retry", lastAttempt: false });
      if (result.outcome === "retry") delays.push(result.afterSeconds);
    }
    expect(delays).toEqual([2, 3]);
    expect(contacts.planOf(planIdFor(job.key))).toBeUndefined();
    expect(repliesQueue.sent).toHaveLength(0);
  });

  it("asks again on the next attempt and schedules its answer then", async () => {
    let up = false;
    const { respond, repliesQueue } = deps(() => {
      if (!up) throw new ReplyPolicyUnavailableError("the reply policy timed out");
      return [{ text: "back", delayMs: 0 }];
    });
    const job = customerJob("hi");
    expect(await respondToJob(job, respond)).toMatchObject({ outcome: "retry" });
    up = true;
    expect(await respondToJob(job, respond, { receiveCount: 2 })).toMatchObject({
      outcome: "done",
      claim: "same",
      planned: 1,
      reusedPlan: false,
    });
    expect(repliesQueue.sent.map((s) => s.body.text)).toEqual(["back"]);
  });

  it("says so on the last attempt, after which the responder moves the job to its DLQ", async () => {
    const { respond } = deps(unavailable);
    const lines: string[] = [];
    respond.logger = { ...silentLogger, warn: (message) => lines.push(message) };
    const result = await respondToJob(customerJob("hi"), respond, { receiveCount: 3 });
    expect(result).toMatchObject({ outcome: "retry", lastAttempt: true, afterSeconds: 0 });
    expect(lines).toEqual([
      "reply policy unavailable on the last attempt; the job goes to the DLQ",
    ]);
  });

  it("logs the customer's message (policy_unavailable) when it gives up on the last attempt", async () => {
    const { respond, contacts } = deps(unavailable);
    const job = customerJob("hi");
    await respondToJob(job, respond, { receiveCount: 1 });
    expect(contacts.messages.size).toBe(0);
    await respondToJob(job, respond, { receiveCount: 3 });
    expect([...contacts.messages.values()]).toEqual([
      expect.objectContaining({ content: "hi", noReplyReason: "policy_unavailable" }),
    ]);
  });

  it("stores the plan of a job redriven after the last attempt on its logged message", async () => {
    let up = false;
    const { respond, contacts, repliesQueue } = deps(() => {
      if (!up) throw new ReplyPolicyUnavailableError("the reply policy timed out");
      return [{ text: "back", delayMs: 0 }];
    });
    const job = customerJob("hi");
    await respondToJob(job, respond, { receiveCount: 3 });
    up = true;
    expect(await respondToJob(job, respond, { receiveCount: 1 })).toMatchObject({ planned: 1 });
    const [item, ...others] = [...contacts.messages.values()];
    expect(others).toEqual([]);
    expect(item?.plan?.messages.map((m) => m.text)).toEqual(["back"]);
    expect(item?.noReplyReason).toBeUndefined();
    expect(repliesQueue.sent.map((s) => s.body.text)).toEqual(["back"]);
  });

  it("waits at least as long as the policy's Retry-After", async () => {
    const { respond } = deps(() => {
      throw new ReplyPolicyUnavailableError("the reply policy answered HTTP 429", 429, 120);
    });
    expect(await respondToJob(customerJob("hi"), respond)).toMatchObject({ afterSeconds: 120 });
  });

  it("lets an invalid answer through to the handler, which sends the job to the DLQ", async () => {
    const { respond, contacts } = deps(() => {
      throw new ReplyPolicyAnswerError("bad", "messages[0].text", 200);
    });
    await expect(respondToJob(customerJob("hi"), respond)).rejects.toThrow(ReplyPolicyAnswerError);
    expect(contacts.messages.size).toBe(0);
  });
});

describe("planIdFor", () => {
  it("is the same for the same message key (a redelivered job gets the same plan)", () => {
    expect(planIdFor("key-1")).toBe(planIdFor("key-1"));
  });

  it("differs between message keys", () => {
    expect(planIdFor("key-1")).not.toBe(planIdFor("key-2"));
  });

  it("does not contain the key itself", () => {
    expect(planIdFor("14155552671|1700000000")).not.toContain("14155552671");
  });
});

describe("checkMessages", () => {
  it("accepts no reply", () => {
    expect(() => checkMessages([])).not.toThrow();
  });

  it("accepts ordered delays", () => {
    expect(() =>
      checkMessages([
        { text: "a", delayMs: 0 },
        { text: "b", delayMs: 2000 },
      ]),
    ).not.toThrow();
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
