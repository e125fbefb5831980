import { type RunningDynamoDbLocal, startDynamoDbLocal } from "./dynamoDbLocal.js";
import { type RunningFauxqs, startFauxqs } from "./fauxqs.js";
import { type RunningSecretsManager, startSecretsManager } from "./secretsManagerStandIn.js";

/** The three local AWS stand-ins, running. */
export interface LocalServices {
  dynamodb: RunningDynamoDbLocal;
  sqs: RunningFauxqs;
  secretsManager: RunningSecretsManager;
  /** Environment that points the AWS SDK at these services (endpoints, region, dummy credentials). */
  awsEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** Environment that points the AWS SDK v3 at local endpoints. */
export function awsEnvFor(endpoints: { dynamodb: string; sqs: string; secretsManager: string }) {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
  };
}

/**
 * Starts DynamoDB Local, fauxqs and the Secrets Manager stand-in (all reached on 127.0.0.1).
 * `dynamoDbPath` / `sqsPath`: directories where DynamoDB Local keeps its tables and fauxqs its
 * queues (default: in memory).
 */
export async function startLocalServices(
  options: { dynamoDbPath?: string; sqsPath?: string } = {},
): Promise<LocalServices> {
  const [dynamodb, sqs, secretsManager] = await Promise.all([
    startDynamoDbLocal({ dbPath: options.dynamoDbPath }),
    startFauxqs({ dataDir: options.sqsPath }),
    startSecretsManager(),
  ]);
  return {
    dynamodb,
    sqs,
    secretsManager,
    awsEnv: awsEnvFor({
      dynamodb: dynamodb.endpoint,
      sqs: sqs.endpoint,
      secretsManager: secretsManager.endpoint,
    }),
    stop: async () => {
      await Promise.allSettled([dynamodb.stop(), sqs.stop(), secretsManager.stop()]);
    },
  };
}
