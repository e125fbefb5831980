/**
 * The package's entry point (`@whatsable/reply-pipeline`): what a Pulumi program of your own
 * imports. Built to dist/lib by `npm run build:lib` (JavaScript with types), so a program that
 * installs the package needs no TypeScript loader. README, "Use it in your own program".
 */

export type { IngressKind } from "../lambdas/contract.js";
// The written form of reply rules, so a host program's inline `replyRules` are typed.
export type {
  BusinessHoursSpec,
  DateRange,
  DatesSpec,
  OpeningWindow,
  Weekday,
} from "../lambdas/core/businessHours.js";
export type {
  OnNewMessage,
  ReplyMessageDocument,
  ReplyRuleDocument,
} from "../lambdas/core/ruleDocument.js";
export { type AlarmThresholds, alarmTopicKeyPolicy } from "./components/PipelineAlarms.js";
export { PipelineArgsError } from "./components/planPipeline.js";
export type { CustomDomain } from "./components/WebhookIngress.js";
export type { WebhookGeneration } from "./components/WebhookRegistrations.js";
export {
  PIPELINE_TYPE,
  TAGGABLE_TYPES,
  tagTransformation,
  WhatsAppReplyPipeline,
  type WhatsAppReplyPipelineArgs,
} from "./components/WhatsAppReplyPipeline.js";
export {
  VENDOR_WEBHOOK_TYPE,
  VendorWebhook,
  type VendorWebhookArgs,
} from "./dynamic/VendorWebhook.js";
export { VENDOR_TOKEN_SOURCES } from "./dynamic/vendorWebhookProvider.js";
