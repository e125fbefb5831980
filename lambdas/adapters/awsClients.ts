import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * SDK client factories. Endpoints come from the SDK's own AWS_ENDPOINT_URL_* variables, so the
 * same code talks to AWS or to the local stand-ins. Retries are left to the SDK defaults.
 */

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSqsClient(): SQSClient {
  // Resolve the endpoint from config, not from the QueueUrl host: local queue URLs name hosts
  // (sqs.<region>.localhost) that do not resolve here; on AWS both give the same endpoint.
  return new SQSClient({ useQueueUrlAsEndpoint: false });
}

export function createSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}
