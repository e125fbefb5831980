import { createHash, createHmac } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { DomainError, describeBody, describeProblem } from "./errors.js";
import type { ConversationEntry, NormalizedWebhook } from "./messages.js";
import {
  matchRule,
  type ReplyPlanMessage,
  type ReplyPolicy,
  type ReplyRule,
  type ReplyValidationOptions,
  renderRuleMessages,
  validateReplyMessages,
} from "./replyRules.js";
import { parseRetryAfter, sanitizeReason } from "./vendorSend.js";

/**
 * The HTTP reply policy: a business's own endpoint decides the reply to a message no rule answers.
 *
 * Request: `POST <url>` with JSON `{ "webhook", "history", "acceptedAt" }`, signed as Standard
 * Webhooks specify (https://www.standardwebhooks.com): headers `webhook-id` (stable per job, so
 * the endpoint can deduplicate), `webhook-timestamp` (Unix seconds of this attempt) and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the
 * decoded bytes of a `whsec_<base64>` secret. Any Standard Webhooks library verifies it.
 *
 * Answer: `200 {"messages":[{"text","delay","attachment"?,"filename"?}]}` (the vendor's
 * schedule-activity format, `delay` in ms from acceptance), checked by the rules' own message
 * validator; `{"messages":[]}`, `[]` or 204 mean no reply. 408, 429, 5xx, timeouts and network
 * errors are worth another attempt ({@link ReplyPolicyUnavailableError}); any other answer is not
 * ({@link ReplyPolicyAnswerError}, naming the field).
 *
 * Signing is a few lines over node:crypto rather than the `standardwebhooks` package: it keeps
 * the responder's bundle free of another HMAC and base64 implementation, and lets the tests verify
 * with that package as an implementation independent of this one.
 */

const SECRET_PREFIX = "whsec_";
/** Standard Webhooks asks for keys of 24 to 64 bytes. */
const SECRET_BYTES = { min: 24, max: 64 } as const;
/** The largest answer read: 100 messages of 4,096 characters, with room to spare. */
export const MAX_POLICY_ANSWER_BYTES = 2 * 1024 * 1024;

/** Why a policy call failed. `retryable`: the same call may succeed later. */
export class ReplyPolicyError extends DomainError {
  override name = "ReplyPolicyError";
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The endpoint did not answer usefully this time: timeout, network, 408, 429, 5xx. */
export class ReplyPolicyUnavailableError extends ReplyPolicyError {
  override name = "ReplyPolicyUnavailableError";
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, true, options);
  }
}

/** The endpoint answered something unusable (bad JSON, a bad message, 4xx); `field` names it. */
export class ReplyPolicyAnswerError extends ReplyPolicyError {
  override name = "ReplyPolicyAnswerError";
  constructor(
    message: string,
    readonly field?: string,
    readonly status?: number,
  ) {
    super(message, false);
  }
}

/** The policy's URL or secret is unusable (a deployment fault); never carries the secret. */
export class ReplyPolicyConfigError extends ReplyPolicyError {
  override name = "ReplyPolicyConfigError";
  constructor(message: string) {
    super(message, false);
  }
}

/**
 * A policy URL and secret as an operator gives them (`--policy-url` and REPLY_POLICY_SECRET of
 * `npm start` and `ops replay`), checked as the responder checks them; a missing secret is the
 * caller's to judge. @throws ReplyPolicyConfigError naming the option or variable, never the secret
 */
export function checkOperatorPolicy(url: string, secret: string | undefined): void {
  try {
    policyEndpoint(url);
  } catch (error) {
    if (error instanceof ReplyPolicyConfigError)
      throw new ReplyPolicyConfigError(`--policy-url: ${error.message}`);
    throw error;
  }
  if (secret === undefined) return;
  try {
    policySigningKey(secret);
  } catch (error) {
    if (error instanceof ReplyPolicyConfigError)
      throw new ReplyPolicyConfigError(`REPLY_POLICY_SECRET: ${error.message}`);
    throw error;
  }
}

/**
 * The HMAC key of a `whsec_<base64>` secret.
 * @throws ReplyPolicyConfigError saying what is wrong, never what the secret is.
 */
