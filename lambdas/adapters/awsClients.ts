import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { fromEnv } from "@aws-sdk/credential-provider-env";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * SDK client factories. Endpoints come from the SDK's own AWS_ENDPOINT_URL_* variables, so the
 * same code talks to AWS or to the local stand-ins. Retries are left to the SDK defaults.
 *
 * Credentials come from the environment only (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN): Lambda puts the execution role's credentials there, and the SDK's default
 * chain (ini files, SSO, web identity, IMDS, …) adds ~135 KB to each bundle and time to INIT
 * without ever being used (docs/benchmarks.md §2, option B). The local stand-ins get dummy keys
 * through the same variables (local/services awsEnvFor).
 */

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ credentials: fromEnv() }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSqsClient(): SQSClient {
  // Resolve the endpoint from config, not from the QueueUrl host: local queue URLs name hosts
  // (sqs.<region>.localhost) that do not resolve here; on AWS both give the same endpoint.
  return new SQSClient({ credentials: fromEnv(), useQueueUrlAsEndpoint: false });
}

export function createSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({ credentials: fromEnv() });
}
