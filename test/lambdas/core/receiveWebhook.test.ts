import { createHmac } from "node:crypto";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import type { WebhookJob } from "../../../lambdas/core/messages.js";
import { parseWebhook } from "../../../lambdas/core/parseWebhook.js";
import type {
  ClaimRecord,
  Clock,
  IdempotencyClaimResult,
  IdempotencyStore,
  Logger,
  MessageQueue,
  SecretSource,
} from "../../../lambdas/core/ports.js";
import {
  idempotencyKey,
  type ReceiveOutcome,
  type ReceiverSettings,
  WebhookReceiver,
} from "../../../lambdas/core/receiveWebhook.js";

/** In-memory store with the same claim condition as DynamoIdempotencyStore. */
class MemoryStore implements IdempotencyStore {
  items = new Map<string, ClaimRecord & { token: string }>();
  private tokens = 0;
  failNext: Partial<Record<"claim" | "get" | "markQueued" | "release", Error>> = {};

  private maybeFail(operation: keyof MemoryStore["failNext"]) {
    const error = this.failNext[operation];
    if (error) {
      delete this.failNext[operation];
      throw error;
    }
  }

  async claim(
    key: string,
    claim: { now: number; inProgressUntil: number; expiresAt: number },
  ): Promise<IdempotencyClaimResult> {
    this.maybeFail("claim");
    const old = this.items.get(key);
    const free =
      !old ||
      (old.status === "IN_PROGRESS" && old.inProgressUntil < claim.now) ||
      old.expiresAt < Math.floor(claim.now / 1000);
    if (!free) return { claimed: false, existing: { ...old } };
    const token = `token-${++this.tokens}`;
    this.items.set(key, { status: "IN_PROGRESS", token, ...claim });
    return { claimed: true, token };
  }

  async get(key: string): Promise<ClaimRecord | null> {
    this.maybeFail("get");
    const item = this.items.get(key);
    return item ? { ...item } : null;
  }

  async markQueued(key: string, token: string, expiresAt: number): Promise<boolean> {
    this.maybeFail("markQueued");
    const item = this.items.get(key);
    if (item?.token !== token) return false;
    this.items.set(key, { ...item, status: "QUEUED", expiresAt });
    return true;
  }

  async release(key: string, token: string): Promise<void> {
    this.maybeFail("release");
    const item = this.items.get(key);
    if (item?.token === token && item.status === "IN_PROGRESS") this.items.delete(key);
  }
}

class MemoryQueue implements MessageQueue {
  sent: WebhookJob[] = [];
  failures = 0;
  async send(body: unknown): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error("queue down");
    }
    this.sent.push(body as WebhookJob);
  }
}

class StubSecrets implements SecretSource {
  reads: { forceRefresh: boolean }[] = [];
  constructor(
    public value: string,
    public stored = value,
  ) {}
  failure: Error | null = null;
  async get(options: { forceRefresh?: boolean } = {}): Promise<string> {
    this.reads.push({ forceRefresh: options.forceRefresh ?? false });
    if (this.failure) throw this.failure;
    if (options.forceRefresh) this.value = this.stored;
    return this.value;
  }
}

/** Virtual time: sleep advances it and yields to other pending deliveries. */
class VirtualClock implements Clock {
  constructor(public time = 1_750_000_000_000) {}
  now = () => this.time;
  sleep = async (ms: number) => {
    this.time += ms;
    await new Promise((resolve) => setImmediate(resolve));
  };
}

class RecordingLogger implements Logger {
  lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  debug = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "debug", message, extra });
  info = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "info", message, extra });
  warn = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "warn", message, extra });
  error = (message: string, extra?: Record<string, unknown>) =>
    this.lines.push({ level: "error", message, extra });
}

const SECRET = "current-secret";
const settings: ReceiverSettings = {
  scheme: "auto",
  idempotencyTtlSeconds: 3600,
  inProgressTtlSeconds: 30,
  settleWaitMs: 3000,
  settlePollMs: 50,
};
const payload = {
  phone_number: "14155552671",
  user_id: "u-1",
  last_message_of_user: "hi",
  user_last_message_time: 1749506891,
};
const body = Buffer.from(JSON.stringify(payload));
const sign = (data: Uint8Array, secret = SECRET) =>
  createHmac("sha256", secret).update(data).digest("hex");

