import { type RunningDynamoDbLocal, startDynamoDbLocal } from "./dynamoDbLocal.js";
import { type RunningFauxqs, startFauxqs } from "./fauxqs.js";
import { type RunningScheduler, startSchedulerStandIn } from "./schedulerStandIn.js";
import { type RunningSecretsManager, startSecretsManager } from "./secretsManagerStandIn.js";

/** The local AWS stand-ins, running. */
export interface LocalServices {
  dynamodb: RunningDynamoDbLocal;
  sqs: RunningFauxqs;
  secretsManager: RunningSecretsManager;
  /** EventBridge Scheduler (far replies' schedules), firing onto `sqs`. */
  scheduler: RunningScheduler;
  /** Environment that points the AWS SDK at these services (endpoints, region, dummy credentials). */
  awsEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** Environment that points the AWS SDK v3 at local endpoints. */
function awsEnvFor(endpoints: {
  dynamodb: string;
  sqs: string;
  secretsManager: string;
  scheduler: string;
}) {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_ENDPOINT_URL_SCHEDULER: endpoints.scheduler,
  };
}

/**
 * Starts DynamoDB Local, fauxqs, the Secrets Manager stand-in and the EventBridge Scheduler
 * stand-in (all reached on 127.0.0.1). `dynamoDbPath` / `sqsPath` / `schedulerPath`: directories
 * where DynamoDB Local keeps its tables, fauxqs its queues and the scheduler its schedules
 * (default: in memory). `now`: the scheduler's clock (default the real one).
 */
export async function startLocalServices(
  options: {
    dynamoDbPath?: string;
    sqsPath?: string;
    schedulerPath?: string;
    now?: () => number;
  } = {},
): Promise<LocalServices> {
  const [dynamodb, sqs, secretsManager] = await Promise.all([
    startDynamoDbLocal({ dbPath: options.dynamoDbPath }),
    startFauxqs({ dataDir: options.sqsPath }),
    startSecretsManager(),
  ]);
  const scheduler = await startSchedulerStandIn({
    sqsEndpoint: sqs.endpoint,
    dataDir: options.schedulerPath,
    now: options.now,
  }).catch(async (error) => {
    await Promise.allSettled([dynamodb.stop(), sqs.stop(), secretsManager.stop()]);
    throw error;
  });
  return {
    dynamodb,
    sqs,
    secretsManager,
    scheduler,
    awsEnv: awsEnvFor({
      dynamodb: dynamodb.endpoint,
      sqs: sqs.endpoint,
      secretsManager: secretsManager.endpoint,
      scheduler: scheduler.endpoint,
    }),
    stop: async () => {
      // The scheduler first: it fires onto fauxqs.
      await scheduler.stop().catch(() => undefined);
      await Promise.allSettled([dynamodb.stop(), sqs.stop(), secretsManager.stop()]);
    },
  };
}
