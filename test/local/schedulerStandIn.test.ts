import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from "@aws-sdk/client-scheduler";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  atExpression,
  EventBridgeReplyScheduler,
} from "../../lambdas/adapters/EventBridgeReplyScheduler.js";
import { restCallOf } from "../../local/countingProxy.js";
import { jumpClock } from "../../local/jumpClock.js";
import {
  type RunningScheduler,
  startSchedulerStandIn,
} from "../../local/services/schedulerStandIn.js";
import { aReply } from "../support/replyFixtures.js";

/**
 * The EventBridge Scheduler stand-in, through the real SDK (@aws-sdk/client-scheduler): the calls
 * the responder and the ops CLI make, and firing at() schedules onto fauxqs on its own clock.
 * The protocol's source: test/fixtures/contracts/scheduler/README.md.
 */

const awsEnv = inject("awsEnv");
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const sqs = new SQSClient({
  endpoint: awsEnv.AWS_ENDPOINT_URL_SQS,
  region: "us-east-1",
  credentials,
  useQueueUrlAsEndpoint: false,
});
const clock = jumpClock();
let standIn: RunningScheduler;
let client: SchedulerClient;
let queue: { url: string; arn: string };
let dlq: { url: string; arn: string };
const prefix = `sch${Date.now() % 100_000}-`;

async function makeQueue(name: string) {
  const url = String((await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl);
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  return { url, arn: String(attributes.Attributes?.QueueArn) };
}

async function receive(url: string) {
  const answer = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      WaitTimeSeconds: 1,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ["All"],
    }),
  );
  return answer.Messages ?? [];
}

const target = () => ({
  groupName: `${prefix}replies`,
  queueArn: queue.arn,
  roleArn: "arn:aws:iam::000000000000:role/scheduler",
  deadLetterArn: dlq.arn,
});

beforeAll(async () => {
  standIn = await startSchedulerStandIn({
    sqsEndpoint: awsEnv.AWS_ENDPOINT_URL_SQS as string,
    now: clock.now,
    pollMs: 50,
  });
  client = new SchedulerClient({ endpoint: standIn.endpoint, region: "us-east-1", credentials });
  queue = await makeQueue(`${prefix}replies`);
  dlq = await makeQueue(`${prefix}schedules-dlq`);
  await client.send(new CreateScheduleGroupCommand({ Name: `${prefix}replies` }));
});

afterAll(async () => {
  client?.destroy();
  sqs.destroy();
  await standIn?.stop();
});