describe("WebhookReceiver", () => {
  let store: MemoryStore;
  let queue: MemoryQueue;
  let secrets: StubSecrets;
  let clock: VirtualClock;
  let logger: RecordingLogger;
  let receiver: WebhookReceiver;

  const build = (overrides: Partial<ReceiverSettings> = {}) =>
    new WebhookReceiver(
      { secrets, idempotency: store, jobs: queue, clock, logger },
      { ...settings, ...overrides },
    );
  const deliver = (data: Uint8Array = body, signature: string = sign(data)) =>
    receiver.receive({ body: data, signature });
  const deliverUnsigned = (data: Uint8Array = body) =>
    receiver.receive({ body: data, signature: undefined });

  beforeEach(() => {
    store = new MemoryStore();
    queue = new MemoryQueue();
    secrets = new StubSecrets(JSON.stringify({ current: SECRET }));
    clock = new VirtualClock();
    logger = new RecordingLogger();
    receiver = build();
  });

  it("accepts a new delivery and queues one job with the normalized webhook", async () => {
    const outcome = await deliver();
    expect(outcome.outcome).toBe("accepted");
    expect(queue.sent).toHaveLength(1);
    const job = queue.sent[0];
    expect(job).toMatchObject({ kind: "webhook-job", version: 1, acceptedAt: clock.time });
    expect(job?.webhook).toMatchObject({ phone: "14155552671", lastMessageOfUser: "hi" });
    expect(outcome).toMatchObject({ key: job?.key });
    expect(store.items.get(job?.key ?? "")).toMatchObject({
      status: "QUEUED",
      expiresAt: Math.floor(clock.time / 1000) + 3600,
    });
  });

  it("answers duplicate for a repeat and queues nothing more", async () => {
    await deliver();
    expect((await deliver()).outcome).toBe("duplicate");
    expect(queue.sent).toHaveLength(1);
  });

  it("answers duplicate for the same event in another encoding", async () => {
    await deliver();
    const reencoded = Buffer.from(
      JSON.stringify({ ...payload, phone_number: 14155552671, user_timestamp: "1749506891000" }),
    );
    expect((await deliver(reencoded)).outcome).toBe("duplicate");
  });

  it("accepts the same event again once its claim expired", async () => {
    await deliver();
    clock.time += 3601 * 1000;
    expect((await deliver()).outcome).toBe("accepted");
    expect(queue.sent).toHaveLength(2);
  });

  describe("signatures", () => {
    it("refuses a missing signature without reading the secret again", async () => {
      expect(await deliverUnsigned()).toEqual({
        outcome: "unauthorized",
        reason: "missing",
      });
      expect(secrets.reads).toEqual([{ forceRefresh: false }]);
      expect(store.items.size).toBe(0);
    });

    it("refuses a wrong signature after one forced refresh", async () => {
      expect(await deliver(body, sign(body, "wrong"))).toEqual({
        outcome: "unauthorized",
        reason: "mismatch",
      });
      expect(secrets.reads).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
      expect(queue.sent).toHaveLength(0);
    });

    it("accepts a signature made with a secret rotated in since the cache was filled", async () => {
      secrets.stored = JSON.stringify({ current: "rotated", previous: [SECRET] });
      expect((await deliver(body, sign(body, "rotated"))).outcome).toBe("accepted");
    });

    it("verifies before parsing, so an unsigned malformed body is a 401", async () => {
      const garbage = Buffer.from("{not json");
      expect((await deliverUnsigned(garbage)).outcome).toBe("unauthorized");
    });

    it("skips secrets entirely when the scheme is off", async () => {
      receiver = build({ scheme: "off" });
      expect((await deliverUnsigned()).outcome).toBe("accepted");
      expect(secrets.reads).toEqual([]);
    });

    it("answers unavailable when the secret cannot be read", async () => {
      secrets.failure = new Error("Secrets Manager down");
      expect(await deliver()).toMatchObject({ outcome: "unavailable", dependency: "secrets" });
    });

    it("answers unavailable when the stored secret document is unusable", async () => {
      secrets = new StubSecrets(JSON.stringify({ previous: ["x"] }));
      receiver = build();
      expect(await deliver()).toMatchObject({ outcome: "unavailable", dependency: "secrets" });
    });
  });

  it("answers invalid naming the field for a signed but malformed payload", async () => {
    const bad = Buffer.from(JSON.stringify({ last_message_of_user: "hi" }));
    const outcome = await deliver(bad);
    expect(outcome.outcome).toBe("invalid");
    expect(outcome.outcome === "invalid" && outcome.error.field).toBe("phone_number");
  });

  describe("failures between claim and enqueue", () => {
    it("releases the claim when the enqueue fails, so the retry is accepted with one job", async () => {
      queue.failures = 1;
      expect(await deliver()).toMatchObject({ outcome: "unavailable", dependency: "queue" });
      expect(store.items.size).toBe(0);
      expect((await deliver()).outcome).toBe("accepted");
      expect(queue.sent).toHaveLength(1);
    });

    it("lets the lease run out when a crashed delivery never released its claim", async () => {
      queue.failures = 1;
      store.failNext.release = new Error("process died");
      await deliver();
      const busy = await deliver();
      expect(busy).toMatchObject({ outcome: "busy" });
      expect(busy.outcome === "busy" && busy.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(queue.sent).toHaveLength(0);
      clock.time += 30_000;
      expect((await deliver()).outcome).toBe("accepted");
      expect(queue.sent).toHaveLength(1);
    });

    it("takes over an abandoned lease while waiting for it", async () => {
      receiver = build({ inProgressTtlSeconds: 1 });
      queue.failures = 1;
      store.failNext.release = new Error("process died");
      await deliver();
      expect((await deliver()).outcome).toBe("accepted");
      expect(queue.sent).toHaveLength(1);
    });

    it("still answers accepted when marking the claim queued fails (the job is queued)", async () => {
      store.failNext.markQueued = new Error("DynamoDB throttled");
      expect((await deliver()).outcome).toBe("accepted");
      expect(logger.lines.some((line) => line.level === "warn")).toBe(true);
    });

    it("answers unavailable when the idempotency store fails", async () => {
      store.failNext.claim = new Error("DynamoDB down");
      expect(await deliver()).toMatchObject({ outcome: "unavailable", dependency: "idempotency" });
      expect(queue.sent).toHaveLength(0);
    });
  });

  describe("concurrent identical deliveries", () => {
    it("queue exactly one job and all answer accepted or duplicate", async () => {
      // The queue yields, so every delivery reaches the store while the first is in flight.
      const slowQueue: MessageQueue = {
        send: async (job) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          await queue.send(job);
        },
      };
      // Real time here: virtual sleeps of 20 concurrent waiters would add up.
      const realClock: Clock = {
        now: Date.now,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      };
      receiver = new WebhookReceiver(
        { secrets, idempotency: store, jobs: slowQueue, clock: realClock, logger },
        settings,
      );
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => deliver()));
      const counts = countBy(outcomes);
      expect(queue.sent).toHaveLength(1);
      expect(counts).toEqual({ accepted: 1, duplicate: 19 });
    });

    it("re-claims when the other delivery released its claim meanwhile", async () => {
      const key = (await deliverAndForget()).key;
      // Simulate another delivery holding the claim, then releasing it soon after.
      store.items.set(key, {
        status: "IN_PROGRESS",
        token: "other",
        inProgressUntil: clock.time + 30_000,
        expiresAt: Math.floor(clock.time / 1000) + 3600,
      });
      const pending = deliver();
      await new Promise((resolve) => setImmediate(resolve));
      await store.release(key, "other");
      expect((await pending).outcome).toBe("accepted");
    });
  });

  it("refuses a body whose job would exceed SQS's 1 MiB, without claiming or queueing", async () => {
    // 40 KB of empty history entries: each becomes a full entry of ~100 bytes in the job.
    const history = JSON.stringify({ ...payload, last_messages: Array(12_000).fill({}) });
    const outcome = await deliver(Buffer.from(history));
    expect(outcome).toMatchObject({
      outcome: "invalid",
      error: {
        field: "body",
        message: expect.stringMatching(/once normalised, over the 1048576 bytes/),
      },
    });
    expect(queue.sent).toEqual([]);
    expect(store.items.size).toBe(0);
  });

  /** Accepts once and forgets the claim, to learn the key. */
  async function deliverAndForget(): Promise<{ key: string }> {
    const outcome = await deliver();
    if (outcome.outcome !== "accepted") throw new Error(outcome.outcome);
    store.items.delete(outcome.key);
    queue.sent = [];
    return outcome;
  }
});

