import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Target } from "./target.js";

/**
 * AWS SDK clients for a target: on AWS the ambient credential chain and region (the outputs'
 * region when the stack exports one); on the local stack its endpoints and dummy credentials.
 */

export interface OpsClients {
  sqs: SQSClient;
  /** The conversation table's adapters (lambdas/adapters) are built on it. */
  dynamo: DynamoDBDocumentClient;
  secretsManager: SecretsManagerClient;
  /** Far replies' schedules (locally the Scheduler stand-in). */
  scheduler: SchedulerClient;
  /** Absent locally: the local stack has no CloudWatch. */
  cloudWatch?: CloudWatchClient;
  destroy(): void;
}

export function clientsFor(target: Target): OpsClients {
  const local = target.outputs.local;
  const base = (endpoint?: string) =>
    local
      ? {
          region: local.region,
          endpoint,
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        }
      : { region: target.outputs.region };
  // Queue URLs of emulators name hosts that do not resolve (sqs.<region>.127.0.0.1): send every
  // call to the client's endpoint, which on AWS is the region's, the same host the URL names.
  const sqs = new SQSClient({ ...base(local?.endpoints.sqs), useQueueUrlAsEndpoint: false });
  const secretsManager = new SecretsManagerClient(base(local?.endpoints.secretsManager));
  // The same marshalling the Lambdas' document client uses (lambdas/adapters/awsClients.ts).
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(base(local?.endpoints.dynamodb)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const scheduler = new SchedulerClient(base(local?.endpoints.scheduler));
  const cloudWatch = local ? undefined : new CloudWatchClient(base());
  return {
    sqs,
    dynamo,
    secretsManager,
    scheduler,
    cloudWatch,
    destroy() {
      scheduler.destroy();
      sqs.destroy();
      dynamo.destroy();
      secretsManager.destroy();
      cloudWatch?.destroy();
    },
  };
}
