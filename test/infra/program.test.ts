import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { writeOnlyVersion } from "../../infra/components/PipelineSecrets.js";
import { broadGrants, type PolicyDocument } from "../../infra/policies.js";
import {
  FUNCTION_ENV,
  type FunctionName,
  RULES_BUNDLE_FILE,
  TABLES,
  WEBHOOK_ROUTE,
} from "../../lambdas/contract.js";
import { isSecretValue, plain, ResourceGraph } from "./support/graph.js";
import {
  API_ENDPOINT,
  computedOutputs,
  fakeSigningSecret,
  recordingMocks,
  unwrap,
} from "./support/recordingMocks.js";
import { stackFileConfig } from "./support/stackFiles.js";

// The Lambda code is bundled by esbuild in the real program (tested in lambdaBundle.test.ts);
// here a stub archive records which function asked for which handler.
const bundled = vi.hoisted(() => [] as string[]);
const dataFiles = vi.hoisted(() => ({}) as Record<string, Record<string, string>>);
vi.mock("../../infra/lambdaBundle.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../infra/lambdaBundle.js")>();
  const { asset } = await import("@pulumi/pulumi");
  return {
    ...original,
    lambdaArchive: (fn: string, _location?: unknown, files: Record<string, string> = {}) => {
      bundled.push(fn);
      dataFiles[fn] = files;
      return new asset.AssetArchive({ "index.mjs": new asset.StringAsset(`// bundle of ${fn}`) });
    },
  };
});

const NS = "whatsable-replies";
const TOKEN = "vendor-token-in-stack-config-9d8e7f";
const T = {
  table: "aws:dynamodb/table:Table",
  queue: "aws:sqs/queue:Queue",
  redriveAllow: "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  fn: "aws:lambda/function:Function",
  esm: "aws:lambda/eventSourceMapping:EventSourceMapping",
  permission: "aws:lambda/permission:Permission",
  functionUrl: "aws:lambda/functionUrl:FunctionUrl",
  api: "aws:apigatewayv2/api:Api",
  integration: "aws:apigatewayv2/integration:Integration",
  route: "aws:apigatewayv2/route:Route",
  stage: "aws:apigatewayv2/stage:Stage",
  topic: "aws:sns/topic:Topic",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  key: "aws:kms/key:Key",
  metricFilter: "aws:cloudwatch/logMetricFilter:LogMetricFilter",
  webhook: "pulumi-nodejs:dynamic/whatsable:VendorWebhook",
  scheduleGroup: "aws:scheduler/scheduleGroup:ScheduleGroup",
} as const;
const FUNCTIONS: FunctionName[] = ["receiver", "responder", "sender"];

const arnOf = (type: string, name: string) => computedOutputs(type, name, 0).arn as string;

let graph: ResourceGraph;
let program: typeof import("../../infra/index.js");

beforeAll(async () => {
  const recorded = await recordingMocks({
    project: NS,
    stack: "dev",
    config: { ...stackFileConfig("dev"), [`${NS}:vendorToken`]: TOKEN },
    secretKeys: [`${NS}:vendorToken`],
  });
  program = await import("../../infra/index.js");
  await unwrap(program.endpointUrl);
  await pulumi.runtime.disconnect(); // waits for every outstanding registration
  graph = new ResourceGraph(recorded);
}, 60_000);

function policyOf(fn: FunctionName): PolicyDocument {
  return JSON.parse(graph.inputs(T.rolePolicy, `${fn}-policy`).policy as string);
}

/** Resources a function's policy grants `action` on. */
function grantedResources(fn: FunctionName, action: string): string[] {
  return policyOf(fn)
    .Statement.filter((s) => s.Action.includes(action))
    .flatMap((s) => s.Resource);
}

