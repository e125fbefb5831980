/**
 * A host program of its own (project "acme-infra"), as a company's estate would have one: its
 * own config key, two reply pipelines side by side (two WhatsApp numbers of the business), and
 * the ops outputs of each under its own name. It imports the installed package only, and compiles
 * both as CommonJS (Pulumi's aws-typescript template) and as ES modules (NodeNext): the host's
 * index.ts is the template's, ending in `export * from "./pipelines.js"`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { VendorWebhook, WhatsAppReplyPipeline } from "@whatsable/reply-pipeline";

const config = new pulumi.Config();
// The host's own key: the pipelines must neither read nor refuse it.
const team = config.require("team");
const alerts = new aws.sns.Topic("acme-alerts", { tags: { team } });

const support = new WhatsAppReplyPipeline("support", {
  vendorToken: config.requireSecret("supportVendorToken"),
  // The cost option: no API Gateway request charge (the default is the HTTP API).
  ingress: "functionUrl",
  replyRules: [{ match: "^hi\\b", messages: [{ text: "Hi! Support here.", delay: 0 }] }],
  alarmTopicArn: alerts.arn,
  protect: true,
  tags: { team, pipeline: "support" },
});

const sales = new WhatsAppReplyPipeline("sales", {
  vendorToken: config.requireSecret("salesVendorToken"),
  replyContacts: "any",
  logRetentionDays: 90,
  // A custom domain is an API Gateway feature: this pipeline enters through the HTTP API, the default.
  customDomain: {
    domainName: "hooks.acme.example",
    certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0000",
  },
  dashboard: true,
});

// A registration on its own, for a URL the host serves itself.
const legacy = new VendorWebhook("legacy-hook", { url: "https://legacy.acme.example/whatsapp" });

export const supportOutputs = support.stackOutputs();
export const salesOutputs = sales.stackOutputs();
export const legacyWebhookId = legacy.webhookId;
