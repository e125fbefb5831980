import type { BusinessHoursSpec, DatesSpec } from "./businessHours.js";

/**
 * The written form of reply rules: what a rules file, a stack file's `replyRules` and a host
 * program's `replyRules` arg hold. Types only (and the one list they are built from), with no
 * import of the validator's libraries, so the package's public types reach none of them
 * (a host compiles them without skipLibCheck). replyRules.ts validates against these types.
 */

/** What a newer message from the contact does to a plan's unsent replies. */
export const ON_NEW_MESSAGE = ["supersede", "keep"] as const;
export type OnNewMessage = (typeof ON_NEW_MESSAGE)[number];

/**
 * The conditions a rule may state, as written; a rule applies when every one it states holds.
 * Each is one entry of replyRules.ts's RULE_CONDITIONS (which the compiler holds to this list).
 */
export interface ReplyRuleConditions {
  /** An RE2 pattern, case-insensitive, searched in the customer's last message. Default: any text. */
  match?: string;
  /** The incoming message's type (`text`, `image`, …), or a list of them. */
  messageType?: string | string[];
  /** The contact carries any of these labels. */
  labels?: string[];
  /** Inside or outside weekly opening windows, in a time zone. */
  businessHours?: BusinessHoursSpec;
  /** On these calendar days or ranges (both ends included), in a time zone. */
  dates?: DatesSpec;
}

/**
 * A reply rule as written in a rules file, a stack file's `replyRules` or a host program's
 * `replyRules` arg (the document {@link parseReplyRules} validates; docs/scheduling.md).
 */
export interface ReplyRuleDocument extends ReplyRuleConditions {
  /** Shown in errors, logs and the ops CLI. */
  name?: string;
  /** Tried before every other rule, on its `dates` (required with it): a holiday or closure notice. */
  closure?: boolean;
  /** What a newer message from the contact does to this plan's unsent replies. Default "supersede". */
  onNewMessage?: OnNewMessage;
  /** The replies, in order; `delay` is ms after acceptance, texts may hold placeholders (the known ones: lambdas/core/placeholders.ts). */
  messages: ReplyMessageDocument[];
}

/** One reply of a rule, in the vendor's schedule-activity format. */
export interface ReplyMessageDocument {
  text: string;
  /** Milliseconds after the incoming webhook was accepted (an offset, not a gap). */
  delay: number;
  /** An http(s) URL of a file to send with the text. */
  attachment?: string;
  filename?: string;
}