describe("Pulumi program (dev stack)", () => {
  it("creates the expected resource graph", () => {
    expect(graph.countByType()).toEqual({
      "whatsable:index:WhatsAppReplyPipeline": 1,
      "whatsable:data:DataTables": 1,
      "whatsable:queues:QueueWithDeadLetter": 2,
      "whatsable:secrets:PipelineSecrets": 1,
      "whatsable:functions:PipelineFunction": 3,
      "whatsable:ingress:WebhookIngress": 1,
      "whatsable:webhook:WebhookRegistrations": 1,
      "whatsable:monitoring:PipelineAlarms": 1,
      "whatsable:schedules:ReplySchedules": 1,
      [T.table]: 1,
      [T.queue]: 5,
      [T.redriveAllow]: 2,
      [T.secret]: 2,
      [T.secretVersion]: 2,
      [T.role]: 4,
      [T.rolePolicy]: 4,
      [T.scheduleGroup]: 1,
      [T.logGroup]: 4,
      [T.fn]: 3,
      [T.esm]: 2,
      [T.permission]: 1,
      [T.api]: 1,
      [T.integration]: 1,
      [T.route]: 1,
      [T.stage]: 1,
      [T.webhook]: 1,
      [T.topic]: 1,
      [T.key]: 1,
      [T.metricFilter]: 4,
      [T.alarm]: 14,
    });
  });

  it("parents every resource to one of the components", () => {
    for (const resource of graph.resources.filter((r) => !r.type.startsWith("whatsable:"))) {
      expect(graph.byUrn(resource.parent)?.type, resource.name).toMatch(/^whatsable:/);
    }
  });

  describe("tables", () => {
    it.each([["data-conversation", TABLES.conversation]] as const)(
      "%s is on-demand with PITR and TTL on the contract's keys",
      (name, schema) => {
        expect(graph.inputs(T.table, name)).toMatchObject({
          billingMode: "PAY_PER_REQUEST",
          hashKey: schema.partitionKey,
          pointInTimeRecovery: { enabled: true },
          ttl: { attributeName: "expiresAt", enabled: true },
          deletionProtectionEnabled: false,
        });
        expect(graph.inputs(T.table, name).rangeKey).toBe(
          "sortKey" in schema ? schema.sortKey : undefined,
        );
      },
    );

    it("keeps the conversation table without an index (nothing reads one)", () => {
      expect(graph.inputs(T.table, "data-conversation").globalSecondaryIndexes).toBeUndefined();
    });

    it("has no separate sent-markers table (reply items live in the conversation table)", () => {
      expect(graph.ofType(T.table).map((t) => t.name)).not.toContain("data-sent-markers");
    });

    it("is not protected outside prod", () => {
      for (const table of graph.ofType(T.table)) expect(table.protect).toBe(false);
    });
  });

  describe("queues", () => {
    it("makes the jobs queue and its DLQ FIFO, deduplicated by the sender's id", () => {
      for (const name of ["jobs", "jobs-dlq"]) {
        expect(graph.inputs(T.queue, name)).toMatchObject({
          fifoQueue: true,
          contentBasedDeduplication: false,
          deduplicationScope: "messageGroup",
          fifoThroughputLimit: "perMessageGroupId",
        });
      }
    });

    it("lets Pulumi name every queue (a random suffix), so an up right after a destroy succeeds", () => {
      // A fixed name is held by SQS for 60 s after a delete (fixtures/contracts/aws/sqs-create-queue.md).
      for (const queue of graph.ofType(T.queue)) {
        expect(queue.inputs.name, queue.name).toBeUndefined();
        expect(queue.inputs.namePrefix, queue.name).toBeUndefined();
      }
    });

    it("keeps the replies queue standard (FIFO queues take no per-message delay)", () => {
      for (const name of ["replies", "replies-dlq"]) {
        expect(graph.inputs(T.queue, name).fifoQueue).toBeUndefined();
      }
    });

    it.each(["jobs", "replies"])(
      "%s is encrypted and redrives to its DLQ after 5 receives",
      (name) => {
        const queue = graph.inputs(T.queue, name);
        expect(queue.sqsManagedSseEnabled).toBe(true);
        expect(JSON.parse(queue.redrivePolicy as string)).toEqual({
          deadLetterTargetArn: arnOf(T.queue, `${name}-dlq`),
          maxReceiveCount: 5,
        });
        expect(graph.inputs(T.queue, `${name}-dlq`)).toMatchObject({
          sqsManagedSseEnabled: true,
          messageRetentionSeconds: 14 * 24 * 3600,
        });
      },
    );

    it.each(["jobs", "replies", "jobs-dlq", "replies-dlq"])(
      "%s takes messages up to SQS's 1 MiB maximum, so a large job is never refused",
      (name) => {
        expect(graph.inputs(T.queue, name).maxMessageSize).toBe(1024 * 1024);
      },
    );

    it.each(["jobs", "replies"])("%s's DLQ accepts redrive from that queue only", (name) => {
      const policy = graph.inputs(T.redriveAllow, `${name}-dlq-redrive-allow`);
      expect(JSON.parse(policy.redriveAllowPolicy as string)).toEqual({
        redrivePermission: "byQueue",
        sourceQueueArns: [arnOf(T.queue, name)],
      });
    });

    it.each([
      ["responder", "jobs"],
      ["sender", "replies"],
    ])("hides a message from %s at least 6× its timeout (+ batching window)", (fn, queue) => {
      const mapping = graph.inputs(T.esm, `${fn}-trigger`);
      const timeout = graph.inputs(T.fn, fn).timeout as number;
      const window = (mapping.maximumBatchingWindowInSeconds as number | undefined) ?? 0;
      expect(mapping.eventSourceArn).toBe(arnOf(T.queue, queue));
      expect(graph.inputs(T.queue, queue).visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
        6 * timeout + window,
      );
    });
  });

  describe("functions", () => {
    it.each(FUNCTIONS)("%s runs nodejs22.x on arm64 from its own esbuild bundle", (fn) => {
      expect(graph.inputs(T.fn, fn)).toMatchObject({
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        handler: "index.handler",
        role: arnOf(T.role, `${fn}-role`),
      });
      expect(bundled).toContain(fn);
    });

    it.each(FUNCTIONS)("%s gets exactly the env names lambdas/contract.ts lists for it", (fn) => {
      const variables = (
        graph.inputs(T.fn, fn).environment as { variables: Record<string, string> }
      ).variables;
      expect(Object.keys(variables).sort()).toEqual([...FUNCTION_ENV[fn]].sort());
      expect(JSON.stringify(variables)).not.toContain(TOKEN);
    });

    it("points the functions at the right tables, queues and secrets", () => {
      const env = (fn: FunctionName) =>
        (graph.inputs(T.fn, fn).environment as { variables: Record<string, string> }).variables;
      expect(env("receiver")).toMatchObject({
        JOBS_QUEUE_URL: computedOutputs(T.queue, "jobs", 0).url,
        SIGNING_SECRET_ID: arnOf(T.secret, "secrets-signing"),
        SIGNATURE_SCHEME: "auto",
        POWERTOOLS_LOG_LEVEL: "DEBUG",
      });
      expect(env("responder")).toMatchObject({
        CONVERSATION_TABLE: "data-conversation",
        REPLIES_QUEUE_URL: computedOutputs(T.queue, "replies", 0).url,
      });
      expect(env("responder").REPLY_RULES_FILE).toBe(RULES_BUNDLE_FILE);
      expect(env("responder")).toMatchObject({
        HUMAN_PAUSE_SECONDS: "3600",
        OPT_OUT: JSON.stringify({ languages: ["en"] }),
      });
      // dev answers only the test numbers of Pulumi.dev.yaml.
      expect(env("responder").REPLY_CONTACTS).toBe("12025550101,12025550102");
      expect(env("sender")).toMatchObject({
        CONVERSATION_TABLE: "data-conversation",
        VENDOR_TOKEN_SECRET_ID: arnOf(T.secret, "secrets-vendor-token"),
        VENDOR_BASE_URL: "https://api.insightssystem.com",
        VENDOR_SEND_PATH: "/api:-GWQv5aM/send",
      });
    });

    it("ships the stack's reply rules as a file beside the responder's code, not in its env", () => {
      expect(Object.keys(dataFiles.responder ?? {})).toEqual([RULES_BUNDLE_FILE]);
      expect(JSON.parse(dataFiles.responder?.[RULES_BUNDLE_FILE] ?? "")).toEqual(
        JSON.parse(stackFileConfig("dev")[`${NS}:replyRules`] ?? ""),
      );
      expect(dataFiles.receiver).toEqual({});
      expect(dataFiles.sender).toEqual({});
    });

    it.each(FUNCTIONS)("%s logs to its own log group, kept for the configured days", (fn) => {
      expect(graph.inputs(T.fn, fn).loggingConfig).toEqual({
        logFormat: "JSON",
        logGroup: `${fn}-logs`,
        systemLogLevel: "WARN",
      });
      expect(graph.inputs(T.logGroup, `${fn}-logs`).retentionInDays).toBe(14);
    });

    it("reports partial batch failures from both queue triggers", () => {
      for (const fn of ["responder", "sender"]) {
        expect(graph.inputs(T.esm, `${fn}-trigger`).functionResponseTypes).toEqual([
          "ReportBatchItemFailures",
        ]);
      }
    });

    it("caps the sender's concurrency; the responder batches without a window (FIFO allows none)", () => {
      expect(graph.inputs(T.esm, "sender-trigger")).toMatchObject({
        scalingConfig: { maximumConcurrency: 2 },
        batchSize: 5,
      });
      expect(graph.inputs(T.esm, "responder-trigger")).toMatchObject({ batchSize: 10 });
      expect(graph.inputs(T.esm, "responder-trigger").maximumBatchingWindowInSeconds).toBe(
        undefined,
      );
    });
  });

  describe("IAM", () => {
    it.each(FUNCTIONS)("%s's role trusts Lambda only", (fn) => {
      expect(JSON.parse(graph.inputs(T.role, `${fn}-role`).assumeRolePolicy as string)).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      });
    });

    it.each(FUNCTIONS)("%s's policy has no wildcard action and no '*' resource", (fn) => {
      const policy = policyOf(fn);
      expect(broadGrants(policy)).toEqual([]);
      for (const statement of policy.Statement) {
        expect(statement.Effect).toBe("Allow");
        for (const action of statement.Action) expect(action).not.toContain("*");
        for (const resource of statement.Resource) expect(resource).not.toBe("*");
      }
    });

    it("lets only the receiver read the signing secret, and only the sender the vendor token", () => {
      expect(grantedResources("receiver", "secretsmanager:GetSecretValue")).toEqual([
        arnOf(T.secret, "secrets-signing"),
      ]);
      expect(grantedResources("sender", "secretsmanager:GetSecretValue")).toEqual([
        arnOf(T.secret, "secrets-vendor-token"),
      ]);
      expect(grantedResources("responder", "secretsmanager:GetSecretValue")).toEqual([]);
    });

    it("lets each function send only to the queue downstream of it (the responder also to the jobs DLQ)", () => {
      expect(grantedResources("receiver", "sqs:SendMessage")).toEqual([arnOf(T.queue, "jobs")]);
      // And the jobs DLQ, where it sends a job that can never succeed at once.
      expect(grantedResources("responder", "sqs:SendMessage")).toEqual([
        arnOf(T.queue, "replies"),
        arnOf(T.queue, "jobs-dlq"),
      ]);
      expect(grantedResources("sender", "sqs:SendMessage")).toEqual([arnOf(T.queue, "replies")]);
    });

    it("lets each worker consume only its own queue, and the receiver none", () => {
      expect(grantedResources("receiver", "sqs:ReceiveMessage")).toEqual([]);
      expect(grantedResources("responder", "sqs:ReceiveMessage")).toEqual([arnOf(T.queue, "jobs")]);
      expect(grantedResources("sender", "sqs:ChangeMessageVisibility")).toEqual([
        arnOf(T.queue, "replies"),
      ]);
    });

    it("gives each function only its tables", () => {
      const tablesOf = (fn: FunctionName) =>
        new Set(
          policyOf(fn)
            .Statement.filter((s) => s.Action.some((a) => a.startsWith("dynamodb:")))
            .flatMap((s) => s.Resource),
        );
      const table = (name: string) => arnOf(T.table, name);
      // The receiver's one call is the SendMessage: no table at all.
      expect(tablesOf("receiver")).toEqual(new Set());
      expect(tablesOf("responder")).toEqual(new Set([table("data-conversation")]));
      expect(tablesOf("sender")).toEqual(new Set([table("data-conversation")]));
    });

    it.each(FUNCTIONS)("%s may write only its own log group", (fn) => {
      expect(grantedResources(fn, "logs:PutLogEvents")).toEqual([
        `${arnOf(T.logGroup, `${fn}-logs`)}:log-stream:*`,
      ]);
    });
  });

  describe("ingress (an API Gateway HTTP API, the default)", () => {
    it("routes POST /webhooks/whatsapp to the receiver with payload format 2.0", () => {
      expect(graph.inputs(T.api, "ingress-api").protocolType).toBe("HTTP");
      expect(graph.inputs(T.route, "ingress-route")).toMatchObject({
        routeKey: "POST /webhooks/whatsapp",
        target: "integrations/ingress-receiver-id",
      });
      expect(graph.inputs(T.integration, "ingress-receiver")).toMatchObject({
        integrationType: "AWS_PROXY",
        integrationUri: arnOf(T.fn, "receiver"),
        payloadFormatVersion: "2.0",
        timeoutMilliseconds: 10_000,
      });
    });

    it("throttles at the $default stage (50 a second, bursts of 100), with JSON access logs", () => {
      const stage = graph.inputs(T.stage, "ingress-stage");
      expect(stage).toMatchObject({
        name: "$default",
        autoDeploy: true,
        defaultRouteSettings: {
          throttlingRateLimit: 50,
          throttlingBurstLimit: 100,
          detailedMetricsEnabled: false,
        },
      });
      const logs = stage.accessLogSettings as { destinationArn: string; format: string };
      expect(logs.destinationArn).toBe(arnOf(T.logGroup, "ingress-access-logs"));
      expect(Object.keys(JSON.parse(logs.format))).toContain("status");
    });

    it("lets only this API's webhook route invoke the receiver: nothing public, no function URL", () => {
      expect(graph.ofType(T.permission).map((p) => plain(p.inputs))).toEqual([
        {
          action: "lambda:InvokeFunction",
          function: "receiver",
          principal: "apigateway.amazonaws.com",
          sourceArn: `${computedOutputs(T.api, "ingress-api", 0).executionArn}/*/POST${WEBHOOK_ROUTE.path}`,
        },
      ]);
      expect(graph.ofType(T.functionUrl)).toEqual([]);
    });

    it("reserves no concurrency, so the first up succeeds in a new account (quota 10)", () => {
      for (const fn of FUNCTIONS) {
        expect(graph.inputs(T.fn, fn).reservedConcurrentExecutions, fn).toBeUndefined();
      }
    });
  });

  describe("vendor webhook", () => {
    it("registers generation 1 at the endpoint URL as a VendorWebhook dynamic resource", () => {
      expect(graph.inputs(T.webhook, "webhook-g1")).toMatchObject({
        url: `${API_ENDPOINT}${WEBHOOK_ROUTE.path}?g=1`,
        enabled: true,
        incoming: true,
        outgoing: true,
        scheduleActivity: false,
        waitingDurationSeconds: 0,
        activeSignature: true,
        managementBaseUrl: "https://api.insightssystem.com/api:qh9OQ3OW",
        providerVersion: expect.any(String),
      });
    });

    it("asks the engine to keep the signing secret encrypted", () => {
      expect(graph.one(T.webhook, "webhook-g1").additionalSecretOutputs).toContain("signingSecret");
    });

    it("never hands the vendor token to the resource, not even inside the serialised provider", () => {
      const inputs = graph.one(T.webhook, "webhook-g1").inputs;
      expect(typeof plain(inputs.__provider)).toBe("string");
      expect(isSecretValue(inputs.__provider)).toBe(false);
      expect(JSON.stringify(plain(inputs))).not.toContain(TOKEN);
    });

    it("writes the issued signing secret to Secrets Manager as a secret document", () => {
      const version = graph.one(T.secretVersion, "webhook-signing-secret");
      expect(isSecretValue(version.inputs.secretString)).toBe(true);
      expect(plain(version.inputs.secretId)).toBe("secrets-signing-id");
      expect(JSON.parse(plain(version.inputs.secretString) as string)).toEqual({
        current: fakeSigningSecret("webhook-g1"),
      });
    });

    it("writes the vendor token to its secret through the write-only input, encrypted", () => {
      const version = graph.one(T.secretVersion, "secrets-vendor-token");
      expect(version.inputs.secretString).toBeUndefined();
      expect(isSecretValue(version.inputs.secretStringWo)).toBe(true);
      expect(plain(version.inputs.secretStringWo)).toBe(TOKEN);
      expect(isSecretValue(version.inputs.secretStringWoVersion)).toBe(true);
      expect(plain(version.inputs.secretStringWoVersion)).toBe(writeOnlyVersion(TOKEN));
    });
  });

  describe("far replies' schedules (EventBridge Scheduler)", () => {
    const groupArn = () => arnOf(T.scheduleGroup, "schedules");
    const schedulerRole = () =>
      JSON.parse(graph.inputs(T.role, "schedules-role").assumeRolePolicy as string);
    const schedulerPolicy = (): PolicyDocument =>
      JSON.parse(graph.inputs(T.rolePolicy, "schedules-policy").policy as string);

    it("lets only this stack's schedule group, in this account, assume the scheduler's role", () => {
      expect(schedulerRole().Statement).toEqual([
        {
          Effect: "Allow",
          Principal: { Service: "scheduler.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: {
              "aws:SourceAccount": groupArn().split(":")[4],
              "aws:SourceArn": groupArn(),
            },
          },
        },
      ]);
    });

    it("lets a schedule send to the replies queue and the scheduler's DLQ, nothing else", () => {
      expect(broadGrants(schedulerPolicy())).toEqual([]);
      expect(schedulerPolicy().Statement.flatMap((s) => s.Action)).toEqual([
        "sqs:SendMessage",
        "sqs:SendMessage",
      ]);
      expect(schedulerPolicy().Statement.flatMap((s) => s.Resource)).toEqual([
        arnOf(T.queue, "replies"),
        arnOf(T.queue, "schedules-dlq"),
      ]);
    });

    it("gives the responder the group, role, target and DLQ, and the grants to use them only", () => {
      const env = plain(graph.inputs(T.fn, "responder").environment) as {
        variables: Record<string, string>;
      };
      expect(env.variables).toMatchObject({
        REPLY_SCHEDULE_GROUP: "schedules",
        REPLY_SCHEDULER_ROLE_ARN: arnOf(T.role, "schedules-role"),
        REPLIES_QUEUE_ARN: arnOf(T.queue, "replies"),
        REPLY_SCHEDULE_DLQ_ARN: arnOf(T.queue, "schedules-dlq"),
      });
      expect(grantedResources("responder", "scheduler:CreateSchedule")).toEqual([
        `${groupArn().replace(":schedule-group/", ":schedule/")}/*`,
      ]);
      const pass = policyOf("responder").Statement.find((s) => s.Action.includes("iam:PassRole"));
      expect(pass?.Resource).toEqual([arnOf(T.role, "schedules-role")]);
      expect(pass?.Condition).toEqual({
        StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" },
      });
      for (const fn of ["receiver", "sender"] as const) {
        expect(grantedResources(fn, "scheduler:CreateSchedule")).toEqual([]);
      }
    });

    it("alarms on any message in the scheduler's DLQ", () => {
      expect(graph.inputs(T.alarm, "alarms-schedules-dlq-depth")).toMatchObject({
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: "schedules-dlq" },
        threshold: 0,
      });
    });
  });

  describe("alarms", () => {
    it("alarms on DLQ depth, Lambda errors and throttles, API 5xx, 401s, 400s and vendor refusals", () => {
      expect(
        graph
          .ofType(T.alarm)
          .map((a) => a.name)
          .sort(),
      ).toEqual(
        [
          "alarms-jobs-dlq-depth",
          "alarms-replies-dlq-depth",
          "alarms-schedules-dlq-depth",
          "alarms-jobs-age",
          "alarms-api-5xx",
          "alarms-api-401",
          "alarms-api-400",
          "alarms-vendor-refusals",
          ...FUNCTIONS.flatMap((fn) => [`alarms-${fn}-errors`, `alarms-${fn}-throttles`]),
        ].sort(),
      );
    });

    it("watches the stage's 5xx answers (API Gateway's metric, not a function URL's)", () => {
      expect(graph.inputs(T.alarm, "alarms-api-5xx")).toMatchObject({
        namespace: "AWS/ApiGateway",
        metricName: "5xx",
        dimensions: { ApiId: "ingress-api-id", Stage: "$default" },
        statistic: "Sum",
        threshold: 0,
      });
    });

    it("fires on any message in a DLQ and notifies the alarm topic", () => {
      expect(graph.inputs(T.alarm, "alarms-replies-dlq-depth")).toMatchObject({
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: "replies-dlq" },
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        alarmActions: [arnOf(T.topic, "alarms-topic")],
      });
    });

    it("encrypts the topic with a key CloudWatch may use, not the AWS-managed SNS key", () => {
      const keyArn = arnOf(T.key, "alarms-topic-key");
      expect(graph.inputs(T.topic, "alarms-topic").kmsMasterKeyId).toBe(keyArn);
      const policy = JSON.parse(graph.inputs(T.key, "alarms-topic-key").policy as string) as {
        Statement: { Principal: Record<string, string>; Action: string[]; Condition?: unknown }[];
      };
      const cloudwatch = policy.Statement.find(
        (s) => s.Principal.Service === "cloudwatch.amazonaws.com",
      );
      expect(cloudwatch?.Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
      expect(cloudwatch?.Condition).toEqual({
        StringEquals: { "aws:SourceAccount": "123456789012" },
      });
      expect(graph.inputs(T.key, "alarms-topic-key").enableKeyRotation).toBe(true);
    });

    it.each([
      ["alarms-unauthorized", "ingress-access-logs", '{ $.status = "401" }'],
      ["alarms-badRequests", "ingress-access-logs", '{ $.status = "400" }'],
      ["alarms-accepted", "ingress-access-logs", '{ $.status = "200" }'],
      [
        "alarms-vendorRefusals",
        "sender-logs",
        '{ $.message = "vendor refused the reply; not retrying" }',
      ],
    ])("counts %s from the %s log group", (name, logGroup, pattern) => {
      expect(graph.inputs(T.metricFilter, name)).toMatchObject({
        logGroupName: logGroup,
        pattern,
        metricTransformation: { namespace: "whatsable-replies/dev", value: "1" },
      });
    });

    it("fires when deliveries get 401 (the signing secret no longer matches)", () => {
      expect(graph.inputs(T.alarm, "alarms-api-401")).toMatchObject({
        namespace: "whatsable-replies/dev",
        metricName: "unauthorized",
        statistic: "Sum",
        period: 300,
        threshold: 3,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      });
    });

    it("has no quiet alarm on dev, which has no steady traffic", () => {
      expect(graph.ofType(T.alarm).map((a) => a.name)).not.toContain("alarms-quiet");
    });

    it("creates no dashboard or email subscription unless configured", () => {
      expect(graph.ofType("aws:cloudwatch/dashboard:Dashboard")).toEqual([]);
      expect(graph.ofType("aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
    });
  });

  describe("stack outputs", () => {
    it("exports the endpoint URL, webhook id, table and queue names", async () => {
      expect(await unwrap(program.endpointUrl)).toBe(`${API_ENDPOINT}${WEBHOOK_ROUTE.path}`);
      expect(await unwrap(program.webhookId as pulumi.Output<number>)).toBe(1201);
      expect(await unwrap(program.webhookIds)).toEqual({ "1": 1201 });
      expect(await unwrap(pulumi.output(program.tableNames))).toEqual({
        conversation: "data-conversation",
      });
      expect(await unwrap(pulumi.output(program.queueNames))).toEqual({
        jobs: "jobs",
        jobsDeadLetter: "jobs-dlq",
        replies: "replies",
        repliesDeadLetter: "replies-dlq",
      });
    });

    it("exports what the ops CLI reads besides: the region and how to call the management API", async () => {
      expect(program.region).toBe("eu-west-1");
      expect(program.vendorManagement).toEqual({
        baseUrl: "https://api.insightssystem.com/api:qh9OQ3OW",
        listPath: "/webhook/dev",
        authPrefix: "Bearer ",
        origin: "https://console.notifyer-systems.com",
      });
      expect(await unwrap(pulumi.output(program.queueUrls))).toMatchObject({
        jobs: computedOutputs(T.queue, "jobs", 0).url,
      });
    });

    it("holds neither the signing secret nor the vendor token, in plain or otherwise", async () => {
      for (const [name, value] of Object.entries(program)) {
        const output = pulumi.output(value as pulumi.Input<unknown>);
        expect(await pulumi.isSecret(output), name).toBe(false);
        const text = JSON.stringify(await unwrap(output)) ?? "";
        expect(text, name).not.toContain(fakeSigningSecret("webhook-g1"));
        expect(text, name).not.toContain(TOKEN);
      }
    });
  });
});
