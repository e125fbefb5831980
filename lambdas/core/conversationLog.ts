import { type ContactState, contactPk, replyVerdict, type WebhookMessage } from "./conversation.js";
import type { NormalizedWebhook } from "./messages.js";
import { isFinishedStatus, type ReplyItem } from "./replyItem.js";
import type { ReplyPlanMessage } from "./replyRules.js";

/**
 * The items of the conversation table besides CONTACT (core/conversation.ts) and the reply items
 * (core/replyItem.ts, REPLY#…): the message each webhook carried, with the reply plan it got.
 *
 * Only the webhook's own message is written, not the `last_messages` window every webhook carries
 * (up to ~20 items, ~20 WRU per webhook): the window repeats what earlier webhooks already logged,
 * and the replies log themselves (REPLY items). A message that only ever appears in a window
 * (sent while the stack was down, or before it existed) is not logged.
 */

/** Why a message got no plan; kept on its MSG item and in the log line. */
export type NoReplyReason =
  | "invalid_phone"
  | "older_than_newest"
  | "opted_out"
  | "paused"
  | "no_rule_matched"
  | "already_opted_out"
  | "outgoing"
  /** The HTTP reply policy was unavailable on every attempt; the job went to the jobs DLQ. */
  | "policy_unavailable";

/** One MSG item: the message one webhook carried. */
export interface ConversationItem {
  pk: string;
  /** "MSG#<ISO time>#<role>#<key prefix>": a partition's messages sort by time. */
  sk: string;
  phone: string;
  userId: string | null;
  /** "user" (the customer) or "bot" (the business: a person, our sends, other automations). */
  role: "user" | "bot";
  content: string;
  contentType: string | null;
  mediaUrl: string | null;
  /** ISO time of the message (the vendor's; the acceptance time when it sent none). */
  at: string;
  source: "webhook";
  /** The message key (core/conversation.ts messageKey). */
  messageKey: string;
  /** Outgoing messages: typed by a person at the business (`was_message_by_human` true). */
  human?: boolean;
  sendBy?: string;
  /** The plan this message got (or would have got: a plan id without `plan` is a message with none). */
  planId?: string;
  /**
   * The reply plan, stored with the message in one write (before any of its replies is queued) and
   * never replaced once stored: a redelivered job reuses it instead of asking the policy again.
   */
  plan?: StoredPlan;
  noReplyReason?: NoReplyReason;
  /** Informational fields of unexpected types, kept raw and ignored (parseWebhook warnings). */
  warnings?: string[];
  /**
   * The ad or post the contact came from (`referral`), as {@link storableFields} made it: the
   * vendor's object, with what DynamoDB cannot store as a value turned into JSON text.
   */
  referral?: unknown;
  /**
   * Epoch seconds; DynamoDB TTL deletes the item after this: the retention after the message, or
   * after its plan's last due reply when that is later.
   */
  expiresAt: number;
}

/** The attributes a {@link ConversationItem} may lack. */
type OptionalKey<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/**
 * What a write of a MSG item does with each optional attribute it leaves out (messageItem sets
 * them only when they apply): "removed" (the item is this message as written now: e.g. a
 * noReplyReason "policy_unavailable" goes when a redriven job gets its plan) or "kept". Keyed by
 * every optional attribute of ConversationItem, so a new one does not compile without its entry.
 */
const WITHOUT_IT: { [K in OptionalKey<ConversationItem>]: "removed" | "kept" } = {
  human: "removed",
  sendBy: "removed",
  // A message an earlier release planned on a PLAN item, logged again by a late repeat, still
  // shows the plan it got.
  planId: "kept",
  // Never replaced or dropped once stored: the write's condition (ContactStore.recordMessage).
  plan: "kept",
  noReplyReason: "removed",
  warnings: "removed",
  referral: "removed",
};

/** The MSG item attributes a write removes when it leaves them out. */
export const OPTIONAL_MESSAGE_FIELDS = (
  Object.keys(WITHOUT_IT) as OptionalKey<ConversationItem>[]
).filter((name) => WITHOUT_IT[name] === "removed");

/**
 * The sort key of a message's MSG item: its time (ordering a partition's messages), its role and
 * its key. A redelivered job derives it again from the time its first claim recorded on CONTACT
 * (`lastInboundAt`), so it finds the item (and the plan) the first delivery stored.
 */
export function messageSk(at: number, role: "user" | "bot", key: string): string {
  return `MSG#${new Date(at).toISOString()}#${role}#${key.slice(0, 16)}`;
}