function countBy(outcomes: ReceiveOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

const userId = "9232fcef-a570-4a2c-b46b-6cab53aec304";
const history = [
  { type: "bot", content: "hello", timestamp: "2025-06-09T21:25:30.000Z", content_type: "text" },
  { type: "user", content: "hi", timestamp: "2025-06-09T22:08:11.000Z", content_type: "text" },
];

/** One message event, as V2 sends it. */
const v2 = {
  last_messages: history,
  phone_number: "14155552671",
  user_id: userId,
  last_message_of_user: "hi",
  last_message_of_bot: "hello",
  message_type: "text",
  user_last_message_time: 1749506891,
  bot_last_message_time: 1749504330,
  attachment_url: null,
  note: "",
  labels: "sales",
};

const keyOf = (payload: unknown) => idempotencyKey(parseWebhook(JSON.stringify(payload)));

describe("idempotencyKey", () => {
  const expected = keyOf(v2);

  it("is a SHA-256 hex digest", () => {
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  describe("is the same for the same event in another encoding", () => {
    it.each([
      [
        "V0: old names, ms as strings, numeric phone, last_messages as a JSON string",
        {
          last_messages: JSON.stringify([...history].reverse()),
          phone_number: 14155552671,
          user_id: userId.toUpperCase(),
          last_message_of_user: "hi",
          last_message_of_bot: "hello",
          message_type: "text",
          user_timestamp: "1749506891000",
          bot_timestamp: "1749504330000",
          attachment_url: "",
        },
      ],
      [
        "V3: incoming_message, send_by, referral and other contact data",
        {
          ...v2,
          incoming_message: true,
          send_by: "",
          was_message_by_human: true,
          referral: { source_type: "ad" },
          labels: "sales, vip",
          note: "changed since",
        },
      ],
      ["a +phone with formatting", { ...v2, phone_number: "+1 415-555-2671" }],
      ["sub-second milliseconds", { ...v2, user_last_message_time: 1749506891999 }],
      ["the generic envelope", { event: "incoming_message", data: v2 }],
      ["extra unknown fields", { ...v2, id: 7, createdAt: 1, is_scheduled: false }],
      [
        "the V1 envelope",
        {
          event_type: "incoming_message",
          event_id: "evt_1",
          data: {
            phone_number: "14155552671",
            user_id: userId,
            message: { type: "text", content: "hi", timestamp: "2025-06-09T22:08:11.000Z" },
            conversation_context: {
              last_user_message: "hi",
              last_bot_message: "hello",
              user_timestamp: "2025-06-09T22:08:11.000Z",
              bot_timestamp: "2025-06-09T21:25:30.000Z",
            },
            conversation_history: history,
          },
        },
      ],
    ])("%s", (_name, payload) => {
      expect(keyOf(payload)).toBe(expected);
    });

    it.each([
      // Issue 13: the vendor retried after our reply went out; the snapshot moved on, the message did not.
      [
        "a redelivery whose bot fields changed",
        { ...v2, last_message_of_bot: "our reply", bot_last_message_time: 1749506895 },
      ],
      [
        "a redelivery whose history grew",
        {
          ...v2,
          last_messages: [
            ...history,
            { type: "bot", content: "our reply", timestamp: "2025-06-09T22:08:15.000Z" },
          ],
        },
      ],
      [
        "another account id for the same contact",
        { ...v2, user_id: "00000000-0000-4000-8000-000000000000" },
      ],
      ["a message type the vendor reclassified", { ...v2, message_type: "chat" }],
    ])("%s (a message, not a snapshot)", (_name, payload) => {
      expect(keyOf(payload)).toBe(expected);
    });

    it("an attachment URL whose signed query string changed", () => {
      const url = "https://api.insightssystem.com/vault/abc/file.pdf";
      expect(keyOf({ ...v2, attachment_url: `${url}?sig=1` })).toBe(
        keyOf({ ...v2, attachment_url: `${url}?sig=2` }),
      );
    });
  });

  describe("differs for a different event", () => {
    it.each([
      ["another user text", { ...v2, last_message_of_user: "hi!" }],
      ["one second later", { ...v2, user_last_message_time: 1749506892 }],
      ["another contact", { ...v2, phone_number: "14155552672" }],
      ["the outgoing direction", { ...v2, incoming_message: false }],
      ["an attachment", { ...v2, attachment_url: "https://api.insightssystem.com/vault/x.jpg" }],
    ])("%s", (_name, payload) => {
      expect(keyOf(payload)).not.toBe(expected);
    });
  });

  it("agrees across seconds/ms and string/number phone encodings (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 10_000n, max: 999_999_999_999_999n }),
        fc.string(),
        fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }),
        (phone, text, seconds) => {
          const a = {
            phone_number: phone.toString(),
            last_message_of_user: text,
            user_last_message_time: seconds,
          };
          const b = {
            phone_number: Number(phone),
            last_message_of_user: text,
            user_timestamp: String(seconds * 1000),
          };
          expect(keyOf(a)).toBe(keyOf(b));
        },
      ),
    );
  });

  it("separates distinct user texts (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (first, second) => {
        fc.pre(first !== second);
        expect(keyOf({ ...v2, last_message_of_user: first })).not.toBe(
          keyOf({ ...v2, last_message_of_user: second }),
        );
      }),
    );
  });
});