export function policySigningKey(secret: string): Buffer {
  const encoded = secret.trim();
  if (!encoded.startsWith(SECRET_PREFIX)) {
    throw new ReplyPolicyConfigError(
      `the reply policy secret must look like ${SECRET_PREFIX}<base64> (Standard Webhooks)`,
    );
  }
  const base64 = encoded.slice(SECRET_PREFIX.length);
  // Buffer.from(…, "base64") skips characters it does not know: check the alphabet first, so a
  // mistyped secret fails here instead of signing with a different key.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 === 1) {
    throw new ReplyPolicyConfigError(
      `the reply policy secret after ${SECRET_PREFIX} must be standard base64`,
    );
  }
  const key = Buffer.from(base64, "base64");
  if (key.length < SECRET_BYTES.min || key.length > SECRET_BYTES.max) {
    throw new ReplyPolicyConfigError(
      `the reply policy secret must decode to ${SECRET_BYTES.min} to ${SECRET_BYTES.max} bytes, got ${key.length}`,
    );
  }
  return key;
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
export function signPolicyRequest(
  key: Buffer,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const mac = createHmac("sha256", key)
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest("base64");
  return `v1,${mac}`;
}

/** The `webhook-id` of a job: derived from its idempotency key, so every attempt sends the same. */
export function policyRequestId(jobKey: string): string {
  return `msg_${createHash("sha256").update(`reply-policy:${jobKey}`).digest("hex").slice(0, 32)}`;
}

/**
 * The policy endpoint as a URL: https, or http on the loopback interface (the local stack).
 * @throws ReplyPolicyConfigError naming the problem.
 */
export function policyEndpoint(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ReplyPolicyConfigError("the reply policy URL must be an absolute URL");
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new ReplyPolicyConfigError(
      "the reply policy URL must be https:// (http:// only on 127.0.0.1 or localhost)",
    );
  }
  if (url.username || url.password) {
    throw new ReplyPolicyConfigError(
      "the reply policy URL must not carry credentials; the request is signed instead",
    );
  }
  return url;
}

/**
 * Where a deployed stack's policy URL must not point, unless the stack opts in to a private
 * endpoint (`replyPolicyPrivateEndpoint: true`, one reached through a VPC). Blocks from IANA's
 * IPv4 and IPv6 Special-Purpose Address Registries (test/fixtures/contracts/iana/). The URL
 * parser has already turned every IPv4 spelling (2130706433, 0x7f.1, 017700000001) into dotted
 * decimal, and BlockList matches an IPv4-mapped IPv6 address (::ffff:10.0.0.5) by its IPv4 rule.
 */
interface AddressClass {
  what: string;
  /** Allowed with the opt-in: a VPC endpoint has such an address; the others never serve one. */
  private: boolean;
  blocks: readonly (readonly [address: string, prefix: number])[];
}
const ADDRESS_CLASSES = (
  [
    {
      what: "a loopback address",
      private: false,
      blocks: [
        ["127.0.0.0", 8],
        ["::1", 128],
      ],
    },
    {
      what: "a link-local address (the instance metadata service lives there)",
      private: false,
      blocks: [
        ["169.254.0.0", 16],
        ["fe80::", 10],
      ],
    },
    {
      what: 'an unspecified ("this network") address',
      private: false,
      blocks: [
        ["0.0.0.0", 8],
        ["::", 128],
      ],
    },
    {
      what: "a multicast, broadcast or reserved address",
      private: false,
      blocks: [
        ["224.0.0.0", 4],
        ["240.0.0.0", 4],
        ["ff00::", 8],
      ],
    },
    {
      what: "a private address",
      private: true,
      blocks: [
        ["10.0.0.0", 8],
        ["172.16.0.0", 12],
        ["192.168.0.0", 16],
        ["100.64.0.0", 10],
        ["fc00::", 7],
      ],
    },
  ] satisfies AddressClass[]
).map((entry) => ({ ...entry, list: blockList(entry.blocks) }));

function blockList(blocks: readonly (readonly [string, number])[]): BlockList {
  const list = new BlockList();
  for (const [address, prefix] of blocks) {
    list.addSubnet(address, prefix, isIP(address) === 6 ? "ipv6" : "ipv4");
  }
  return list;
}

/**
 * Names that resolve inside a host or a private network: RFC 6761's localhost, mDNS's .local,
 * ICANN's private-use .internal (EC2's own names, ip-10-0-0-5.ec2.internal) and EC2's metadata
 * name.
 */
const NAME_CLASSES: readonly { what: string; private: boolean; test: RegExp }[] = [
  { what: "a loopback name", private: false, test: /(^|\.)localhost$/ },
  { what: "the instance metadata service", private: false, test: /^instance-data(\.|$)/ },
  { what: "a private name", private: true, test: /\.(local|internal)$|^[^.]+$/ },
];

