import type * as pulumi from "@pulumi/pulumi";
import type { PipelineSettingArgs } from "./pipelineSettingArgs.js";
import type { CustomDomain } from "./WebhookIngress.js";

/**
 * Arguments of a WhatsAppReplyPipeline. Every setting of this repository's stack files is an arg
 * of the same name (PipelineSettingArgs, generated from the settings schema with its defaults;
 * docs/operations.md, "Configuration reference"), validated by the same validator; the args below
 * are the component's own: the secrets, and what the estate already owns.
 */
export interface WhatsAppReplyPipelineArgs extends PipelineSettingArgs {
  // --- Secrets ---------------------------------------------------------------------------------
  /** The vendor API token the sender sends replies with; stored in Secrets Manager, never in a
   * Lambda environment. Pass a secret (`config.requireSecret(...)`). Required. */
  vendorToken: pulumi.Input<string>;
  /** The signing secret of an adopted registration, if it was saved when it was made. Secret. */
  adoptedSigningSecret?: pulumi.Input<string>;
  /** With replyPolicyUrl: the HTTP reply policy's Standard Webhooks secret, `whsec_<base64>`
   * (24 to 64 bytes); stored in its own Secrets Manager secret, read by the responder only. Secret. */
  replyPolicySecret?: pulumi.Input<string>;

  // --- What the estate already owns ------------------------------------------------------------
  /**
   * Prefix of every child's name (and so of the AWS names Pulumi generates from them). Default
   * `<name>-`, so two pipelines live side by side. "" keeps the bare names of this repository's
   * own stacks.
   */
  namePrefix?: string;
  /** Tags added to every taggable AWS resource of the pipeline (beside the provider's defaultTags). */
  tags?: Record<string, string>;
  /** An existing SNS topic to publish alarms to, instead of the encrypted topic the pipeline
   * creates (it then creates no topic and no key). Counts as an alarm destination. */
  alarmTopicArn?: pulumi.Input<string>;
  /** An existing KMS key for the alarm topic the pipeline creates, instead of creating one; its
   * policy must let cloudwatch.amazonaws.com use it (see alarmTopicKeyPolicy). */
  kmsKeyArn?: pulumi.Input<string>;
  /** Serve the webhook on your own domain (API Gateway custom domain with an ACM certificate);
   * the vendor is then registered at that URL. Needs `ingress: "httpApi"`. */
  customDomain?: CustomDomain;
  /** The region the pipeline deploys to (dashboard, `region` output). Default: `aws:region` of
   * the program's default AWS provider; set it when you pass a provider for another region. */
  region?: string;
}
