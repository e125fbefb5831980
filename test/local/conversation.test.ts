import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../lambdas/adapters/awsClients.js";
import { DynamoContactStore } from "../../lambdas/adapters/DynamoContactStore.js";
import { messageKey, planIdFor, webhookMessage } from "../../lambdas/core/conversation.js";
import { messageItem, replyPlan } from "../../lambdas/core/conversationLog.js";
import type { ScheduledReply } from "../../lambdas/core/messages.js";
import { parseWebhook } from "../../lambdas/core/parseWebhook.js";
import {
  postWebhook,
  type SampleMessage,
  sampleWebhookBody,
  signatureFor,
} from "../../local/sampleWebhook.js";
import { DynamoConversationReader } from "../../ops/conversationReader.js";
import { waitFor } from "../support/queues.js";
import { aJob } from "../support/replyFixtures.js";
import { type SenderHold, senderHold } from "../support/senderHold.js";
import { newPhone, startTestStack, type TestStack } from "../support/testStack.js";

/**
 * Conversation-aware replies against the local stack (receiver → responder → sender on DynamoDB Local, fauxqs and
 * the vendor simulator): one message one plan, supersede, human takeover, opt-out, phone numbers.
 * Each test has its own contacts; the vendor simulator's `_sent` list is what a customer sees.
 *
 * Nothing here races the rules' delays: where a test needs a newer message (a takeover, a stop
 * word) recorded before a follow-up is judged, it holds that contact's follow-ups at the sender
 * (senderHold) until the message is recorded, and it waits for conditions (a reply's final
 * state, a message logged, the sender done with a contact's replies) rather than for time, so a
 * loaded machine only makes the tests slower.
 */

const FOLLOW_UP_MS = 4000;
const HUMAN_PAUSE_SECONDS = 4;
const RULES = [
  {
    match: "^hello",
    messages: [
      { text: "Hi!", delay: 0 },
      { text: "Following up", delay: FOLLOW_UP_MS },
    ],
  },
  {
    match: "^order",
    onNewMessage: "keep",
    messages: [
      { text: "Order received", delay: 0 },
      { text: "Order shipped", delay: 3000 },
    ],
  },
  {
    match: "^later",
    messages: [
      { text: "Later 1", delay: 2000 },
      { text: "Later 2", delay: 3000 },
    ],
  },
  { match: "^thanks", messages: [{ text: "You're welcome", delay: 0 }] },
];

let stack: TestStack;
let client: ReturnType<typeof createDocumentClient>;
let contacts: DynamoContactStore;
let reader: DynamoConversationReader;
let hold: SenderHold;