/**
 * Why a deployed stack may not send its policy requests to `value` (they carry the customer's
 * conversation and are signed with the stack's secret), or undefined when it may: an https URL
 * to a public host name. Literal IP addresses, loopback, link-local and private addresses and
 * names are refused; with `privateEndpoint` (a VPC endpoint) private addresses and names are
 * allowed, never loopback or link-local. The local stack's `http://127.0.0.1` is not a deployed
 * stack's URL: {@link policyEndpoint} is the runtime's check.
 */
export function policyUrlProblem(
  value: string,
  options: { privateEndpoint: boolean },
): string | undefined {
  if (!URL.canParse(value)) return "must be an absolute https:// URL";
  const url = new URL(value);
  if (url.protocol !== "https:") return "must be an absolute https:// URL";
  // "localhost." and "localhost" are one name.
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const optIn = "set replyPolicyPrivateEndpoint: true for an endpoint reached through a VPC";
  const family = isIP(host);
  if (family !== 0) {
    const type = family === 6 ? "ipv6" : "ipv4";
    const found = ADDRESS_CLASSES.find((c) => c.list.check(host, type));
    if (found && !found.private) return `must not point to ${found.what} (${host})`;
    if (found && !options.privateEndpoint) return `points to ${found.what} (${host}): ${optIn}`;
    if (!found && !options.privateEndpoint) {
      return `must name a host, not an IP address (${host}): an https certificate names the host`;
    }
    return undefined;
  }
  const name = NAME_CLASSES.find((c) => c.test.test(host));
  if (name && !name.private) return `must not point to ${name.what} (${host})`;
  if (name && !options.privateEndpoint) return `points to ${name.what} (${host}): ${optIn}`;
  return undefined;
}

/** One message of the history sent to the policy. */
interface PolicyHistoryEntry {
  /** "user" (the customer) or "bot" (the business), lower-cased; unknown roles as sent. */
  role: string;
  content: string;
  contentType: string | null;
  mediaUrl: string | null;
  /** ISO time; null when the vendor sent none. */
  at: string | null;
}

/** What the policy is asked about. */
export interface PolicyQuestion {
  /** `webhook-id`: {@link policyRequestId} of the job. */
  id: string;
  webhook: NormalizedWebhook;
  /** The contact's recent conversation, oldest first. */
  history: readonly PolicyHistoryEntry[];
  /** Epoch ms the receiver accepted the webhook; reply delays count from here. */
  acceptedAt: number;
}

/**
 * The contact's recent conversation as the policy gets it, oldest first: what the webhook itself
 * carries (`last_messages`, the vendor's window of about 20 messages, plus the last user and bot
 * messages when the window lacks them). That is the honest source for now: the conversation
 * table logs each webhook's own message only (core/conversationLog.ts), so the window holds as
 * much or more, and reading the table would cost the responder a Query grant and a read per job.
 * Undated entries (some payload versions) come last, in the order the vendor sent them.
 */
function policyHistory(webhook: NormalizedWebhook): PolicyHistoryEntry[] {
  // Blank entries are what payloads send for "none yet" (last_message_of_bot: ""), not messages.
  const messages = windowEntries(webhook).filter((entry) => entry.content.trim() !== "");
  const entries = messages.map((entry, index) => ({
    index,
    time: entry.timestampMs ?? Number.POSITIVE_INFINITY,
    entry: {
      role: entry.role.toLowerCase(),
      content: entry.content,
      contentType: entry.contentType,
      mediaUrl: entry.mediaUrl,
      at: entry.timestampMs === null ? null : new Date(entry.timestampMs).toISOString(),
    } satisfies PolicyHistoryEntry,
  }));
  entries.sort((a, b) => a.time - b.time || a.index - b.index);
  return entries.map(({ entry }) => entry);
}

/**
 * The webhook's `last_messages`, plus the `last_message_of_user/bot` fields when the window does
 * not already hold that text (older payloads send no history).
 */
function windowEntries(webhook: NormalizedWebhook): ConversationEntry[] {
  const entries = [...webhook.lastMessages];
  const addIfMissing = (role: string, content: string | null, timeMs: number | null) => {
    if (content === null) return;
    if (entries.some((e) => e.role.toLowerCase() === role && e.content === content)) return;
    entries.push({
      role,
      content,
      timestamp: timeMs === null ? null : new Date(timeMs).toISOString(),
      timestampMs: timeMs,
      contentType: role === "user" ? webhook.messageType : null,
      mediaUrl: role === "user" ? webhook.attachmentUrl : null,
    });
  };
  addIfMissing("user", webhook.lastMessageOfUser, webhook.userLastMessageTimeMs);
  addIfMissing("bot", webhook.lastMessageOfBot, webhook.botLastMessageTimeMs);
  return entries;
}

