import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { VendorWebhook } from "../dynamic/VendorWebhook.js";
import { generationUrl, signingSecretDocument } from "../signingSecretDocument.js";

export interface WebhookGeneration {
  generation: number;
  enabled: boolean;
}

export interface WebhookRegistrationsArgs {
  /** The receiver's public URL (WebhookIngress.url). */
  endpointUrl: pulumi.Input<string>;
  /** One registration per generation (two during a rotation). */
  generations: readonly WebhookGeneration[];
  incoming: boolean;
  outgoing: boolean;
  scheduleActivity: boolean;
  waitingDurationSeconds: number;
  activeSignature: boolean;
  adopt: boolean;
  managementBaseUrl: string;
  authPrefix: string;
  /** The Secrets Manager secret the receiver reads its signing secrets from. */
  signingSecretId: pulumi.Input<string>;
  /** The signing secret of an adopted registration, when the operator kept it. */
  adoptedSigningSecret?: pulumi.Input<string>;
}

/**
 * The vendor webhook registrations (one per generation) and the signing secrets they produced,
 * written to Secrets Manager as one document. Older generations depend on newer ones, so in a
 * single `up` a new registration is created or enabled before an older one is disabled.
 */
export class WebhookRegistrations extends pulumi.ComponentResource {
  readonly webhooks: { generation: number; webhook: VendorWebhook }[];
  readonly signingSecretVersion: aws.secretsmanager.SecretVersion;

  constructor(
    name: string,
    args: WebhookRegistrationsArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("whatsable:webhook:WebhookRegistrations", name, {}, opts);
    const newestFirst = [...args.generations].sort((a, b) => b.generation - a.generation);
    const created: VendorWebhook[] = [];
    this.webhooks = newestFirst.map(({ generation, enabled }) => {
      const webhook = new VendorWebhook(
        `${name}-g${generation}`,
        {
          url: pulumi.output(args.endpointUrl).apply((url) => generationUrl(url, generation)),
          enabled,
          incoming: args.incoming,
          outgoing: args.outgoing,
          scheduleActivity: args.scheduleActivity,
          waitingDurationSeconds: args.waitingDurationSeconds,
          activeSignature: args.activeSignature,
          adopt: args.adopt,
          managementBaseUrl: args.managementBaseUrl,
          authPrefix: args.authPrefix,
        },
        { parent: this, dependsOn: [...created] },
      );
      created.push(webhook);
      return { generation, webhook };
    });

    const document = pulumi
      .output({
        secrets: this.webhooks.map(({ webhook }) => webhook.signingSecret),
        adopted: args.adoptedSigningSecret,
      })
      .apply(({ secrets, adopted }) => {
        const generations = newestFirst.map((g, i) => ({ ...g, secret: secrets[i] ?? null }));
        const doc = signingSecretDocument(generations, adopted);
        if (doc.current === "" && args.activeSignature) {
          pulumi.log.warn(
            "No signing secret is known for any webhook generation (adopted registrations do not " +
              "reveal theirs): the receiver will reject deliveries until you rotate to a new " +
              "generation or set adoptedSigningSecret. See docs/operations.md.",
            this,
          );
        }
        return JSON.stringify(doc);
      });
    this.signingSecretVersion = new aws.secretsmanager.SecretVersion(
      `${name}-signing-secret`,
      { secretId: args.signingSecretId, secretString: pulumi.secret(document) },
      { parent: this, additionalSecretOutputs: ["secretString"] },
    );
    this.registerOutputs({
      webhookIds: pulumi.all(this.webhooks.map(({ webhook }) => webhook.webhookId)),
    });
  }
}