describe("the Scheduler stand-in", () => {
  it("serves each operation at the method and path the SDK's own model gives it", async () => {
    const model = await readFile(
      "node_modules/@aws-sdk/client-scheduler/dist-es/schemas/schemas_0.js",
      "utf8",
    );
    const paths: Record<string, string> = {};
    for (const [, constName, method, path] of model.matchAll(
      /export var (\w+)\$ = \[9, n0, _\w+,\s*\{ \[_h\]: \["(\w+)", "([^"]+)", 200\] \}/g,
    )) {
      paths[constName as string] = `${method} ${path}`;
    }
    const served = [
      "CreateSchedule",
      "GetSchedule",
      "DeleteSchedule",
      "ListSchedules",
      "CreateScheduleGroup",
      "GetScheduleGroup",
    ];
    for (const operation of served) {
      const [method = "", path = ""] = (paths[operation] ?? "").split(" ");
      const url = path.replace("{Name}", "x");
      // The counting proxy reads the same table (what iamByUse and the bench count).
      expect(restCallOf(method, url, "{}")?.operation, operation).toBe(operation);
    }
  });

  it("creates a one-time schedule as the responder asks, reads it back, and refuses the name again", async () => {
    const adapter = new EventBridgeReplyScheduler(client, target());
    const fireAt = clock.now() + 3_600_000;
    const body = aReply({ planId: "plan_aa", seq: 1, dueAt: fireAt + 300_000 });
    expect(await adapter.schedule(body, { name: "plan_aa-001", fireAt })).toBe("created");
    expect(await adapter.schedule(body, { name: "plan_aa-001", fireAt })).toBe("exists");
    const schedule = await client.send(
      new GetScheduleCommand({ Name: "plan_aa-001", GroupName: `${prefix}replies` }),
    );
    expect(schedule).toMatchObject({
      Name: "plan_aa-001",
      GroupName: `${prefix}replies`,
      ScheduleExpression: atExpression(fireAt),
      ActionAfterCompletion: "DELETE",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: { Arn: queue.arn, DeadLetterConfig: { Arn: dlq.arn } },
    });
    expect(schedule.CreationDate).toBeInstanceOf(Date);
    expect(JSON.parse(String(schedule.Target?.Input))).toEqual(body);
  });

  it("lists a group's schedules and deletes one", async () => {
    const adapter = new EventBridgeReplyScheduler(client, target());
    await adapter.schedule(aReply({ planId: "plan_bb" }), {
      name: "plan_bb-000",
      fireAt: clock.now() + 7_200_000,
    });
    const listed = await client.send(
      new ListSchedulesCommand({ GroupName: `${prefix}replies`, NamePrefix: "plan_bb" }),
    );
    expect(listed.Schedules?.map((s) => s.Name)).toEqual(["plan_bb-000"]);
    await client.send(
      new DeleteScheduleCommand({ Name: "plan_bb-000", GroupName: `${prefix}replies` }),
    );
    await expect(
      client.send(new GetScheduleCommand({ Name: "plan_bb-000", GroupName: `${prefix}replies` })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("refuses a schedule in a group that does not exist", async () => {
    await expect(
      new EventBridgeReplyScheduler(client, { ...target(), groupName: "nope" }).schedule(aReply(), {
        name: "plan_cc-000",
        fireAt: clock.now() + 60_000,
      }),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("fires a schedule onto its queue once its clock passes the at() time, then deletes it", async () => {
    const adapter = new EventBridgeReplyScheduler(client, target());
    const fireAt = Math.floor((clock.now() + 60 * 24 * 3600 * 1000) / 1000) * 1000;
    const body = aReply({ planId: "plan_dd", text: "sixty days on" });
    await adapter.schedule(body, { name: "plan_dd-000", fireAt });
    const firedBefore = standIn.fired();
    await standIn.tick();
    expect(standIn.fired()).toBe(firedBefore);
    clock.advance(fireAt - clock.now());
    await standIn.tick();
    // It, and the earlier tests' schedules that fell due on the way.
    expect(standIn.fired()).toBeGreaterThan(firedBefore);
    const messages = await receive(queue.url);
    expect(messages.map((m) => JSON.parse(String(m.Body)).text)).toContain("sixty days on");
    await expect(
      client.send(new GetScheduleCommand({ Name: "plan_dd-000", GroupName: `${prefix}replies` })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("sends a reply it cannot deliver to the DLQ after its retries, saying why", async () => {
    const adapter = new EventBridgeReplyScheduler(client, {
      ...target(),
      queueArn: `arn:aws:sqs:us-east-1:000000000000:${prefix}gone`,
    });
    const fireAt = Math.floor(clock.now() / 1000) * 1000 + 1000;
    await adapter.schedule(aReply({ planId: "plan_ee" }), { name: "plan_ee-000", fireAt });
    clock.advance(2000);
    await standIn.tick();
    // Past the retry policy's event age (24 h): the next attempt gives up to the DLQ.
    clock.advance(24 * 3600 * 1000 + 1000);
    await standIn.tick();
    const [dead] = await receive(dlq.url);
    expect(JSON.parse(String(dead?.Body)).planId).toBe("plan_ee");
    expect(dead?.MessageAttributes?.EXHAUSTED_RETRY_CONDITION?.StringValue).toBe(
      "MaximumEventAgeInSeconds",
    );
  });

  it("keeps its groups and schedules in --data-dir across a restart", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "scheduler-"));
    try {
      // A stand-in on the data directory, and an SDK client of it.
      const open = async () => {
        const running = await startSchedulerStandIn({
          sqsEndpoint: awsEnv.AWS_ENDPOINT_URL_SQS as string,
          dataDir,
        });
        const sdk = new SchedulerClient({
          endpoint: running.endpoint,
          region: "us-east-1",
          credentials,
        });
        return {
          sdk,
          close: async () => {
            sdk.destroy();
            await running.stop();
          },
        };
      };
      const first = await open();
      await first.sdk.send(new CreateScheduleGroupCommand({ Name: "kept" }));
      await new EventBridgeReplyScheduler(first.sdk, { ...target(), groupName: "kept" }).schedule(
        aReply(),
        { name: "plan_ff-000", fireAt: Date.now() + 3_600_000 },
      );
      await first.close();
      const second = await open();
      const kept = await second.sdk.send(
        new GetScheduleCommand({ Name: "plan_ff-000", GroupName: "kept" }),
      );
      expect(kept.ActionAfterCompletion).toBe("DELETE");
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