/** The MSG item of a webhook's message (with its plan, if it got one). */
export function messageItem(
  webhook: NormalizedWebhook,
  message: WebhookMessage,
  options: {
    key: string;
    /** The message's time for ordering (ms): vendor time, else acceptance. */
    at: number;
    ttlSeconds: number;
    planId?: string;
    /** The plan it got (its planId becomes the item's; the item is keyed on `at` = planAt). */
    plan?: Plan;
    noReplyReason?: NoReplyReason;
  },
): ConversationItem {
  const role = message.direction === "in" ? "user" : "bot";
  const at = new Date(options.at).toISOString();
  const lastDue = options.plan?.messages.at(-1)?.dueAt ?? options.at;
  const item: ConversationItem = {
    pk: contactPk(webhook.phone),
    sk: messageSk(options.at, role, options.key),
    phone: webhook.phone,
    userId: webhook.userId,
    role,
    content: message.text,
    contentType: webhook.messageType ?? (webhook.attachmentUrl ? null : "text"),
    mediaUrl: webhook.attachmentUrl,
    at,
    source: "webhook",
    messageKey: options.key,
    expiresAt: Math.floor(Math.max(options.at, lastDue) / 1000) + options.ttlSeconds,
  };
  if (message.direction === "out" && webhook.wasMessageByHuman !== null) {
    item.human = webhook.wasMessageByHuman;
  }
  if (webhook.sendBy) item.sendBy = webhook.sendBy;
  const planId = options.plan?.planId ?? options.planId;
  if (planId) item.planId = planId;
  if (options.plan) {
    const { keep, source, messages } = options.plan;
    item.plan = { keep, source, messages: messages.map(({ seq: _seq, ...message }) => message) };
  }
  if (options.noReplyReason) item.noReplyReason = options.noReplyReason;
  if (webhook.warnings.length) item.warnings = webhook.warnings;
  // Last: they get what room the item has left.
  const room = DYNAMODB_ITEM_LIMITS.itemBytes - dynamoItemSize(item);
  return Object.assign(
    item,
    storableFields(informationalFields(webhook), Math.min(MAX_INFORMATIONAL_BYTES, room)),
  );
}

/** The webhook's informational fields the MSG item keeps (no field of the message itself). */
function informationalFields(webhook: NormalizedWebhook): Record<string, unknown> {
  return webhook.referral ? { referral: webhook.referral } : {};
}

// ── What DynamoDB can store ────────────────────────────────────────────────────────────────

/**
 * DynamoDB's item limits ("Service, account, and table quotas in Amazon DynamoDB", excerpt in
 * test/fixtures/contracts/dynamodb/): "nested attributes up to 32 levels deep" (a top-level
 * attribute's value is level 1, a scalar inside a map one level more: DynamoDB Local takes 31
 * nested maps around a string and refuses 32) and "The maximum item size in DynamoDB is 400 KB,
 * which includes both attribute name binary length (UTF-8 length) and attribute value lengths".
 */
export const DYNAMODB_ITEM_LIMITS = { nestingLevels: 32, itemBytes: 400 * 1024 } as const;

/**
 * At most this much of an item goes to informational fields: a vendor's referral is a few hundred
 * bytes, and every KB is a write unit per webhook.
 */
export const MAX_INFORMATIONAL_BYTES = 8 * 1024;

/** DynamoDB's smallest non-zero magnitude (1E-130); the document client takes safe integers only. */
const MIN_NUMBER_MAGNITUDE = 1e-130;

/**
 * Fields of arbitrary JSON made into attributes DynamoDB stores, within `budgetBytes` together:
 * a map or list that would nest deeper than DynamoDB's 32 levels, or has a key DynamoDB refuses
 * (""), is kept as its JSON text; a number DynamoDB or the document client refuses (beyond
 * ±2^53, below 1E-130) as its decimal text. When the fields still exceed the budget, each is its
 * JSON text cut to its share, ending in "…". Whatever the input, the write cannot fail on it: a
 * message is never lost for an informational field (the receiver accepts 64 levels).
 */
export function storableFields(
  fields: Record<string, unknown>,
  budgetBytes: number,
): Record<string, unknown> {
  // Built by fromEntries: a field named "__proto__" (JSON.parse makes it an own property) stays a
  // field, where `out[name] =` would set the object's prototype and drop it.
  const out: Record<string, unknown> = Object.fromEntries(
    Object.entries(fields)
      .filter(([name, value]) => value !== undefined && name !== "")
      // A top-level attribute's value is level 1.
      .map(([name, value]) => [name, storableValue(value, 1)]),
  );
  if (dynamoItemSize(out) <= budgetBytes) return out;
  const names = Object.keys(out);
  const share = Math.floor(Math.max(0, budgetBytes) / Math.max(1, names.length));
  // A field without room even for its name (an item already at DynamoDB's limit) is left out.
  return Object.fromEntries(
    names
      .filter((name) => byteLength(name) <= share)
      .map((name) => [name, cutToBytes(JSON.stringify(out[name]), share - byteLength(name))]),
  );
}

