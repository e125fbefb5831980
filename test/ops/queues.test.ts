import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { beforeEach, describe, expect, it } from "vitest";
import {
  moveMessages,
  type QueueRef,
  queueDepth,
  summarizeMessage,
  totalOf,
} from "../../ops/queues.js";
import { provisionForTest } from "../support/localAws.js";

/** The local redrive (receive, send, delete) against fauxqs, including when the send fails. */

let sqs: SQSClient;
let from: QueueRef;
let to: QueueRef;

const ref = async (url: string): Promise<QueueRef> => {
  const name = url.slice(url.lastIndexOf("/") + 1);
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  return { name, url: String(QueueUrl), arn: `arn:aws:sqs:us-east-1:000000000000:${name}` };
};

beforeEach(async () => {
  const resources = await provisionForTest();
  sqs = new SQSClient({
    endpoint: resources.awsEnv.AWS_ENDPOINT_URL_SQS,
    region: resources.awsEnv.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    useQueueUrlAsEndpoint: false,
  });
  from = await ref(resources.queues.repliesDlq);
  to = await ref(resources.queues.replies);
  for (let i = 0; i < 12; i++) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: from.url,
        MessageBody: `{"n":${i}}`,
        MessageAttributes: { origin: { DataType: "String", StringValue: `m${i}` } },
      }),
    );
  }
});

async function bodiesIn(queue: QueueRef): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
      }),
    );
    if (Messages.length === 0) return bodies.sort();
    bodies.push(...Messages.map((m) => String(m.Body)));
  }
}

/** A run that began now, allowed to move all 12 messages the DLQ holds. */
const aRun = () => ({ startedAt: Date.now(), limit: 12 });

/**
 * The SQS client as the work queue's consumer makes it look when every job fails again at once:
 * each copy sent to the work queue comes straight back to the DLQ, as a new message (new id,
 * same body). At most `cap` bounces, so a redrive that keeps moving them still ends.
 */
function bouncing(cap: number) {
  let bounces = 0;
  return new Proxy(sqs, {
    get(target, key, receiver) {
      if (key !== "send") return Reflect.get(target, key, receiver);
      return async (command: unknown) => {
        const answer = await target.send(command as never);
        if (
          command instanceof SendMessageCommand &&
          command.input.QueueUrl === to.url &&
          bounces++ < cap
        ) {
          await target.send(
            new SendMessageCommand({ QueueUrl: from.url, MessageBody: command.input.MessageBody }),
          );
        }
        return answer;
      };
    },
  });
}

describe("moveMessages (the local redrive)", () => {
  it("moves every message once, with its body and attributes", async () => {
    const result = await moveMessages(sqs, from, to, aRun());
    expect(result).toEqual({ moved: 12, duplicated: 0, cameBack: 0, arrivedDuring: 0 });
    expect(totalOf(await queueDepth(sqs, from.url))).toBe(0);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: to.url,
        MaxNumberOfMessages: 1,
        MessageAttributeNames: ["All"],
      }),
    );
    expect(Messages[0]?.MessageAttributes?.origin?.StringValue).toMatch(/^m\d+$/);
  });

  it("loses nothing when the work queue refuses a message half-way: the rest stay in the DLQ", async () => {
    let sends = 0;
    const failing = new Proxy(sqs, {
      get(target, key, receiver) {
        if (key !== "send") return Reflect.get(target, key, receiver);
        return (command: unknown) => {
          if (command instanceof SendMessageCommand && ++sends === 6) {
            return Promise.reject(new Error("ServiceUnavailable"));
          }
          return target.send(command as never);
        };
      },
    });
    await expect(moveMessages(failing, from, to, aRun())).rejects.toThrow(
      /moved 5 message\(s\), then \S+ refused one \(ServiceUnavailable\); it and the rest are still in/,
    );
    const moved = await bodiesIn(to);
    const left = await bodiesIn(from);
    expect(moved).toHaveLength(5);
    expect([...moved, ...left].sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `{"n":${i}}`).sort(),
    );
  });
});

