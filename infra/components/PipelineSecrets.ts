import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { statefulResourceOptions } from "../protection.js";

export interface PipelineSecretsArgs {
  /** The vendor API token (a secret Output from stack config). */
  vendorToken: pulumi.Input<string>;
  /** Days Secrets Manager keeps a deleted secret recoverable (7 to 30). */
  recoveryWindowInDays: number;
  /** Protect the two secrets (not their versions, which are replaced on every change). */
  protect: boolean;
}

/**
 * The two Secrets Manager secrets the Lambdas read: the webhook signing secret(s) (receiver) and
 * the vendor API token (sender). The token's value is written here; the signing secret's value is
 * written by WebhookRegistrations, which is where the vendor issues it. Lambdas get only ARNs.
 */
export class PipelineSecrets extends pulumi.ComponentResource {
  readonly signingSecret: aws.secretsmanager.Secret;
  readonly vendorTokenSecret: aws.secretsmanager.Secret;

  constructor(name: string, args: PipelineSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("whatsable:secrets:PipelineSecrets", name, {}, opts);
    this.signingSecret = new aws.secretsmanager.Secret(
      `${name}-signing`,
      {
        description: 'Webhook signing secrets: {"current": "...", "previous": ["..."]}',
        recoveryWindowInDays: args.recoveryWindowInDays,
      },
      { parent: this, ...statefulResourceOptions(args.protect) },
    );
    this.vendorTokenSecret = new aws.secretsmanager.Secret(
      `${name}-vendor-token`,
      {
        description: "Vendor send API token",
        recoveryWindowInDays: args.recoveryWindowInDays,
      },
      { parent: this, ...statefulResourceOptions(args.protect) },
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-vendor-token`,
      { secretId: this.vendorTokenSecret.id, secretString: pulumi.secret(args.vendorToken) },
      { parent: this, additionalSecretOutputs: ["secretString"] },
    );
    this.registerOutputs({
      signingSecretArn: this.signingSecret.arn,
      vendorTokenSecretArn: this.vendorTokenSecret.arn,
    });
  }
}
