import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { statefulResourceOptions } from "../protection.js";

export interface PipelineSecretsArgs {
  /** The vendor API token (a secret Output from stack config). */
  vendorToken: pulumi.Input<string>;
  /** Days Secrets Manager keeps a deleted secret recoverable (7 to 30). */
  recoveryWindowInDays: number;
  /** Protect the secrets (not their versions, which are replaced on every change). */
  protect: boolean;
  /**
   * The HTTP reply policy's secret (a secret Output from stack config), when the stack has a
   * policy: stored as a plain string in a third secret, read by the responder only.
   */
  replyPolicySecret?: pulumi.Input<string>;
}

/**
 * The Secrets Manager secrets the Lambdas read: the webhook signing secret(s) (receiver), the
 * vendor API token (sender) and, with an HTTP reply policy, its signing secret (responder). The token's value is written here; the signing secret's value is
 * written by WebhookRegistrations, which is where the vendor issues it. Lambdas get only ARNs.
 */
export class PipelineSecrets extends pulumi.ComponentResource {
  readonly signingSecret: aws.secretsmanager.Secret;
  readonly vendorTokenSecret: aws.secretsmanager.Secret;
  readonly replyPolicySecret?: aws.secretsmanager.Secret;

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
    this.vendorTokenSecret = this.secretWithValue(
      `${name}-vendor-token`,
      "Vendor send API token",
      args.vendorToken,
      args,
    );
    if (args.replyPolicySecret !== undefined) {
      this.replyPolicySecret = this.secretWithValue(
        `${name}-reply-policy`,
        "HTTP reply policy signing secret (Standard Webhooks, whsec_<base64>)",
        args.replyPolicySecret,
        args,
      );
    }
    this.registerOutputs({
      signingSecretArn: this.signingSecret.arn,
      vendorTokenSecretArn: this.vendorTokenSecret.arn,
      replyPolicySecretArn: this.replyPolicySecret?.arn,
    });
  }

  /**
   * A secret and its value, written through the provider's write-only input (`secretStringWo`,
   * @pulumi/aws secretsmanager/secretVersion.d.ts): the provider never reads the value back into
   * state, so no refresh or preview needs it. `secretStringWoVersion` is what tells the provider the
   * value changed (a new version is written when it does); it is derived from the value, and kept
   * secret too.
   */
  private secretWithValue(
    name: string,
    description: string,
    value: pulumi.Input<string>,
    args: Pick<PipelineSecretsArgs, "recoveryWindowInDays" | "protect">,
  ): aws.secretsmanager.Secret {
    const secret = new aws.secretsmanager.Secret(
      name,
      { description, recoveryWindowInDays: args.recoveryWindowInDays },
      { parent: this, ...statefulResourceOptions(args.protect) },
    );
    new aws.secretsmanager.SecretVersion(
      name,
      {
        secretId: secret.id,
        secretStringWo: pulumi.secret(value),
        secretStringWoVersion: pulumi.secret(pulumi.output(value).apply(writeOnlyVersion)),
      },
      { parent: this, additionalSecretOutputs: ["secretString"] },
    );
    return secret;
  }
}

/**
 * The write-only version of a secret value: 48 bits of its SHA-256 (an integer the provider's
 * number input holds exactly), so a new value means a new version and the same value none.
 */
export function writeOnlyVersion(value: string): number {
  return Number.parseInt(createHash("sha256").update(value, "utf8").digest("hex").slice(0, 12), 16);
}