/** Asks an HTTP policy one question (HttpReplyPolicyClient.ask). */
export type AskPolicy = (question: PolicyQuestion) => Promise<ReplyPlanMessage[]>;

/**
 * The stack's rules first; a message no rule matches goes to the HTTP policy, with the job's
 * stable `webhook-id` and the contact's history. Its errors propagate: the responder turns
 * {@link ReplyPolicyUnavailableError} into a retry with backoff and
 * {@link ReplyPolicyAnswerError} into a job in the DLQ.
 */
export function rulesThenHttpPolicy(rules: readonly ReplyRule[], ask: AskPolicy): ReplyPolicy {
  return (input) => {
    const rule = matchRule(rules, input);
    // A rule's answer keeps its `onNewMessage`; the HTTP policy's plans are superseded.
    if (rule)
      return { messages: renderRuleMessages(rule, input.webhook), onNewMessage: rule.onNewMessage };
    return ask({
      id: policyRequestId(input.jobKey),
      webhook: input.webhook,
      history: policyHistory(input.webhook),
      acceptedAt: input.acceptedAt,
    });
  };
}

/** The signed HTTP request for one question. */
export function buildPolicyRequest(
  question: PolicyQuestion,
  key: Buffer,
  nowMs: number,
): { method: "POST"; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({
    webhook: question.webhook,
    history: question.history,
    acceptedAt: new Date(question.acceptedAt).toISOString(),
  });
  const timestamp = Math.floor(nowMs / 1000);
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      "webhook-id": question.id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signPolicyRequest(key, question.id, timestamp, body),
    },
    body,
  };
}

/**
 * The reply plan in a policy's answer.
 * @throws ReplyPolicyUnavailableError for 408, 429 and 5xx; ReplyPolicyAnswerError otherwise,
 *   naming the field when a message is wrong.
 */
export function parsePolicyAnswer(
  response: { status: number; body: string; retryAfter?: string | null; now?: number },
  options: ReplyValidationOptions = {},
): ReplyPlanMessage[] {
  const { status, body } = response;
  if (status === 408 || status === 429 || status >= 500) {
    throw new ReplyPolicyUnavailableError(
      `the reply policy answered HTTP ${status}`,
      status,
      parseRetryAfter(response.retryAfter, response.now ?? 0),
    );
  }
  if (status === 204) return [];
  if (status < 200 || status >= 300) {
    // Never the body itself: an error page may echo the request (the contact's number and text,
    // the history) or, misconfigured, the secret. Its size and hash identify it.
    throw new ReplyPolicyAnswerError(
      `the reply policy answered HTTP ${status}${body ? ` (${describeBody(body)})` : ""}`,
      undefined,
      status,
    );
  }
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    throw new ReplyPolicyAnswerError(
      'the reply policy answer is not JSON; expected {"messages": [{"text", "delay"}]}',
      "body",
      status,
    );
  }
  // `[]` alone is accepted as "no reply" too, and with it any bare list of messages.
  const messages = Array.isArray(answer)
    ? answer
    : answer !== null && typeof answer === "object" && "messages" in answer
      ? answer.messages
      : undefined;
  if (messages === undefined) {
    throw new ReplyPolicyAnswerError(
      'the reply policy answer has no "messages"; expected {"messages": [{"text", "delay"}]}',
      "messages",
      status,
    );
  }
  const checked = validateReplyMessages(messages, options);
  if (checked.ok) return checked.messages;
  throw new ReplyPolicyAnswerError(
    `the reply policy answer is invalid: ${checked.problems.map(describeProblem).join("; ")}`,
    checked.problems[0]?.field,
    status,
  );
}

/** A failed fetch: timeouts and network errors are all worth another attempt. */
export function policyFetchError(error: unknown): ReplyPolicyUnavailableError {
  const err = error as { name?: string; message?: string; cause?: { code?: string } };
  if (err?.name === "TimeoutError" || err?.name === "AbortError") {
    return new ReplyPolicyUnavailableError(
      "the reply policy did not answer in time",
      undefined,
      undefined,
      {
        cause: error,
      },
    );
  }
  const detail = err?.cause?.code ?? err?.message ?? String(error);
  return new ReplyPolicyUnavailableError(
    `the reply policy could not be reached: ${sanitizeReason(detail)}`,
    undefined,
    undefined,
    { cause: error },
  );
}
