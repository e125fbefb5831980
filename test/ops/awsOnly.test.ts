import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import {
  ListMessageMoveTasksCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import type { OpsClients } from "../../ops/aws.js";
import { moveMessages, queueDepth, totalOf } from "../../ops/queues.js";
import { provisionForTest } from "../support/localAws.js";
import { runCli } from "./support/runCli.js";

/**
 * The AWS-only paths (SQS message-move tasks, CloudWatch metrics and alarms), which no local
 * emulator offers: the queues are real (fauxqs); the AWS-only calls are answered by fakes that
 * record what the CLI asked. What the CLI shows is checked, not the fakes.
 */

let resources: Awaited<ReturnType<typeof provisionForTest>>;
let outputsFile: string;
let sqs: SQSClient;
const NOW = Date.parse("2026-11-30T12:00:00Z");
const queueName = (url: string) => url.slice(url.lastIndexOf("/") + 1);

beforeAll(async () => {
  resources = await provisionForTest();
  sqs = new SQSClient({
    endpoint: resources.awsEnv.AWS_ENDPOINT_URL_SQS,
    region: resources.awsEnv.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    useQueueUrlAsEndpoint: false,
  });
  outputsFile = join(mkdtempSync(join(tmpdir(), "ops-aws-")), "outputs.json");
  writeFileSync(
    outputsFile,
    JSON.stringify({
      endpointUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/whatsapp",
      webhookIds: { "1": 1205 },
      queueNames: {
        jobs: queueName(resources.queues.jobs),
        jobsDeadLetter: queueName(resources.queues.jobsDlq),
        replies: queueName(resources.queues.replies),
        repliesDeadLetter: queueName(resources.queues.repliesDlq),
      },
      functionNames: { receiver: "fn-receiver", responder: "fn-responder", sender: "fn-sender" },
      secretArns: { vendorToken: "arn:aws:secretsmanager:eu-west-1:1:secret:token" },
      alarmTopicArn: "arn:aws:sns:eu-west-1:1:alarms",
    }),
  );
});

/** The real SQS client, with message-move tasks done by the CLI's own mover and recorded. */
function sqsWithMoveTasks(calls: unknown[]): SQSClient {
  let task: { handle: string; moved: number; polls: number } | undefined;
  return new Proxy(sqs, {
    get(target, key, receiver) {
      if (key !== "send") return Reflect.get(target, key, receiver);
      return async (command: unknown) => {
        if (command instanceof StartMessageMoveTaskCommand) {
          calls.push(command.input);
          const from = {
            name: queueName(resources.queues.repliesDlq),
            url: resources.queues.repliesDlq,
            arn: "",
          };
          const to = {
            name: queueName(resources.queues.replies),
            url: resources.queues.replies,
            arn: "",
          };
          const { moved } = await moveMessages(target, from, to, {
            startedAt: Date.now(),
            limit: Number.MAX_SAFE_INTEGER,
          });
          task = { handle: "task-1", moved, polls: 0 };
          return { TaskHandle: task.handle };
        }
        if (command instanceof ListMessageMoveTasksCommand) {
          calls.push(command.input);
          if (!task) return { Results: [] };
          // Running on the first look, done on the second: the CLI follows it.
          const status = task.polls++ === 0 ? "RUNNING" : "COMPLETED";
          return {
            Results: [
              {
                TaskHandle: task.handle,
                Status: status,
                ApproximateNumberOfMessagesMoved: task.moved,
                ApproximateNumberOfMessagesToMove: task.moved,
              },
            ],
          };
        }
        return target.send(command as never);
      };
    },
  });
}

function fakeCloudWatch(calls: unknown[]): CloudWatchClient {
  return {
    send: async (command: unknown) => {
      if (command instanceof GetMetricDataCommand) {
        calls.push(command.input);
        const ids = (command.input.MetricDataQueries ?? []).map((q) => String(q.Id));
        return {
          MetricDataResults: ids.map((id) => ({
            Id: id,
            // Two periods of sender errors; the oldest reply waited 42 s.
            Values:
              id === "m2errors"
                ? [2, 1]
                : id === "m2invocations"
                  ? [40, 10]
                  : id.startsWith("q")
                    ? [id === "q2" ? 42 : 0]
                    : [],
          })),
        };
      }
      if (command instanceof DescribeAlarmsCommand) {
        calls.push(command.input);
        return {
          MetricAlarms: [
            {
              AlarmName: "alarms-api-5xx",
              StateValue: "OK",
              StateUpdatedTimestamp: new Date(NOW - 86_400_000),
            },
            {
              AlarmName: "alarms-replies-dlq-depth",
              StateValue: "ALARM",
              StateUpdatedTimestamp: new Date(NOW - 300_000),
            },
          ],
        };
      }
      throw new Error("unexpected CloudWatch call");
    },
    destroy: () => undefined,
  } as unknown as CloudWatchClient;
}

const awsClients = (calls: unknown[]) => (): OpsClients => ({
  sqs: sqsWithMoveTasks(calls),
  dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  secretsManager: new SecretsManagerClient({}),
  scheduler: new SchedulerClient({}),
  cloudWatch: fakeCloudWatch(calls),
  destroy: () => undefined,
});

describe("ops on AWS", () => {
  it("redrives with an SQS message-move task from the DLQ's ARN and follows it to the end", async () => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: resources.queues.repliesDlq, MessageBody: "{}" }),
    );
    const calls: unknown[] = [];
    const run = await runCli(["redrive", "replies", "--outputs", outputsFile], {
      clients: awsClients(calls),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Moved 1 message\(s\) from \S+-replies-dlq back to \S+-replies\.$/m,
    );
    expect(run.stderr).toContain("moved 1 of 1...");
    expect(calls[0]).toEqual({ SourceArn: expect.stringMatching(/:t[0-9a-f]+-replies-dlq$/) });
    expect(totalOf(await queueDepth(sqs, resources.queues.repliesDlq))).toBe(0);
  }, 20_000);

  it("with --no-wait, starts the move task and says how to follow it", async () => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: resources.queues.repliesDlq, MessageBody: "{}" }),
    );
    const run = await runCli(
      ["redrive", "replies", "--no-wait", "--outputs", outputsFile, "--json"],
      {
        clients: awsClients([]),
      },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      method: "message-move-task",
      status: "RUNNING",
      toMove: 1,
    });
  });

  it("shows error counts per function and the alarms, alarming first, from CloudWatch", async () => {
    const calls: unknown[] = [];
    const run = await runCli(["status", "--outputs", outputsFile, "--window", "15m"], {
      clients: awsClients(calls),
      now: () => NOW,
    });
    expect(run.stdout).toContain("Errors (last 15m)");
    expect(run.stdout).toMatch(/^ {2}fn-sender\s+50\s+3\s+0$/m);
    expect(run.stdout).toMatch(/^ {2}replies\s+\d+\s+0\s+0\s+42s\s+\S+$/m);
    expect(run.stdout).toMatch(
      /ALARM\s+5m ago\s+alarms-replies-dlq-depth\n\s+OK\s+1d ago\s+alarms-api-5xx/,
    );
    expect(calls).toContainEqual(
      expect.objectContaining({ ActionPrefix: "arn:aws:sns:eu-west-1:1:alarms" }),
    );
  });

  it("still shows every other section when one cannot be answered, and exits 1", async () => {
    const run = await runCli(["status", "--outputs", outputsFile], {
      clients: awsClients([]),
      now: () => NOW,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /Webhook registrations \(as the vendor reports them\)\n {2}failed: .* has no "vendorManagement"/,
    );
    expect(run.stdout).toMatch(/^Alarms\n {2}STATE\s+SINCE\s+ALARM\n {2}ALARM/m);
  });

  it("shows the queue depths even when CloudWatch cannot be reached, and says what is missing", async () => {
    const unreachable = {
      send: async () => {
        throw new Error("connect ETIMEDOUT");
      },
      destroy: () => undefined,
    } as unknown as CloudWatchClient;
    const run = await runCli(["status", "--outputs", outputsFile], {
      clients: () => ({ ...awsClients([])(), cloudWatch: unreachable }),
      now: () => NOW,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}jobs\s+0\s+0\s+0\s+\?\s+\S+$/m);
    expect(run.stdout).toContain("(oldest message age unavailable: connect ETIMEDOUT)");
    expect(run.stdout).toMatch(/Errors \(last 1h\)\n {2}failed: connect ETIMEDOUT/);
  });
});
