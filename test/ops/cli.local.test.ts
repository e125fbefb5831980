import {
  DeleteMessageCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { writeLocalOutputs } from "../../local/opsOutputs.js";
import { type LocalStack, startLocalStack } from "../../local/stack.js";
import { queueDepth, waitFor } from "../support/queues.js";
import { withoutResends } from "../support/vendorResends.js";
import { customerSays, opsOn } from "./support/opsOnStack.js";

/**
 * Every phase-1 command against the real local stack, through the outputs file `npm start --
 * --outputs` writes: the operator's view of queues, DLQs, the webhook registration, and a DLQ
 * redrive that ends in a reply the vendor received.
 */

const PHONE = "14155550177";
const RULES = [{ match: "ping", messages: [{ text: "pong", delay: 0 }] }];

let stack: LocalStack;
let outputsFile: string;
let ops: Awaited<ReturnType<typeof opsOn>>["ops"];
const logLines: string[] = [];
/** How long the replies may stand still before a wait fails (a loaded machine is slow, not stuck). */
const STALL_MS = 30_000;
/** A test's bound, for a machine loaded many times over. */
const LOADED_MACHINE_TEST_MS = 300_000;

/** Grows or shrinks while the reply moves: its queues' depths and the vendor's sends. */
const replyProgress = async () =>
  (await queueDepth(stack.sqsClient, stack.resources.queues.replies)) +
  (await queueDepth(stack.sqsClient, stack.resources.queues.repliesDlq)) * 100 +
  stack.vendor.sent().length * 10_000;

beforeAll(async () => {
  stack = await startLocalStack({
    rules: RULES,
    services: { awsEnv: inject("awsEnv") },
    prefix: `ops${Date.now().toString(36)}-`,
    logLevel: "ERROR",
    log: (line) => logLines.push(line),
    // Two attempts: a failing reply reaches the DLQ after their backoffs, seconds apart. The
    // invocation and vendor timeouts stay the local stack's: on a loaded machine a job outlived a
    // 1.5 s invocation twice and went to the jobs DLQ, its replies sent by the first run.
    timing: { maxReceiveCount: 2 },
  });
  ({ outputsFile, ops } = await opsOn(stack));
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe("ops status on the local stack", () => {
  it("shows every queue with its depth, and the webhook registration as the vendor reports it", async () => {
    const run = await ops("status");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/QUEUE\s+WAITING\s+IN FLIGHT\s+DELAYED\s+OLDEST\s+NAME/);
    for (const queue of ["jobs", "jobs DLQ", "replies", "replies DLQ"]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${queue}\\s+0\\s+0\\s+0\\s+—`, "m"));
    }
    expect(run.stdout).toMatch(
      /^ {2}1\s+\d+\s+yes\s+yes\s+yes\s+yes\s+http:\/\/127\.0\.0\.1:\d+\/webhooks\/whatsapp\?g=1$/m,
    );
  });

  it("says error counts and alarms are unavailable locally instead of inventing them", async () => {
    const run = await ops("status", "--json");
    const status = JSON.parse(run.stdout);
    expect(status.errors).toMatchObject({
      state: "unavailable",
      reason: expect.stringMatching(/no CloudWatch/),
    });
    expect(status.alarms).toMatchObject({ state: "unavailable" });
    expect(status.webhook.data).toEqual([
      expect.objectContaining({
        generation: "1",
        found: true,
        enabled: true,
        signature: true,
        pointsAtStack: true,
      }),
    ]);
  });

  it("never prints the vendor token it reads to ask the vendor", async () => {
    const runs = [await ops("status"), await ops("status", "--json")];
    for (const run of runs) expect(run.stdout + run.stderr).not.toContain(stack.vendorToken);
  });

  it("reports a registration deleted at the vendor as missing, and fails", async () => {
    const [row] = stack.vendor.webhooks();
    stack.vendor.removeWebhook(row?.id as number);
    try {
      const run = await ops("status");
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/MISSING at the vendor: pulumi refresh, then pulumi up/);
    } finally {
      await writeLocalOutputs(stack, outputsFile); // registers it again for the tests below
    }
  });

  it("reports the vendor refusing the list call without showing the token, and fails", async () => {
    stack.vendor.scriptManagementResponses([
      { status: 401, body: { message: `bad token ${stack.vendorToken}` } },
    ]);
    const run = await ops("status");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/failed: vendor management API answered 401 "bad token \[token\]"/);
    expect(run.stdout).not.toContain(stack.vendorToken);
    expect(run.stdout).toMatch(/^ {2}jobs\s+0/m); // the other sections still answer
  });
});

describe("ops dlq and redrive on the local stack", () => {
  it("says each DLQ is empty when it is", async () => {
    const run = await ops("dlq");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("jobs DLQ (");
    expect(run.stdout).toMatch(/jobs DLQ \(\S+\): empty/);
    expect(run.stdout).toMatch(/replies DLQ \(\S+\): empty/);
  });

  it(
    "redrives a reply that failed every attempt, and the vendor then receives it once",
    async () => {
      // The vendor fails both attempts: the reply goes to the replies DLQ.
      stack.vendor.scriptSendResponses([{ status: 500 }, { status: 500 }]);
      await customerSays(stack, PHONE, "ping");
      await waitFor(
        "the reply in the DLQ",
        async () => (await queueDepth(stack.sqsClient, stack.resources.queues.repliesDlq)) === 1,
        { timeoutMs: STALL_MS, progress: () => replyProgress() },
      );
      expect(stack.vendor.sent()).toEqual([]);

      const dlq = await ops("dlq", "replies", "--peek");
      expect(dlq.code).toBe(0);
      expect(dlq.stdout).toMatch(/replies DLQ \(\S+\): 1 message/);
      expect(dlq.stdout).toMatch(/scheduled-reply\s+\+1 •+0177\s+\S+#1\/1/);
      expect(dlq.stdout).not.toContain(PHONE);
      expect(dlq.stdout).not.toContain("pong");
      expect(dlq.stdout).toContain(`then: npm run ops -- redrive <queue> --outputs ${outputsFile}`);

      const redrive = await ops("redrive", "replies");
      expect(redrive.code).toBe(0);
      expect(redrive.stdout).toMatch(
        /^Moved 1 message from \S+-replies-dlq back to \S+-replies\.$/m,
      );
      await waitFor("the redriven reply at the vendor", () => stack.vendor.sent().length >= 1, {
        timeoutMs: STALL_MS,
        progress: () => replyProgress(),
      });
      // A resend after a vendor timeout (promise 8a) is not a second reply.
      expect(withoutResends(stack.vendor.sent()).map((s) => [s.phone, s.text])).toEqual([
        [`+${PHONE}`, "pong"],
      ]);
      expect(await queueDepth(stack.sqsClient, stack.resources.queues.repliesDlq)).toBe(0);
    },
    LOADED_MACHINE_TEST_MS,
  );

  it("lists a DLQ message it cannot read, masked, and as JSON for scripts", async () => {
    await stack.workers.responder?.stop();
    try {
      await stack.sqsClient.send(
        new SendMessageCommand({
          QueueUrl: stack.resources.queues.jobsDlq,
          MessageBody: JSON.stringify({ kind: "webhook-job", webhook: { phone: "447700900123" } }),
          // The jobs DLQ is FIFO, like its queue.
          MessageGroupId: "447700900123",
          MessageDeduplicationId: "dlq-readable",
        }),
      );
      await stack.sqsClient.send(
        new SendMessageCommand({
          QueueUrl: stack.resources.queues.jobsDlq,
          MessageBody: "not json 447700900456",
          MessageGroupId: "unreadable",
          MessageDeduplicationId: "dlq-unreadable",
        }),
      );
      const run = await ops("dlq", "jobs", "--peek", "--json");
      expect(run.code).toBe(0);
      const [jobs] = JSON.parse(run.stdout).queues;
      expect(jobs).toMatchObject({ queue: "jobs", total: 2 });
      expect(
        jobs.messages.map((m: { kind: string; contact: string | null }) => [m.kind, m.contact]),
      ).toEqual([
        ["webhook-job", "••••••••0123"],
        ["unreadable", null],
      ]);
      expect(run.stdout).not.toMatch(/447700900(123|456)/);

      const redrive = await ops("redrive", "jobs", "--json");
      expect(JSON.parse(redrive.stdout)).toMatchObject({
        method: "receive-send-delete",
        moved: 2,
        duplicated: 0,
      });
      expect(await queueDepth(stack.sqsClient, stack.resources.queues.jobs)).toBe(2);
      expect(await queueDepth(stack.sqsClient, stack.resources.queues.jobsDlq)).toBe(0);
    } finally {
      await stack.sqsClient.send(new PurgeQueueCommand({ QueueUrl: stack.resources.queues.jobs }));
      stack.workers.responder?.start();
    }
  });

  it("counts a DLQ's messages without changing their receive counts; only --peek receives", async () => {
    await stack.workers.responder?.stop();
    try {
      await stack.sqsClient.send(
        new SendMessageCommand({
          QueueUrl: stack.resources.queues.jobsDlq,
          MessageBody: JSON.stringify({ kind: "webhook-job", webhook: { phone: "447400123456" } }),
          MessageGroupId: "447400123456",
          MessageDeduplicationId: "dlq-counted",
        }),
      );
      for (const _ of [1, 2]) {
        const run = await ops("dlq", "jobs", "--json");
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout).queues[0]).toMatchObject({ total: 1, messages: [] });
      }
      // The first receive of the message is the peek itself: the two counts received nothing.
      const peek = await ops("dlq", "jobs", "--peek", "--json");
      expect(JSON.parse(peek.stdout).queues[0].messages).toEqual([
        expect.objectContaining({ kind: "webhook-job", receiveCount: 1 }),
      ]);
      const again = await ops("dlq", "jobs");
      expect(again.stdout).toMatch(/See a few of them, redacted: npm run ops -- dlq --peek/);
    } finally {
      await stack.sqsClient.send(
        new PurgeQueueCommand({ QueueUrl: stack.resources.queues.jobsDlq }),
      );
      stack.workers.responder?.start();
    }
  });

  it("moves each job once when the jobs fail again at once", async () => {
    await stack.workers.responder?.stop();
    try {
      for (let i = 0; i < 5; i++) {
        await stack.sqsClient.send(
          new SendMessageCommand({
            QueueUrl: stack.resources.queues.jobsDlq,
            MessageBody: JSON.stringify({ kind: "webhook-job", key: `k${i}`, webhook: {} }),
            MessageGroupId: `g${i}`,
            MessageDeduplicationId: `dlq-again-${i}`,
          }),
        );
      }
      // The responder is down; a stand-in fails each redriven job at once, sending it back to the
      // DLQ as the responder does (a new message, the same job).
      const bounce = setInterval(async () => {
        const { Messages = [] } = await stack.sqsClient.send(
          new ReceiveMessageCommand({
            QueueUrl: stack.resources.queues.jobs,
            MaxNumberOfMessages: 10,
          }),
        );
        for (const m of Messages) {
          await stack.sqsClient.send(
            new SendMessageCommand({
              QueueUrl: stack.resources.queues.jobsDlq,
              MessageBody: m.Body,
              MessageGroupId: "again",
              MessageDeduplicationId: `${m.MessageId}`,
            }),
          );
          await stack.sqsClient.send(
            new DeleteMessageCommand({
              QueueUrl: stack.resources.queues.jobs,
              ReceiptHandle: m.ReceiptHandle,
            }),
          );
        }
      }, 20);
      try {
        const redrive = await ops("redrive", "jobs", "--json");
        expect(JSON.parse(redrive.stdout)).toMatchObject({ moved: 5, duplicated: 0 });
      } finally {
        clearInterval(bounce);
      }
    } finally {
      await stack.sqsClient.send(new PurgeQueueCommand({ QueueUrl: stack.resources.queues.jobs }));
      await stack.sqsClient.send(
        new PurgeQueueCommand({ QueueUrl: stack.resources.queues.jobsDlq }),
      );
      stack.workers.responder?.start();
    }
  });

  it("says there is nothing to redrive when the DLQ is empty", async () => {
    const run = await ops("redrive", "replies");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Nothing to redrive: \S+-replies-dlq is empty\.$/m);
  });
});