function storableValue(value: unknown, level: number): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return storableNumber(value) ? value : String(value);
  if (typeof value !== "object") return String(value);
  // Its elements would be one level deeper than DynamoDB allows: keep it as text.
  const deeper = level + 1 > DYNAMODB_ITEM_LIMITS.nestingLevels;
  if (Array.isArray(value)) {
    return deeper ? JSON.stringify(value) : value.map((v) => storableValue(v ?? null, level + 1));
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (deeper || entries.some(([key]) => key === "")) return JSON.stringify(value);
  return Object.fromEntries(entries.map(([key, v]) => [key, storableValue(v, level + 1)]));
}

function storableNumber(n: number): boolean {
  const magnitude = Math.abs(n);
  return (
    Number.isFinite(n) &&
    magnitude <= Number.MAX_SAFE_INTEGER &&
    (n === 0 || magnitude >= MIN_NUMBER_MAGNITUDE)
  );
}

/**
 * An item's size as DynamoDB counts it ("Item sizes and formats", excerpt beside the quotas):
 * attribute names and string values in UTF-8 bytes, a number 1 byte per two significant digits
 * plus 1 (rounded up here), null and booleans 1 byte, a list or map 3 bytes plus 1 per element.
 */
export function dynamoItemSize(item: object): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) size += byteLength(name) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (value === null || typeof value === "boolean") return 1;
  if (typeof value === "string") return byteLength(value);
  if (typeof value === "number") {
    const digits = String(Math.abs(value))
      .replace(/e.*$/i, "")
      .replace(".", "")
      .replace(/^0+|0+$/g, "");
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + 1 + valueSize(v), 3);
  if (typeof value === "object") {
    let size = 3;
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined) size += 1 + byteLength(key) + valueSize(v);
    }
    return size;
  }
  return byteLength(String(value));
}

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

/** `text` cut to at most `limit` UTF-8 bytes, ending in "…" when cut (never mid-character). */
function cutToBytes(text: string, limit: number): string {
  if (byteLength(text) <= limit) return text;
  if (limit < byteLength("…")) return "";
  let out = "";
  let size = byteLength("…");
  for (const char of text) {
    size += byteLength(char);
    if (size > limit) break;
    out += char;
  }
  return `${out}…`;
}

// ── Plans ──────────────────────────────────────────────────────────────────────────────────

/** Where a plan came from. */
export type PlanSource = "policy" | "opt-out-confirmation";

/** One message of a plan. */
interface PlanMessage {
  seq: number;
  text: string;
  attachment?: string;
  filename?: string;
  /** Epoch ms. */
  dueAt: number;
}

/** A reply plan: the replies one customer message gets (what the responder queues). */
export interface Plan {
  planId: string;
  /** The message's time (ms): replies of plans at or before a takeover or stop word are cancelled. */
  planAt: number;
  /** The rule said `onNewMessage: "keep"`: a newer customer message does not cancel it. */
  keep: boolean;
  source: PlanSource;
  /** [] when the policy answered no reply. */
  messages: PlanMessage[];
}

/**
 * A plan as its message's MSG item stores it (`plan`), written with the message in one conditional
 * write: one item instead of a message item and a plan item, so a webhook answered by one reply
 * costs CONTACT 1 + MSG 1 + REPLY 2 = 4 WRU. Merging never costs more than two items, since
 * ceil((a + b) / 1 KB) <= ceil(a / 1 KB) + ceil(b / 1 KB) for any sizes a and b, and saves a write
 * while both fit in 1 KB. What the item holds already is not repeated (the plan id, the message's
 * time, a reply's seq = its position), which leaves about 600 bytes of customer message and reply
 * text in that 1 KB (a 300-character message answered by a 300-character reply fits).
 */
interface StoredPlan {
  keep: boolean;
  source: PlanSource;
  messages: Omit<PlanMessage, "seq">[];
}

/** The plan stored on a message's MSG item, if it got one. */
export function planOf(item: ConversationItem): Plan | undefined {
  if (!item.plan || !item.planId) return undefined;
  return {
    planId: item.planId,
    planAt: Date.parse(item.at),
    keep: item.plan.keep,
    source: item.plan.source,
    messages: item.plan.messages.map((message, seq) => ({ seq, ...message })),
  };
}

/**
 * Sort key prefix of the PLAN items that releases before plans lived on MSG items wrote
 * (`PLAN#<planId>`, a superset of {@link Plan}). Still read, never written: a redelivered job of
 * such a release finds its plan there (DynamoContactStore.findMessage), and the ops CLI lists
 * their replies, until the table's TTL has removed the last one (docs/operations.md, "Upgrading").
 */
