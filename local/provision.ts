import {
  type AttributeDefinition,
  CreateTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateScheduleGroupCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { ENV, JOBS_QUEUE, TABLES, type TableSchema } from "../lambdas/contract.js";

/**
 * Creates, against the local stand-ins, the same tables, queues and secrets the Pulumi program
 * creates on AWS (key schemas come from lambdas/contract.ts), and returns the Lambda env that
 * points at them. A prefix keeps test files apart on shared emulators.
 */

export interface ProvisionOptions {
  /** AWS SDK endpoint env (from startLocalServices().awsEnv). */
  awsEnv: Record<string, string>;
  /** Name prefix for every resource, e.g. "t1-". */
  prefix: string;
  /** Signing secret document or plain secret string stored in Secrets Manager. */
  signingSecret: string;
  vendorToken: string;
  /** The HTTP reply policy's secret (`whsec_…`), stored beside the others when given. */
  replyPolicySecret?: string;
  /** Visibility timeout of the worker queues in seconds (short locally, so retries are quick). */
  visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to its DLQ. */
  maxReceiveCount?: number;
}

export interface ProvisionedResources {
  tables: { conversation: string };
  queues: { jobs: string; jobsDlq: string; replies: string; repliesDlq: string };
  secrets: { signing: string; vendorToken: string; replyPolicy?: string };
  /** Far replies' schedule group in the Scheduler stand-in, and the scheduler's DLQ (its URL). */
  schedules: { group: string; deadLetter: string };
  /** Env values for the handlers, keyed by the names in ENV (resource names only; tuning is the caller's). */
  env: Record<string, string>;
}

function tableInput(name: string, schema: TableSchema) {
  const attributes = new Set<string>([schema.partitionKey]);
  const keySchema: KeySchemaElement[] = [{ AttributeName: schema.partitionKey, KeyType: "HASH" }];
  if (schema.sortKey) {
    attributes.add(schema.sortKey);
    keySchema.push({ AttributeName: schema.sortKey, KeyType: "RANGE" });
  }
  const indexes = (schema.globalSecondaryIndexes ?? []).map((index) => {
    attributes.add(index.partitionKey);
    const indexKeys: KeySchemaElement[] = [{ AttributeName: index.partitionKey, KeyType: "HASH" }];
    if (index.sortKey) {
      attributes.add(index.sortKey);
      indexKeys.push({ AttributeName: index.sortKey, KeyType: "RANGE" });
    }
    return {
      IndexName: index.name,
      KeySchema: indexKeys,
      Projection: { ProjectionType: "ALL" as const },
    };
  });
  const definitions: AttributeDefinition[] = [...attributes].map((a) => ({
    AttributeName: a,
    AttributeType: "S",
  }));
  return {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: definitions,
    KeySchema: keySchema,
    ...(indexes.length ? { GlobalSecondaryIndexes: indexes } : {}),
  };
}

/** Client config from the awsEnv map itself, so provisioning never depends on process.env. */
function clientConfig(awsEnv: Record<string, string>, endpointKey: string) {
  return {
    region: awsEnv.AWS_REGION ?? "us-east-1",
    endpoint: awsEnv[endpointKey],
    credentials: {
      accessKeyId: awsEnv.AWS_ACCESS_KEY_ID ?? "local",
      secretAccessKey: awsEnv.AWS_SECRET_ACCESS_KEY ?? "local",
    },
  };
}

export async function provisionLocalResources(
  options: ProvisionOptions,
): Promise<ProvisionedResources> {
  const { awsEnv, prefix } = options;
  const ddb = new DynamoDBClient(clientConfig(awsEnv, "AWS_ENDPOINT_URL_DYNAMODB"));
  const sqs = new SQSClient({
    ...clientConfig(awsEnv, "AWS_ENDPOINT_URL_SQS"),
    useQueueUrlAsEndpoint: false,
  });
  const sm = new SecretsManagerClient(clientConfig(awsEnv, "AWS_ENDPOINT_URL_SECRETS_MANAGER"));
  const scheduler = new SchedulerClient(clientConfig(awsEnv, "AWS_ENDPOINT_URL_SCHEDULER"));
  try {
    const tables = {
      conversation: `${prefix}conversation`,
    };
    await Promise.all(
      (Object.keys(tables) as (keyof typeof tables)[]).map(async (key) => {
        const schema: TableSchema = TABLES[key];
        // A table kept from an earlier run (npm start --data-dir) is used as it is.
        const created = await ddb
          .send(new CreateTableCommand(tableInput(tables[key], schema)))
          .then(
            () => true,
            (error: Error) => {
              if (error.name === "ResourceInUseException") return false;
              throw error;
            },
          );
        if (created && schema.ttlAttribute) {
          await ddb.send(
            new UpdateTimeToLiveCommand({
              TableName: tables[key],
              TimeToLiveSpecification: { AttributeName: schema.ttlAttribute, Enabled: true },
            }),
          );
        }
      }),
    );

    const visibility = String(options.visibilityTimeoutSeconds ?? 5);
    const maxReceiveCount = options.maxReceiveCount ?? 5;
    // The jobs queue and its DLQ are FIFO, as on AWS (JOBS_QUEUE in contract.ts); replies standard.
    const createQueuePair = async (name: string, fifo: boolean) => {
      const suffix = fifo ? JOBS_QUEUE.fifoSuffix : "";
      const fifoAttributes: Record<string, string> = fifo
        ? { FifoQueue: "true", ContentBasedDeduplication: "false" }
        : {};
      const dlq = await sqs.send(
        new CreateQueueCommand({
          QueueName: `${prefix}${name}-dlq${suffix}`,
          Attributes: { MessageRetentionPeriod: "1209600", ...fifoAttributes },
        }),
      );
      const dlqAttributes = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
      );
      const queue = await sqs.send(
        new CreateQueueCommand({
          QueueName: `${prefix}${name}${suffix}`,
          Attributes: {
            ...fifoAttributes,
            VisibilityTimeout: visibility,
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: dlqAttributes.Attributes?.QueueArn,
              maxReceiveCount,
            }),
          },
        }),
      );
      return { url: String(queue.QueueUrl), dlqUrl: String(dlq.QueueUrl) };
    };
    const [jobs, replies] = await Promise.all([
      createQueuePair("jobs", true),
      createQueuePair("replies", false),
    ]);
    const queueArn = async (url: string) =>
      String(
        (
          await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
          )
        ).Attributes?.QueueArn,
      );
    // As infra's ReplySchedules: a group per stack, the scheduler's DLQ, a role (named only: the
    // stand-in checks no IAM). A group kept from an earlier run (--data-dir) is used as it is.
    const group = `${prefix}replies`;
    await scheduler.send(new CreateScheduleGroupCommand({ Name: group })).catch((error: Error) => {
      if (error.name !== "ConflictException") throw error;
    });
    const schedulesDlq = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${prefix}schedules-dlq`,
        Attributes: { MessageRetentionPeriod: "1209600" },
      }),
    );

    const signing = await sm.send(
      new CreateSecretCommand({
        Name: `${prefix}signing-secret`,
        SecretString: options.signingSecret,
      }),
    );
    const token = await sm.send(
      new CreateSecretCommand({ Name: `${prefix}vendor-token`, SecretString: options.vendorToken }),
    );
    const policy =
      options.replyPolicySecret === undefined
        ? undefined
        : await sm.send(
            new CreateSecretCommand({
              Name: `${prefix}reply-policy-secret`,
              SecretString: options.replyPolicySecret,
            }),
          );
    const secrets = {
      signing: String(signing.ARN),
      vendorToken: String(token.ARN),
      ...(policy ? { replyPolicy: String(policy.ARN) } : {}),
    };

    return {
      tables,
      queues: {
        jobs: jobs.url,
        jobsDlq: jobs.dlqUrl,
        replies: replies.url,
        repliesDlq: replies.dlqUrl,
      },
      secrets,
      schedules: { group, deadLetter: String(schedulesDlq.QueueUrl) },
      env: {
        [ENV.conversationTable]: tables.conversation,
        [ENV.jobsQueueUrl]: jobs.url,
        [ENV.repliesQueueUrl]: replies.url,
        [ENV.signingSecretId]: secrets.signing,
        [ENV.vendorTokenSecretId]: secrets.vendorToken,
        [ENV.replyScheduleGroup]: group,
        [ENV.replySchedulerRoleArn]: `arn:aws:iam::000000000000:role/${prefix}scheduler`,
        [ENV.repliesQueueArn]: await queueArn(replies.url),
        [ENV.replyScheduleDeadLetterArn]: await queueArn(String(schedulesDlq.QueueUrl)),
      },
    };
  } finally {
    ddb.destroy();
    sqs.destroy();
    sm.destroy();
    scheduler.destroy();
  }
}