beforeAll(async () => {
  stack = await startTestStack({ rules: RULES, humanPauseSeconds: HUMAN_PAUSE_SECONDS });
  stack.startWorker("responder");
  const sender = stack.handlers.sender;
  if (!sender) throw new Error("the stack has no sender");
  hold = senderHold(sender, (body) => stack.send(stack.resources.queues.replies, body));
  stack.startWorker("sender", hold.handler);
  client = createDocumentClient(stack.awsEnv);
  contacts = new DynamoContactStore(client, stack.resources.tables.conversation);
  reader = new DynamoConversationReader(client, stack.resources.tables.conversation);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** Posts a signed webhook through the receiver; expects 200. */
async function deliver(message: SampleMessage): Promise<string> {
  const body = sampleWebhookBody(message);
  const answer = await postWebhook(
    stack.receiverUrl,
    body,
    signatureFor(body, stack.signingSecret, stack.signatureScheme),
  );
  expect(answer.status).toBe(200);
  return body;
}

const texts = (phone: string) => stack.sentTo(phone).map((s) => s.text);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A plan's replies after its first: what a newer message can still cancel. */
const followUps = (reply: ScheduledReply) => reply.seq > 0;
/**
 * Generous: on a heavily loaded machine an invocation can outlive the workers' 8 s timeout and
 * its messages come back only after the queue's visibility timeout, more than once. A healthy
 * run meets every condition within seconds.
 */
const SLOW = { timeoutMs: 90_000 };
const TEST_TIMEOUT_MS = 180_000;

/** The contact's reply items as [text, status, cancel reason]. */
async function repliesOf(phone: string) {
  return (await reader.conversation(phone)).replies.map((r) => [
    r.content,
    r.status,
    r.cancelReason,
  ]);
}

/** Waits until the contact's message `text` is logged, and returns why it got no reply. */
async function logged(phone: string, text: string) {
  const message = await waitFor(
    `the message "${text}" logged`,
    async () => (await reader.conversation(phone)).messages.find((m) => m.content === text),
    SLOW,
  );
  return message.noReplyReason;
}

/**
 * Puts the contact's held replies back and waits until the sender has acknowledged each of them
 * (they were all due when held, so none is put off again).
 */
async function releaseAndSettle(phone: string) {
  const target = hold.finished(phone) + hold.held(phone).length;
  await hold.release(phone);
  await waitFor("the released replies handled", () => hold.finished(phone) >= target, SLOW);
}

describe.concurrent("conversation-aware replies (local stack)", () => {
  it(
    "answers a snapshot redelivery once: the vendor retried after our reply went out",
    async () => {
      const phone = newPhone();
      hold.hold(phone, followUps);
      const at = Date.now();
      await deliver({ phone, text: "hello there", at });
      await waitFor("the first reply", () => texts(phone).includes("Hi!"), SLOW);
      // From here every reply of the contact waits: the copies the redeliveries queue are counted.
      hold.hold(phone);
      // The redelivery carries our reply in its bot fields and history: a new snapshot, same message.
      const redelivered = await deliver({
        phone,
        text: "hello there",
        at,
        snapshot: {
          last_message_of_bot: "Hi!",
          bot_last_message_time: Math.floor(Date.now() / 1000),
          last_messages: [
            { type: "user", content: "hello there", timestamp: new Date(at).toISOString() },
            { type: "bot", content: "Hi!", timestamp: new Date().toISOString() },
          ],
        },
      });
      // And once more after SQS's 5-minute deduplication window would have passed: straight onto the
      // jobs queue, as a new job (new acceptance time) of the same message.
      const webhook = parseWebhook(redelivered);
      await stack.send(
        stack.resources.queues.jobs,
        JSON.stringify(aJob({ key: messageKey(webhook), acceptedAt: Date.now(), webhook })),
      );
      // The plan's follow-up, and the stored plan queued again by the late job: both replies.
      await waitFor(
        "the follow-up and the plan queued again",
        () => {
          const held = hold.held(phone).map((r) => r.text);
          return (
            held.filter((t) => t === "Hi!").length >= 1 &&
            held.filter((t) => t === "Following up").length >= 2
          );
        },
        SLOW,
      );
      await releaseAndSettle(phone);
      expect(texts(phone)).toEqual(["Hi!", "Following up"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "cancels a follow-up when the contact writes again, while another contact's plan completes",
    async () => {
      const [ana, ben] = [newPhone(), newPhone()];
      hold.hold(ana, followUps);
      const at = Date.now();
      await Promise.all([
        deliver({ phone: ana, text: "hello", at }),
        deliver({ phone: ben, text: "hello", at }),
      ]);
      await waitFor(
        "both first replies",
        () => texts(ana).includes("Hi!") && texts(ben).includes("Hi!"),
        SLOW,
      );
      await deliver({ phone: ana, text: "thanks", at: at + 1000 });
      await waitFor(
        "the answer to ana's newer message",
        () => texts(ana).includes("You're welcome"),
        SLOW,
      );
      await hold.release(ana);
      await waitFor(
        "ana's follow-up cancelled",
        async () => JSON.stringify(await repliesOf(ana)).includes('"CANCELLED","superseded"'),
        SLOW,
      );
      await waitFor("ben's follow-up", () => texts(ben).includes("Following up"), SLOW);
      expect(texts(ana)).toEqual(["Hi!", "You're welcome"]);
      expect(texts(ben)).toEqual(["Hi!", "Following up"]);
      expect(await repliesOf(ana)).toContainEqual(["Following up", "CANCELLED", "superseded"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "lets a keep plan finish although the contact wrote again",
    async () => {
      const phone = newPhone();
      hold.hold(phone, followUps);
      const at = Date.now();
      await deliver({ phone, text: "order 42", at });
      await waitFor("the first reply", () => texts(phone).includes("Order received"), SLOW);
      await deliver({ phone, text: "thanks", at: at + 1000 });
      await waitFor(
        "the newer message's reply",
        () => texts(phone).includes("You're welcome"),
        SLOW,
      );
      await hold.release(phone);
      await waitFor("the kept follow-up", () => texts(phone).includes("Order shipped"), SLOW);
      expect(texts(phone)).toEqual(["Order received", "You're welcome", "Order shipped"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "gives an older message delivered late no plan, and cancels nothing",
    async () => {
      const phone = newPhone();
      const at = Date.now();
      await deliver({ phone, text: "thanks", at: at + 2000 });
      await waitFor(
        "the newer message's reply",
        () => texts(phone).includes("You're welcome"),
        SLOW,
      );
      await deliver({ phone, text: "hello", at });
      // Logged without a plan: nothing of it can reach the sender after this.
      expect(await logged(phone, "hello")).toBe("older_than_newest");
      expect(texts(phone)).toEqual(["You're welcome"]);
      const { messages } = await reader.conversation(phone);
      expect(messages.map((m) => [m.content, m.noReplyReason])).toEqual([
        ["hello", "older_than_newest"],
        ["thanks", undefined],
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "steps back when a person at the business writes, and resumes after the pause",
    async () => {
      const phone = newPhone();
      hold.hold(phone, followUps);
      await deliver({ phone, text: "hello", at: Date.now() });
      await waitFor("the first reply", () => texts(phone).includes("Hi!"), SLOW);
      const takeoverAt = Date.now();
      await deliver({
        phone,
        text: "Sam here, let me help",
        at: takeoverAt,
        outgoing: { human: true },
      });
      await waitFor(
        "the pause",
        async () => (await contacts.getContact(phone))?.pauseReason === "human",
        SLOW,
      );
      // The customer answers the person a second later (by the vendor's clock, whatever ours
      // says): no bot reply during the pause.
      await sleep(Math.max(0, takeoverAt + 1100 - Date.now()));
      await deliver({ phone, text: "hello Sam", at: takeoverAt + 1000 });
      expect(await logged(phone, "hello Sam")).toBe("paused");
      await hold.release(phone);
      await waitFor(
        "the follow-up cancelled",
        async () => JSON.stringify(await repliesOf(phone)).includes('"CANCELLED","human"'),
        SLOW,
      );
      // At least the pause later (waiting longer only moves the customer further past it).
      const resumeAt = takeoverAt + HUMAN_PAUSE_SECONDS * 1000 + 1000;
      await sleep(Math.max(0, resumeAt - Date.now()));
      await deliver({ phone, text: "thanks", at: Date.now() });
      await waitFor("automation again", () => texts(phone).includes("You're welcome"), SLOW);
      expect(texts(phone)).toEqual(["Hi!", "You're welcome"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "pauses nothing for the pipeline's own sends echoed back",
    async () => {
      const phone = newPhone();
      hold.hold(phone, followUps);
      await deliver({ phone, text: "hello", at: Date.now() });
      await waitFor("the first reply", () => texts(phone).includes("Hi!"), SLOW);
      await deliver({ phone, text: "Hi!", at: Date.now(), outgoing: { human: false } });
      await waitFor(
        "the echo logged",
        async () => (await reader.byPhone(phone)).length === 2,
        SLOW,
      );
      await hold.release(phone);
      await waitFor("the follow-up", () => texts(phone).includes("Following up"), SLOW);
      expect((await contacts.getContact(phone))?.pausedUntil).toBeUndefined();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "confirms an opt-out once, answers nothing more, and answers again after a start word",
    async () => {
      const phone = newPhone();
      hold.hold(phone, followUps);
      const t = Date.now();
      await deliver({ phone, text: "hello", at: t });
      await waitFor("the first reply", () => texts(phone).includes("Hi!"), SLOW);
      await deliver({ phone, text: "STOP", at: t + 1000 });
      await waitFor("the confirmation", () => texts(phone).length === 2, SLOW);
      await deliver({ phone, text: "stop", at: t + 2000 });
      await deliver({ phone, text: "hello", at: t + 3000 });
      expect(await logged(phone, "stop")).toBe("already_opted_out");
      await waitFor(
        "the second hello logged",
        async () => (await reader.conversation(phone)).messages.length === 4,
        SLOW,
      );
      await hold.release(phone);
      await waitFor(
        "the follow-up cancelled",
        async () => JSON.stringify(await repliesOf(phone)).includes('"CANCELLED","opt-out"'),
        SLOW,
      );
      expect(texts(phone)).toEqual(["Hi!", expect.stringMatching(/START/)]);
      expect(await repliesOf(phone)).toContainEqual(["Following up", "CANCELLED", "opt-out"]);
      await deliver({ phone, text: "Start", at: t + 4000 });
      await waitFor(
        "opted in",
        async () => (await contacts.getContact(phone))?.optedOut === false,
        SLOW,
      );
      await deliver({ phone, text: "thanks", at: t + 5000 });
      await waitFor("a reply again", () => texts(phone).includes("You're welcome"), SLOW);
      expect(texts(phone)).toHaveLength(3);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "treats every way of writing one number as one contact, and replies to the number it validated",
    async () => {
      // The vendor writes the UK number +44 7400 123456 with its trunk "(0)", then without it.
      const t = Date.now();
      await deliver({ phone: "+44 (0) 7400 123456", text: "STOP", at: t });
      await waitFor("the confirmation", () => texts("447400123456").length === 1, SLOW);
      await deliver({ phone: "447400123456", text: "hello", at: t + 1000 });
      expect(await logged("447400123456", "hello")).toBe("opted_out");
      expect(stack.sentTo("447400123456").map((s) => s.phone)).toEqual(["+447400123456"]);
      expect(texts("447400123456")).toEqual([expect.stringMatching(/START/)]);
      expect(await reader.byPhone("4407400123456")).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "acknowledges a number that cannot be valid, without a reply, saying why",
    async () => {
      const phone = "4155552671"; // (415) 555-2671 without the country code
      await deliver({ phone, text: "hello", at: Date.now() });
      await waitFor(
        "the logged message",
        async () => (await reader.byPhone(phone)).length === 1,
        SLOW,
      );
      expect(texts(phone)).toEqual([]);
      expect((await reader.byPhone(phone))[0]?.noReplyReason).toBe("invalid_phone");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "accepts informational fields of unexpected types and answers as usual",
    async () => {
      const phone = newPhone();
      await deliver({
        phone,
        text: "thanks",
        at: Date.now(),
        snapshot: { referral: "ad", note: { text: "vip" }, was_message_by_human: "no" },
      });
      await waitFor("the reply", () => texts(phone).includes("You're welcome"), SLOW);
      expect((await reader.byPhone(phone))[0]?.warnings).toHaveLength(3);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "queues the stored plan again after a crash between storing it and queueing its replies",
    async () => {
      // What the crashed attempt left: the claim on the contact and the message stored with its
      // plan, nothing queued.
      const { phone, job, webhook, plan } = await claimedWithPlan(
        "the answer stored before the crash",
      );
      await contacts.recordMessage(
        messageItem(webhook, webhookMessage(webhook), {
          key: job.key,
          at: plan.planAt,
          ttlSeconds: 3600,
          plan,
        }),
      );
      await stack.send(stack.resources.queues.jobs, JSON.stringify(job));
      await waitFor("the stored answer", () => texts(phone).length === 1, SLOW);
      // The job once more: its copy of the reply reaches the sender, which finds it sent.
      await stack.send(stack.resources.queues.jobs, JSON.stringify(job));
      await waitFor("the copy handled", () => hold.finished(phone) >= 2, SLOW);
      expect(texts(phone)).toEqual(["the answer stored before the crash"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "queues the plan an earlier release stored as a PLAN item when its job comes back after the upgrade",
    async () => {
      // What a job of the earlier release left: its claim and its PLAN item, nothing queued.
      const { phone, job, plan } = await claimedWithPlan(
        "the answer stored by the earlier release",
      );
      await client.send(
        new PutCommand({
          TableName: stack.resources.tables.conversation,
          Item: {
            pk: `PHONE#${phone}`,
            sk: `PLAN#${plan.planId}`,
            phone,
            messageKey: job.key,
            ...plan,
          },
        }),
      );
      await stack.send(stack.resources.queues.jobs, JSON.stringify(job));
      await waitFor("the stored answer", () => texts(phone).length === 1, SLOW);
      expect(texts(phone)).toEqual(["the answer stored by the earlier release"]);
    },
    TEST_TIMEOUT_MS,
  );
});

/**
 * A customer message whose job a worker already handled up to its plan: its claim on the contact
 * is made, and `plan` (one reply, `text`) is what the policy answered; storing it is the caller's.
 */
async function claimedWithPlan(text: string) {
  const phone = newPhone();
  const at = Date.now();
  const webhook = parseWebhook(sampleWebhookBody({ phone, text: "hello", at }));
  const job = aJob({ key: messageKey(webhook), acceptedAt: at, webhook });
  const planId = planIdFor(job.key);
  await contacts.claimMessage({
    phone,
    key: job.key,
    at,
    acceptedAt: at,
    planId,
    intent: null,
    now: at,
  });
  const plan = replyPlan({
    planId,
    planAt: at,
    acceptedAt: at,
    keep: false,
    source: "policy",
    messages: [{ text, delayMs: 0 }],
  });
  return { phone, job, webhook, plan };
}

describe("concurrent messages of one contact (two responder workers)", () => {
  it(
    "plans only the newest, whichever worker gets which",
    async () => {
      stack.startWorker("responder");
      const phone = newPhone();
      // Every reply waits until all three messages are in: an older plan's reply due in 2 s is then
      // judged against the newest message, however long the responders took.
      hold.hold(phone);
      const at = Date.now();
      const jobs = [0, 1, 2].map((i) => {
        const webhook = parseWebhook(
          sampleWebhookBody({ phone, text: `later ${i}`, at: at + i * 1000 }),
        );
        return aJob({ key: messageKey(webhook), acceptedAt: at, webhook });
      });
      await Promise.all(
        jobs.reverse().map((job) => stack.send(stack.resources.queues.jobs, JSON.stringify(job))),
      );
      await waitFor(
        "the three messages logged",
        async () => (await reader.conversation(phone)).messages.length === 3,
        SLOW,
      );
      await hold.release(phone);
      await waitFor("the newest plan's replies", () => texts(phone).length >= 2, SLOW);
      expect(texts(phone)).toEqual(["Later 1", "Later 2"]);
      const newest = jobs.find((j) => j.webhook.lastMessageOfUser === "later 2");
      expect((await contacts.getContact(phone))?.planId).toBe(planIdFor(newest?.key ?? ""));
    },
    TEST_TIMEOUT_MS,
  );
});
