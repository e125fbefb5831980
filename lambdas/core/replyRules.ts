import * as z from "zod/mini";
import { ReplyRulesError } from "./errors.js";
import { ENGLISH_ISSUES, type NormalizedWebhook } from "./messages.js";

/**
 * Reply rules: the configured answer to an incoming message, and the reply-policy hook.
 *
 * Rules come from stack config (env REPLY_RULES) or `npm start -- --rules FILE` as a JSON array
 * `[{ "match": "<regex>", "messages": [{ "text", "delay", "attachment"?, "filename"? }] }]`.
 * `match` is a case-insensitive regular expression tested against the user's last message; the
 * first rule that matches wins; no match means no reply. `delay` is milliseconds from the moment
 * the receiver accepted the webhook (an offset, not a gap), the unit the vendor's schedule-activity
 * example uses (docs/vendor.md).
 *
 * ## Custom policy hook
 * The responder asks a {@link ReplyPolicy} for the plan. The default is {@link rulesPolicy}; to
 * answer with code instead (an LLM call, a CRM lookup), write a function of the same type and pass
 * it as `policy` to `createResponderHandler` (lambdas/functions/responder.ts) in the entry module
 * lambdas/handlers/responder.ts, e.g.
 * `export const handler = createResponderHandler({ ...responderDeps(config), policy: myPolicy })`.
 * A policy must be deterministic for a given input: a redelivered job asks again, and only an
 * identical answer maps onto the same sent-markers (planId#seq), which keep sends exactly-once.
 */

/** The longest schedule the vendor's `waiting_duration` presets allow: 60 days. */
export const MAX_REPLY_DELAY_MS = 5_184_000 * 1000;

/** WhatsApp's limit on a text message body; longer user texts are matched on this prefix. */
export const MAX_TEXT_LENGTH = 4096;

/** One message of a reply plan, as a policy returns it. */
export interface ReplyPlanMessage {
  text: string;
  /** Milliseconds after acceptance of the incoming webhook. */
  delayMs: number;
  attachment?: string;
  filename?: string;
}

/** Decides the reply to one accepted webhook; [] means no reply. */
export type ReplyPolicy = (input: {
  webhook: NormalizedWebhook;
  /** Epoch ms when the receiver accepted the webhook. */
  acceptedAt: number;
}) => ReplyPlanMessage[] | Promise<ReplyPlanMessage[]>;

/** A validated rule. */
export interface ReplyRule {
  /** The regex source as configured. */
  match: string;
  /** `match` compiled case-insensitively. */
  pattern: RegExp;
  messages: ReplyPlanMessage[];
}

// zod/mini (the functional API) rather than classic zod: the same checks at ~3% of the bundle size.
const messageSchema = z.strictObject({
  text: z.string({ error: "must be a string" }).check(
    z.refine((text) => text.trim() !== "", "must not be blank"),
    z.maxLength(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`),
  ),
  delay: z
    .number({ error: "must be a number of milliseconds" })
    .check(
      z.int("must be a whole number of milliseconds"),
      z.gte(0, "must not be negative"),
      z.lte(MAX_REPLY_DELAY_MS, `must be at most ${MAX_REPLY_DELAY_MS} ms (60 days)`),
    ),
  attachment: z.optional(z.url({ error: "must be an absolute URL", protocol: /^https?$/ })),
  filename: z.optional(
    z.string({ error: "must be a string" }).check(z.minLength(1, "must not be empty")),
  ),
});

const ruleSchema = z.strictObject({
  match: z.string({ error: "must be a string (a regular expression)" }),
  messages: z
    .array(messageSchema, { error: "must be an array of messages" })
    .check(z.minLength(1, "must hold at least one message")),
});

const rulesSchema = z.array(ruleSchema, { error: "reply rules must be a JSON array of rules" });

/** "messages[1].delay" from a zod path below the rule index. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i ? "." : ""}${String(part)}`))
    .join("");
}

function ruleError(ruleIndex: number, field: string, problem: string): ReplyRulesError {
  return new ReplyRulesError(`reply rule ${ruleIndex}: ${field} ${problem}`, ruleIndex, field);
}

/**
 * Validates a rules document (parsed JSON, or the JSON text itself) and compiles the patterns.
 *
 * @param options.waitingDurationSeconds the webhook's `waiting_duration`: when given, no message
 *   may be scheduled later than this many seconds after acceptance.
 * @throws ReplyRulesError naming the rule index and field of the first problem found.
 */
export function parseReplyRules(
  json: unknown,
  options: { waitingDurationSeconds?: number } = {},
): ReplyRule[] {
  let document = json;
  if (typeof json === "string") {
    try {
      document = JSON.parse(json);
    } catch (error) {
      throw new ReplyRulesError(`reply rules are not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = rulesSchema.safeParse(document, ENGLISH_ISSUES);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [ruleIndex, ...rest] = issue?.path ?? [];
    if (typeof ruleIndex !== "number") {
      throw new ReplyRulesError(issue?.message ?? "reply rules are invalid");
    }
    const unknownKeys =
      issue?.code === "unrecognized_keys" ? ` (unknown field: ${issue.keys.join(", ")})` : "";
    const field = fieldPath(rest) || "rule";
    throw ruleError(ruleIndex, field, `${issue?.message ?? "is invalid"}${unknownKeys}`);
  }

  const limitMs =
    options.waitingDurationSeconds === undefined
      ? undefined
      : options.waitingDurationSeconds * 1000;
  return parsed.data.map((rule, ruleIndex) => {
    let pattern: RegExp;
    try {
      pattern = new RegExp(rule.match, "i");
    } catch (error) {
      throw ruleError(
        ruleIndex,
        "match",
        `is not a valid regular expression: ${(error as Error).message}`,
      );
    }
    rule.messages.forEach((message, i) => {
      const previous = rule.messages[i - 1];
      if (previous && message.delay < previous.delay) {
        throw ruleError(
          ruleIndex,
          `messages[${i}].delay`,
          `(${message.delay} ms) is earlier than the message before it (${previous.delay} ms): delays are offsets from acceptance, so they must not decrease`,
        );
      }
      if (limitMs !== undefined && message.delay > limitMs) {
        throw ruleError(
          ruleIndex,
          `messages[${i}].delay`,
          `(${message.delay} ms) is beyond the webhook's waiting_duration of ${options.waitingDurationSeconds} s`,
        );
      }
    });
    return {
      match: rule.match,
      pattern,
      messages: rule.messages.map(({ delay, ...rest }) => ({ ...rest, delayMs: delay })),
    };
  });
}

/** The text the rules are matched against: the user's last message ("" for media without caption). */
export function lastUserText(webhook: NormalizedWebhook): string {
  if (webhook.lastMessageOfUser !== null) return webhook.lastMessageOfUser;
  const lastUserEntry = webhook.lastMessages.filter((entry) => entry.role === "user").at(-1);
  return lastUserEntry?.content ?? "";
}

/** The first rule whose pattern matches `text`, if any. */
export function matchRule(rules: readonly ReplyRule[], text: string): ReplyRule | undefined {
  // Bound the input: a rule's regex runs on customer-controlled text.
  const subject = text.slice(0, MAX_TEXT_LENGTH);
  return rules.find((rule) => rule.pattern.test(subject));
}

/** The default policy: the first matching rule's messages, or no reply. */
export function rulesPolicy(rules: readonly ReplyRule[]): ReplyPolicy {
  return ({ webhook }) => {
    const rule = matchRule(rules, lastUserText(webhook));
    return rule ? rule.messages.map((message) => ({ ...message })) : [];
  };
}
