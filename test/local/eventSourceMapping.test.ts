import { randomBytes } from "node:crypto";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import {
  failedMessageIds,
  type RunningEventSourceMapping,
  startEventSourceMapping,
} from "../../local/eventSourceMapping.js";

let sqs: SQSClient;
const running: RunningEventSourceMapping[] = [];
const logLines: string[] = [];

beforeAll(() => {
  const awsEnv = inject("awsEnv");
  sqs = new SQSClient({
    endpoint: awsEnv.AWS_ENDPOINT_URL_SQS,
    region: awsEnv.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    useQueueUrlAsEndpoint: false,
  });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((m) => m.stop()));
  logLines.length = 0;
});
afterAll(() => {
  sqs.destroy();
});

/** A fresh queue with a 1 s visibility timeout, redriven to its own DLQ. */
async function createQueue(maxReceiveCount = 5) {
  const name = `esm${randomBytes(4).toString("hex")}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: "1",
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
          maxReceiveCount,
        }),
      },
    }),
  );
  return { url: String(queue.QueueUrl), dlqUrl: String(dlq.QueueUrl), name };
}

/** A fresh FIFO queue (content-based deduplication off, as the jobs queue) with a FIFO DLQ. */
async function createFifoQueue(maxReceiveCount = 5) {
  const name = `esm${randomBytes(4).toString("hex")}`;
  const fifo = { FifoQueue: "true", ContentBasedDeduplication: "false" };
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: fifo }),
  );
  const dlqArn = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: {
        ...fifo,
        VisibilityTimeout: "1",
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
          maxReceiveCount,
        }),
      },
    }),
  );
  return { url: String(queue.QueueUrl), dlqUrl: String(dlq.QueueUrl), name };
}

/** Sends `group:n` bodies one by one (FIFO order is send order), each its own deduplication id. */
async function sendToGroups(queueUrl: string, messages: [group: string, n: number][]) {
  for (const [group, n] of messages) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: `${group}:${n}`,
        MessageGroupId: group,
        MessageDeduplicationId: `${group}-${n}`,
      }),
    );
  }
}

async function sendBodies(queueUrl: string, bodies: string[]) {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({
          Id: String(j),
          MessageBody: body,
          MessageAttributes: { kind: { DataType: "String", StringValue: "test" } },
        })),
      }),
    );
  }
}

async function queueDepth(queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/** Starts a mapping that records every invocation before running `behaviour`. */
function start(
  queueUrl: string,
  behaviour: Handler = async () => undefined,
  overrides: {
    batchSize?: number;
    concurrency?: number;
    maxConcurrency?: number;
    maxRecordsInFlight?: number;
    timeoutMs?: number;
  } = {},
) {
  const events: SQSEvent[] = [];
  const contexts: Context[] = [];
  const mapping = startEventSourceMapping({
    queueUrl,
    sqsClient: sqs,
    functionName: "test-worker",
    concurrency: 1,
    waitTimeSeconds: 1,
    log: (line) => logLines.push(line),
    handler: async (event, context) => {
      events.push(event);
      contexts.push(context);
      return behaviour(event, context);
    },
    ...overrides,
  });
  running.push(mapping);
  const records = () => events.flatMap((e) => e.Records);
  const bodiesSeen = () => records().map((r) => r.body);
  return { mapping, events, contexts, records, bodiesSeen };
}

describe("startEventSourceMapping", () => {
  it("delivers queued messages as Lambda SQS event records", async () => {
    const queue = await createQueue();
    await sendBodies(queue.url, ["one"]);
    const run = start(queue.url);
    await waitFor(() => run.records().length === 1);
    const record = run.records()[0] as SQSRecord;
    expect(record).toMatchObject({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: "one",
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue.name}`,
      awsRegion: "us-east-1",
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: expect.stringMatching(/^\d+$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
      },
      messageAttributes: {
        kind: { stringValue: "test", dataType: "String", stringListValues: [] },
      },
    });
  });

  it("passes a context whose remaining time counts down from timeoutMs", async () => {
    const queue = await createQueue();
    await sendBodies(queue.url, ["x"]);
    const run = start(queue.url, undefined, { timeoutMs: 5000 });
    await waitFor(() => run.contexts.length === 1);
    const context = run.contexts[0] as Context;
    expect(context.functionName).toBe("test-worker");
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(5000);
  });

  it("invokes with at most batchSize records per event", async () => {
    const queue = await createQueue();
    const bodies = Array.from({ length: 7 }, (_, i) => `m${i}`);
    await sendBodies(queue.url, bodies);
    const run = start(queue.url, undefined, { batchSize: 3 });
    await waitFor(() => run.records().length === 7);
    expect(run.events.every((e) => e.Records.length <= 3)).toBe(true);
    expect(run.events.length).toBeGreaterThanOrEqual(3);
    expect(run.mapping.invocations()).toBe(run.events.length);
  });

  it("deletes every record when the handler reports no failures", async () => {
    const queue = await createQueue();
    await sendBodies(queue.url, ["a", "b", "c"]);
    const run = start(queue.url);
    await waitFor(() => run.records().length === 3);
    await pause(1500); // past the visibility timeout: nothing may come back
    expect(run.bodiesSeen().sort()).toEqual(["a", "b", "c"]);
    expect(await queueDepth(queue.url)).toBe(0);
  });

  it("redelivers only the records listed in batchItemFailures", async () => {
    const queue = await createQueue();
    await sendBodies(queue.url, ["ok-1", "fail-me", "ok-2"]);
    let failedOnce = false;
    const run = start(queue.url, async (event) => {
      const target = event.Records.find((r) => r.body === "fail-me");
      if (!target || failedOnce) return { batchItemFailures: [] };
      failedOnce = true;
      return { batchItemFailures: [{ itemIdentifier: target.messageId }] };
    });
    await waitFor(() => run.bodiesSeen().filter((b) => b === "fail-me").length === 2);
    await pause(1500);
    expect(run.bodiesSeen().sort()).toEqual(["fail-me", "fail-me", "ok-1", "ok-2"]);
    const retried = run.records().filter((r) => r.body === "fail-me");
    expect(retried.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(["1", "2"]);
    expect(await queueDepth(queue.url)).toBe(0);
  });

  it("redelivers the whole batch when the handler throws", async () => {
    const queue = await createQueue();
    await sendBodies(queue.url, ["a", "b"]);
    let calls = 0;
    const run = start(queue.url, async () => {
      calls += 1;
      if (calls === 1) throw new Error("worker crashed");
      return undefined;
    });
    await waitFor(() => run.records().length === 4);
    await pause(1500);
    expect(run.bodiesSeen().sort()).toEqual(["a", "a", "b", "b"]);
    expect(logLines.some((l) => l.includes("worker crashed"))).toBe(true);
    expect(await queueDepth(queue.url)).toBe(0);
  });

  it("redelivers the whole batch when the handler runs past its timeout", async () => {
    const queue = await createQueue();
    await sendBodies(queue.url, ["slow"]);
    let calls = 0;
    const run = start(
      queue.url,
      async () => {
        calls += 1;
        if (calls === 1) await pause(800);
        return undefined;
      },
      { timeoutMs: 200 },
    );
    await waitFor(() => run.records().length === 2);
    expect(logLines.some((l) => l.includes("timed out"))).toBe(true);
  });

  it("redelivers the whole batch when an itemIdentifier names no record of the batch", async () => {
    const queue = await createQueue();
    await sendBodies(queue.url, ["a"]);
    let calls = 0;
    const run = start(queue.url, async () => {
      calls += 1;
      return { batchItemFailures: calls === 1 ? [{ itemIdentifier: "not-in-batch" }] : [] };
    });
    await waitFor(() => run.records().length === 2);
    expect(logLines.some((l) => l.includes("invalid batch response"))).toBe(true);
  });

  it("leaves a record that always fails to SQS, which moves it to the DLQ after maxReceiveCount", async () => {
    const queue = await createQueue(2);
    await sendBodies(queue.url, ["poison"]);
    const run = start(queue.url, async (event) => ({
      batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })),
    }));
    const inDlq = async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, WaitTimeSeconds: 1 }),
      );
      return (out.Messages ?? []).some((m) => m.Body === "poison");
    };
    await waitFor(inDlq, 15_000);
    expect(run.bodiesSeen()).toEqual(["poison", "poison"]);
  });

  it("stops promptly during a long poll and consumes nothing afterwards", async () => {
    const queue = await createQueue();
    const events: SQSEvent[] = [];
    const mapping = startEventSourceMapping({
      queueUrl: queue.url,
      sqsClient: sqs,
      functionName: "test-worker",
      waitTimeSeconds: 20,
      log: (line) => logLines.push(line),
      handler: async (event) => {
        events.push(event);
      },
    });
    await pause(200);
    const started = Date.now();
    await mapping.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    await sendBodies(queue.url, ["after-stop"]);
    await pause(300);
    expect(events).toEqual([]);
    expect(await queueDepth(queue.url)).toBe(1);
    expect(logLines).toEqual([]);
  });

  it("waits for an in-flight invocation before stop() resolves", async () => {
    const queue = await createQueue();
    await sendBodies(queue.url, ["busy"]);
    let finished = false;
    const run = start(queue.url, async () => {
      await pause(500);
      finished = true;
      return undefined;
    });
    await waitFor(() => run.events.length === 1);
    await run.mapping.stop();
    expect(finished).toBe(true);
    expect(await queueDepth(queue.url)).toBe(0);
  });
});