export const LEGACY_PLAN_PREFIX = "PLAN#";

/** A plan from a policy's (validated) messages; dueAt = acceptedAt + delayMs. */
export function replyPlan(input: {
  planId: string;
  planAt: number;
  acceptedAt: number;
  keep: boolean;
  source: PlanSource;
  messages: readonly ReplyPlanMessage[];
}): Plan {
  const messages = input.messages.map((message, seq) => {
    const planned: PlanMessage = {
      seq,
      text: message.text,
      dueAt: input.acceptedAt + message.delayMs,
    };
    if (message.attachment) planned.attachment = message.attachment;
    if (message.filename) planned.filename = message.filename;
    return planned;
  });
  return {
    planId: input.planId,
    planAt: input.planAt,
    keep: input.keep,
    source: input.source,
    messages,
  };
}

// ── One contact's partition, read back (ops CLI, tests) ──────────────────────────────────────

/** A line of a contact's timeline: a message it wrote or got, or a reply sent or not. */
interface TimelineEntry {
  /** ISO time: the message's time, a reply's sent time (else its due time). */
  at: string;
  role: "user" | "bot";
  content: string;
  /** MSG items: "message"; REPLY items: their status (SENT, CANCELLED, SENDING, …). */
  kind: string;
  planId?: string;
  seq?: number;
  /** noReplyReason of a message, cancelReason or failure reason of a reply. */
  note?: string;
}

/** Everything a contact's partition holds, sorted out (items as the table returns them). */
export interface ContactView {
  contact: ContactState | undefined;
  messages: ConversationItem[];
  /** The plans stored on its messages (and on legacy PLAN items), one per plan id. */
  plans: Plan[];
  replies: ReplyItem[];
  /** Messages and replies in time order. */
  timeline: TimelineEntry[];
}

/** Sorts a partition's items into a {@link ContactView}. */
export function contactView(rawItems: readonly object[]): ContactView {
  const items = rawItems as readonly Record<string, unknown>[];
  const bySk = (prefix: string) => items.filter((i) => String(i.sk).startsWith(prefix));
  const contact = items.find((i) => i.sk === "CONTACT") as ContactState | undefined;
  const messages = bySk("MSG#") as unknown as ConversationItem[];
  const plans = new Map<string, Plan>();
  for (const plan of [
    ...messages.flatMap((m) => planOf(m) ?? []),
    ...(bySk(LEGACY_PLAN_PREFIX) as unknown as Plan[]),
  ]) {
    if (!plans.has(plan.planId)) plans.set(plan.planId, plan);
  }
  const replies = bySk("REPLY#") as unknown as ReplyItem[];
  const timeline: TimelineEntry[] = [
    ...messages.map((m) => ({
      at: m.at,
      role: m.role,
      content: m.content,
      kind: "message",
      ...(m.planId ? { planId: m.planId } : {}),
      ...(m.noReplyReason ? { note: m.noReplyReason } : {}),
    })),
    ...replies.map((r) => ({
      at: r.at ?? (r.dueAt === undefined ? "" : new Date(r.dueAt).toISOString()),
      role: "bot" as const,
      content: r.content ?? "",
      kind: r.status,
      planId: r.planId,
      seq: r.seq,
      ...(r.cancelReason || r.reason ? { note: r.cancelReason ?? r.reason } : {}),
    })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return { contact, messages, plans: [...plans.values()], replies, timeline };
}

/** A reply of a stored plan that has not gone out and that the contact still allows. */
export interface PendingReply {
  planId: string;
  seq: number;
  text: string;
  /** Epoch ms. */
  dueAt: number;
  keep: boolean;
  /** The reply item's state when a send was tried and released (RETRY, SENDING), else "SCHEDULED". */
  status: string;
}

/**
 * What is still to be sent to a contact (the ops CLI's `pending`): every message of its stored
 * plans without a finished reply item, that {@link replyVerdict} would still send at `now`.
 */
export function pendingReplies(view: ContactView, now: number): PendingReply[] {
  const state = new Map(view.replies.map((r) => [`${r.planId}#${r.seq}`, r.status as string]));
  return view.plans
    .flatMap((plan) =>
      plan.messages.map((m) => ({
        planId: plan.planId,
        seq: m.seq,
        text: m.text,
        dueAt: m.dueAt,
        keep: plan.keep,
        planAt: plan.planAt,
        status: state.get(`${plan.planId}#${m.seq}`) ?? "SCHEDULED",
      })),
    )
    .filter((r) => !isFinishedStatus(r.status) && replyVerdict(r, view.contact, now).send)
    .map(({ planAt: _planAt, ...reply }) => reply)
    .sort((a, b) => a.dueAt - b.dueAt);
}