describe("moveMessages when the messages fail again at once", () => {
  it("moves each message once and counts the ones that came back, instead of moving them again", async () => {
    const result = await moveMessages(bouncing(100), from, to, aRun());
    expect(result).toMatchObject({ moved: 12, duplicated: 0, arrivedDuring: 0 });
    // Those seen back before the run ended (the run stops once the 12 it began with are moved).
    expect(result.cameBack).toBeGreaterThan(0);
    expect(result.cameBack).toBeLessThanOrEqual(12);
    expect(await bodiesIn(to)).toHaveLength(12);
    // The copies that came back are visible in the DLQ again, for the operator to look at.
    expect(await bodiesIn(from)).toHaveLength(12);
  });

  it("moves each message once in total when two redrives run at the same time", async () => {
    const client = bouncing(100);
    const [a, b] = await Promise.all([
      moveMessages(client, from, to, aRun()),
      moveMessages(client, from, to, aRun()),
    ]);
    expect((a?.moved ?? 0) + (b?.moved ?? 0)).toBe(12);
    expect(await bodiesIn(to)).toHaveLength(12);
  });

  it("moves no more than the DLQ held when it began", async () => {
    const result = await moveMessages(sqs, from, to, { startedAt: Date.now(), limit: 5 });
    expect(result.moved).toBe(5);
    expect(await bodiesIn(from)).toHaveLength(7);
  });
});

describe("moveMessages between FIFO queues (the jobs queue)", () => {
  it("redelivers a message whose original went through the queue minutes ago, in its group", async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const create = async (name: string) => {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: "true" } }),
      );
      return { name, url: String(QueueUrl), arn: "" };
    };
    const work = await create(`fifo-${suffix}.fifo`);
    const dead = await create(`fifo-${suffix}-dlq.fifo`);
    const message = {
      MessageBody: "job",
      MessageGroupId: "14155550177",
      MessageDeduplicationId: "key-1",
    };
    // The original delivery, taken off the work queue: its deduplication id is still remembered.
    await sqs.send(new SendMessageCommand({ QueueUrl: work.url, ...message }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: work.url }));
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: work.url,
        ReceiptHandle: first.Messages?.[0]?.ReceiptHandle,
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: dead.url, ...message }));

    expect(await moveMessages(sqs, dead, work, { startedAt: Date.now(), limit: 1 })).toEqual({
      moved: 1,
      duplicated: 0,
      cameBack: 0,
      arrivedDuring: 0,
    });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: work.url, MessageSystemAttributeNames: ["All"] }),
    );
    expect(Messages.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([
      ["job", "14155550177"],
    ]);
  });
});

describe("summarizeMessage", () => {
  const message = (body: string) => ({
    MessageId: "id-1",
    Body: body,
    Attributes: { SentTimestamp: "1700000000000", ApproximateReceiveCount: "3" },
  });

  it("describes a scheduled reply by plan position and masked contact, without its text", () => {
    const summary = summarizeMessage(
      message(
        JSON.stringify({
          kind: "scheduled-reply",
          planId: "plan_1",
          seq: 1,
          total: 3,
          phone: "14155550177",
          text: "Hi Ana",
          dueAt: 5,
        }),
      ),
    );
    expect(summary).toEqual({
      id: "id-1",
      sentAt: 1_700_000_000_000,
      receiveCount: 3,
      kind: "scheduled-reply",
      contact: "+1 ••••••0177",
      reply: "plan_1#2/3",
      dueAt: 5,
      bytes: expect.any(Number),
    });
    expect(JSON.stringify(summary)).not.toMatch(/Hi Ana|14155550177/);
  });

  it("reads a body that is not JSON as unreadable and shows none of it", () => {
    const summary = summarizeMessage(message("call me at +14155550177"));
    expect(summary).toMatchObject({ kind: "unreadable", contact: null, reply: null, bytes: 23 });
    expect(JSON.stringify(summary)).not.toContain("4155550177");
  });
});
