import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * SDK client factories over an explicit environment (process.env on Lambda; the local stack and
 * the tests pass each function's own). Region and endpoints are the SDK's standard variables
 * (AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL), so the same code talks to AWS or to
 * the local stand-ins. Retries are left to the SDK defaults.
 *
 * Credentials come from the environment only (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN): Lambda puts the execution role's credentials there, and the SDK's default
 * chain (ini files, SSO, web identity, IMDS, …) adds ~135 KB to each bundle and time to INIT
 * without ever being used (docs/benchmarks.md). The SDK's `fromEnv` reads process.env only, so
 * the few lines below read the given environment instead. The local stand-ins get dummy keys
 * through the same variables (local/services awsEnvFor).
 */

export type AwsEnv = Record<string, string | undefined>;

type Service = "DYNAMODB" | "SQS" | "SECRETS_MANAGER" | "SCHEDULER";

function clientConfig(env: AwsEnv, service: Service) {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    // Read at each resolution (the SDK caches the result), as the SDK's fromEnv does.
    credentials: async () => {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId || !secretAccessKey) {
        throw new Error(
          "Unable to find environment variable credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
        );
      }
      const sessionToken = env.AWS_SESSION_TOKEN;
      return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    },
  };
}

export function createDocumentClient(env: AwsEnv = process.env): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(env, "DYNAMODB")), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSqsClient(env: AwsEnv = process.env): SQSClient {
  // Resolve the endpoint from config, not from the QueueUrl host: local queue URLs name hosts
  // (sqs.<region>.localhost) that do not resolve here; on AWS both give the same endpoint.
  return new SQSClient({ ...clientConfig(env, "SQS"), useQueueUrlAsEndpoint: false });
}

export function createSecretsManagerClient(env: AwsEnv = process.env): SecretsManagerClient {
  return new SecretsManagerClient(clientConfig(env, "SECRETS_MANAGER"));
}

export function createSchedulerClient(env: AwsEnv = process.env): SchedulerClient {
  return new SchedulerClient(clientConfig(env, "SCHEDULER"));
}
