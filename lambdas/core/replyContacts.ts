import { ConfigurationError } from "./errors.js";
import type { ReplyPolicy } from "./replyRules.js";

/**
 * Which contacts a stack may answer (REPLY_CONTACTS): everyone, or only listed numbers, so a dev or
 * staging stack on a shared vendor account never writes to a real customer. The value is "*"
 * (anyone), "none", or comma-separated numbers in digits (the form NormalizedWebhook.phone has).
 */
export type ReplyContacts = "any" | ReadonlySet<string>;

/** Parses REPLY_CONTACTS; throws naming the bad entry. */
export function parseReplyContacts(value: string): ReplyContacts {
  const text = value.trim();
  if (text === "*") return "any";
  if (text === "none") return new Set();
  const numbers = text.split(",").map((n) => n.trim());
  const bad = numbers.find((n) => !/^\d{5,20}$/.test(n));
  if (bad !== undefined) {
    throw new ConfigurationError(
      `REPLY_CONTACTS: "${bad}" is not a number in digits (or use * or none)`,
    );
  }
  return new Set(numbers);
}

/** The policy, answering only allowed contacts (the others get no reply). */
export function onlyContacts(policy: ReplyPolicy, contacts: ReplyContacts): ReplyPolicy {
  if (contacts === "any") return policy;
  return (input) => (contacts.has(input.webhook.phone) ? policy(input) : []);
}
