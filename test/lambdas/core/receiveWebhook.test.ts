import { createHmac } from "node:crypto";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { JOBS_QUEUE } from "../../../lambdas/contract.js";
import type { WebhookJob } from "../../../lambdas/core/messages.js";
import { parseWebhook } from "../../../lambdas/core/parseWebhook.js";
import type { MessageQueue, SecretSource, SendOptions } from "../../../lambdas/core/ports.js";
import {
  idempotencyKey,
  jobGroupId,
  type ReceiverSettings,
  WebhookReceiver,
} from "../../../lambdas/core/receiveWebhook.js";

/**
 * An in-memory FIFO queue with SQS's deduplication: a send whose deduplication id was accepted in
 * the last 5 minutes succeeds and adds nothing.
 */
class MemoryFifoQueue implements MessageQueue {
  sent: { job: WebhookJob; options: SendOptions }[] = [];
  calls = 0;
  failures = 0;
  private accepted = new Map<string, number>();
  constructor(private readonly clock: { now(): number }) {}
  async send(body: unknown, options: SendOptions = {}): Promise<void> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error("queue down");
    }
    const id = options.deduplicationId ?? "";
    const at = this.accepted.get(id);
    if (at !== undefined && this.clock.now() - at < JOBS_QUEUE.deduplicationWindowSeconds * 1000) {
      return;
    }
    this.accepted.set(id, this.clock.now());
    this.sent.push({ job: body as WebhookJob, options });
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

const SECRET = "current-secret";
const settings: ReceiverSettings = { scheme: "auto" };
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
  let queue: MemoryFifoQueue;
  let secrets: StubSecrets;
  const clock = { time: 1_750_000_000_000, now: () => clock.time };
  let receiver: WebhookReceiver;

  const build = (overrides: Partial<ReceiverSettings> = {}) =>
    new WebhookReceiver({ secrets, jobs: queue, clock }, { ...settings, ...overrides });
  const deliver = (data: Uint8Array = body, signature: string = sign(data)) =>
    receiver.receive({ body: data, signature });
  const deliverUnsigned = (data: Uint8Array = body) =>
    receiver.receive({ body: data, signature: undefined });

  beforeEach(() => {
    clock.time = 1_750_000_000_000;
    queue = new MemoryFifoQueue(clock);
    secrets = new StubSecrets(JSON.stringify({ current: SECRET }));
    receiver = build();
  });

  it("accepts a new delivery and queues one job with the normalized webhook", async () => {
    const outcome = await deliver();
    expect(outcome.outcome).toBe("accepted");
    expect(queue.sent).toHaveLength(1);
    const job = queue.sent[0]?.job;
    expect(job).toMatchObject({ kind: "webhook-job", version: 1, acceptedAt: clock.time });
    expect(job?.webhook).toMatchObject({ phone: "14155552671", lastMessageOfUser: "hi" });
    expect(outcome).toMatchObject({ key: job?.key });
  });

  it("makes one queue call: the message key is the deduplication id, the contact the group", async () => {
    const outcome = await deliver();
    expect(queue.calls).toBe(1);
    expect(queue.sent[0]?.options).toEqual({
      deduplicationId: outcome.outcome === "accepted" ? outcome.key : "",
      groupId: "14155552671",
    });
  });

  it("answers accepted for a repeat with the same one call, and the queue keeps one job", async () => {
    await deliver();
    expect((await deliver()).outcome).toBe("accepted");
    expect(queue.calls).toBe(2);
    expect(queue.sent).toHaveLength(1);
  });

  it("gives the same event in another encoding the same deduplication id", async () => {
    await deliver();
    const reencoded = Buffer.from(
      JSON.stringify({ ...payload, phone_number: 14155552671, user_timestamp: "1749506891000" }),
    );
    expect((await deliver(reencoded)).outcome).toBe("accepted");
    expect(queue.sent).toHaveLength(1);
  });

  it("queues a repeat after the deduplication window again under the same key (the responder's guard)", async () => {
    await deliver();
    clock.time += (JOBS_QUEUE.deduplicationWindowSeconds + 1) * 1000;
    expect((await deliver()).outcome).toBe("accepted");
    expect(queue.sent.map((s) => s.job.key)).toEqual([
      queue.sent[0]?.job.key,
      queue.sent[0]?.job.key,
    ]);
  });

  it("answers unavailable when the queue refuses, and the retry is accepted with one job", async () => {
    queue.failures = 1;
    expect(await deliver()).toMatchObject({ outcome: "unavailable", dependency: "queue" });
    expect(queue.sent).toHaveLength(0);
    expect((await deliver()).outcome).toBe("accepted");
    expect(queue.sent).toHaveLength(1);
  });

  it("keeps one job for 100 concurrent identical deliveries, every one answered accepted", async () => {
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => deliver()));
    expect(new Set(outcomes.map((o) => o.outcome))).toEqual(new Set(["accepted"]));
    expect(queue.sent).toHaveLength(1);
  });

  describe("signatures", () => {
    it("refuses a missing signature without reading the secret again", async () => {
      expect(await deliverUnsigned()).toEqual({
        outcome: "unauthorized",
        reason: "missing",
      });
      expect(secrets.reads).toEqual([{ forceRefresh: false }]);
      expect(queue.calls).toBe(0);
    });

    it("refuses a wrong signature after one forced refresh", async () => {
      expect(await deliver(body, sign(body, "wrong"))).toEqual({
        outcome: "unauthorized",
        reason: "mismatch",
      });
      expect(secrets.reads).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
      expect(queue.calls).toBe(0);
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
    expect(queue.calls).toBe(0);
  });

  it("refuses a body whose job would exceed SQS's 1 MiB, without queueing", async () => {
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
    expect(queue.calls).toBe(0);
  });
});

describe("jobGroupId", () => {
  it("is the contact's digits, whatever form the phone number arrived in", () => {
    for (const phone of ["+14155552671", "14155552671", 14155552671]) {
      const webhook = parseWebhook(JSON.stringify({ ...payload, phone_number: phone }));
      expect(jobGroupId(webhook)).toBe("14155552671");
    }
  });
});

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
      // The vendor retried after our reply went out; the snapshot moved on, the message did not.
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