describe("failedMessageIds", () => {
  const event = {
    Records: [{ messageId: "m1" }, { messageId: "m2" }],
  } as unknown as SQSEvent;

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["an empty object", {}],
    ["a null list", { batchItemFailures: null }],
    ["an empty list", { batchItemFailures: [] }],
  ])("reports no failures when the response is %s", (_, response) => {
    expect(failedMessageIds(response, event)).toEqual(new Set());
  });

  it("reports the listed ids when they belong to the batch", () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: "m2" }] }, event)).toEqual(
      new Set(["m2"]),
    );
  });

  it.each([
    ["a string", "ok"],
    ["a non-list batchItemFailures", { batchItemFailures: "m1" }],
    ["an empty itemIdentifier", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a null itemIdentifier", { batchItemFailures: [{ itemIdentifier: null }] }],
    ["a misspelled key", { batchItemFailures: [{ itemId: "m1" }] }],
    ["an unknown id", { batchItemFailures: [{ itemIdentifier: "m9" }] }],
  ])("fails the whole batch when the response has %s", (_, response) => {
    expect(failedMessageIds(response, event)).toBe("all");
  });
});

describe("startEventSourceMapping on a FIFO queue (the jobs queue)", () => {
  it("delivers each group's messages in order, groups in parallel", async () => {
    const queue = await createFifoQueue();
    const sends: [string, number][] = [];
    for (let n = 0; n < 6; n++) sends.push(["a", n], ["b", n], ["c", n]);
    await sendToGroups(queue.url, sends);
    const run = start(queue.url, async () => undefined, { batchSize: 10, concurrency: 3 });
    await waitFor(() => run.records().length === 18);
    for (const group of ["a", "b", "c"]) {
      expect(run.bodiesSeen().filter((b) => b.startsWith(`${group}:`))).toEqual(
        Array.from({ length: 6 }, (_, n) => `${group}:${n}`),
      );
    }
    expect(run.records()[0]?.attributes.MessageGroupId).toBeDefined();
  });

  it("starts a later contact's batch while a batch waits on a slow record (maxConcurrency)", async () => {
    const queue = await createFifoQueue();
    await sendToGroups(queue.url, [["slow", 0]]);
    const steps: string[] = [];
    let releaseSlow = () => {};
    const slowReleased = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    // A fallback only: with one invocation at a time the slow batch would wait for ever.
    const fallback = setTimeout(releaseSlow, 8000);
    const run = start(
      queue.url,
      async (event) => {
        const bodies = event.Records.map((r) => r.body);
        steps.push(`start ${bodies.join(",")}`);
        if (bodies.includes("fast:0")) releaseSlow();
        if (bodies.includes("slow:0")) await slowReleased;
        steps.push(`end ${bodies.join(",")}`);
        return undefined;
      },
      { concurrency: 1, maxConcurrency: 3 },
    );
    await waitFor(() => steps.includes("start slow:0"));
    await sendToGroups(queue.url, [["fast", 0]]);
    await waitFor(() => steps.includes("end slow:0"), 15_000);
    clearTimeout(fallback);
    expect(steps.indexOf("end fast:0")).toBeGreaterThan(-1);
    expect(steps.indexOf("end fast:0")).toBeLessThan(steps.indexOf("end slow:0"));
    await run.mapping.stop();
  });

  it("starts no batch beyond maxRecordsInFlight, whatever the room for invocations", async () => {
    const queue = await createFifoQueue();
    await sendToGroups(queue.url, [["slow", 0]]);
    const steps: string[] = [];
    const run = start(
      queue.url,
      async (event) => {
        const bodies = event.Records.map((r) => r.body).join(",");
        steps.push(`start ${bodies}`);
        // Long enough for a second poll to find fast:0, were there room for it.
        if (bodies === "slow:0") await pause(2500);
        steps.push(`end ${bodies}`);
        return undefined;
      },
      { batchSize: 1, concurrency: 1, maxConcurrency: 3, maxRecordsInFlight: 1 },
    );
    await waitFor(() => steps.includes("start slow:0"));
    await sendToGroups(queue.url, [["fast", 0]]);
    await waitFor(() => steps.includes("end fast:0"), 15_000);
    expect(steps.indexOf("start fast:0")).toBeGreaterThan(steps.indexOf("end slow:0"));
    await run.mapping.stop();
  });

  it("holds a group behind its failed message until it succeeds; other groups go on", async () => {
    const queue = await createFifoQueue();
    await sendToGroups(queue.url, [
      ["late", 0],
      ["late", 1],
      ["free", 0],
      ["free", 1],
    ]);
    let failures = 0;
    const run = start(
      queue.url,
      async (event) => ({
        batchItemFailures: event.Records.filter((r) => r.body === "late:0" && failures++ < 2).map(
          (r) => ({ itemIdentifier: r.messageId }),
        ),
      }),
      { concurrency: 2 },
    );
    await waitFor(() => run.bodiesSeen().includes("late:1"), 15_000);
    const seen = run.bodiesSeen();
    // late:0 came three times (two failures, then success) and only then late:1.
    expect(seen.filter((b) => b.startsWith("late:"))).toEqual([
      "late:0",
      "late:0",
      "late:0",
      "late:1",
    ]);
    // The other group did not wait for the failing one.
    expect(seen.indexOf("free:1")).toBeLessThan(seen.lastIndexOf("late:0"));
  });

  it("lets a group go on once its poison message moved to the FIFO DLQ", async () => {
    const queue = await createFifoQueue(2);
    await sendToGroups(queue.url, [
      ["g", 0],
      ["g", 1],
    ]);
    const run = start(queue.url, async (event) => ({
      batchItemFailures: event.Records.filter((r) => r.body === "g:0").map((r) => ({
        itemIdentifier: r.messageId,
      })),
    }));
    await waitFor(() => run.bodiesSeen().includes("g:1"), 15_000);
    expect(run.bodiesSeen()).toEqual(["g:0", "g:0", "g:1"]);
    await waitFor(async () => (await queueDepth(queue.dlqUrl)) === 1);
  });

  it("drops a repeat with the same deduplication id inside the window (fauxqs, like SQS)", async () => {
    const queue = await createFifoQueue();
    await sendToGroups(queue.url, [
      ["d", 0],
      ["d", 0],
      ["d", 1],
    ]);
    const run = start(queue.url);
    await waitFor(() => run.records().length === 2);
    await pause(1500);
    expect(run.bodiesSeen()).toEqual(["d:0", "d:1"]);
  });
});
