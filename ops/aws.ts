import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Target } from "./target.js";

/**
 * AWS SDK clients for a target: on AWS the ambient credential chain and region (the outputs'
 * region when the stack exports one); on the local stack its endpoints and dummy credentials.
 */

export interface OpsClients {
  sqs: SQSClient;
  secretsManager: SecretsManagerClient;
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
  const cloudWatch = local ? undefined : new CloudWatchClient(base());
  return {
    sqs,
    secretsManager,
    cloudWatch,
    destroy() {
      sqs.destroy();
      secretsManager.destroy();
      cloudWatch?.destroy();
    },
  };
}
