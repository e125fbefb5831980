import {
  isPlainObject,
  labelList,
  optionalBoolean,
  optionalEpochMs,
  optionalNonEmptyText,
  optionalObject,
  optionalText,
  requiredPhone,
} from "./coerce.js";
import { parseConversationHistory } from "./conversationHistory.js";
import { PayloadError } from "./errors.js";
import type { NormalizedWebhook } from "./webhook.js";

/**
 * Fields this parser reads. Anything else at the payload's top level (or inside an envelope's
 * `data`) is kept verbatim in `extra`.
 */
const KNOWN_FIELDS = new Set([
  "phone_number",
  "user_id",
  "recipient_name",
  "last_message_of_user",
  "last_message_of_bot",
  "message_type",
  "user_last_message_time",
  "bot_last_message_time",
  "user_timestamp",
  "bot_timestamp",
  "last_messages",
  "conversation_paragraph",
  "attachment_url",
  "note",
  "note_automation",
  "labels",
  "incoming_message",
  "send_by",
  "was_message_by_human",
  "referral",
  // V1 (enveloped) names
  "message",
  "conversation_context",
  "conversation_history",
]);

/**
 * Parses a vendor webhook body (the raw bytes, or their UTF-8 text) into a NormalizedWebhook.
 * Throws PayloadError naming the field when the body is not JSON (code "malformed_json") or a
 * required field is missing or a known field has the wrong type (code "invalid_payload").
 *
 * Accepted variants (research/vendor.md §1.3): V0 (`last_messages` as a JSON string,
 * `user_timestamp`/`bot_timestamp`), the V1 envelope (`{event_type, data: {message,
 * conversation_context, conversation_history}}`) and the generic `{event, data}` envelope,
 * V2/V3 (arrays, `*_last_message_time`, `labels`, `incoming_message`, `send_by`,
 * `was_message_by_human`, `referral`) and the Zapier sample (13-digit string timestamps,
 * "+digits" phone, plain-text `last_messages`).
 *
 * Required: `phone_number` (string or number, digits with an optional "+"), and a message:
 * at least one of `last_message_of_user`, `last_message_of_bot`, `last_messages` (V0–V3,
 * Zapier) or `message` / `conversation_context` (V1). Every variant carries one of these, and a
 * body without any describes no message to answer. An empty `last_message_of_user` counts
 * (a media message without caption).
 *
 * Never fatal: unknown fields (kept in `extra`), a plain-text `last_messages` (kept as
 * `extra.last_messages`), envelope metadata (kept as `extra.envelope`), unreadable history
 * timestamps.
 */
export function parseWebhook(raw: Uint8Array | string): NormalizedWebhook {
  const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
  const document = parseJsonBody(text);
  const { fields, path, envelope } = unwrapEnvelope(document);
  const name = (field: string) => `${path}${field}`;
  const phone = requiredPhone(fields.phone_number, name("phone_number"), (lossy) =>
    recoverIntegerLiteral(text, "phone_number", lossy),
  );

  // V1 nests the latest message and the conversation state one level down.
  const message = optionalObject(fields.message, name("message"));
  const context = optionalObject(fields.conversation_context, name("conversation_context"));
  const media = message ? optionalObject(message.media, name("message.media")) : null;

  const incomingMessage =
    optionalBoolean(fields.incoming_message, name("incoming_message")) ??
    directionOfEvent(envelope);
  // Without a direction the delivery is incoming: webhooks without the field are incoming-only.
  const messageIsFromUser = incomingMessage !== false;
  const messageContent = message ? optionalText(message.content, name("message.content")) : null;

  const lastMessageOfUser =
    optionalText(fields.last_message_of_user, name("last_message_of_user")) ??
    (context
      ? optionalText(context.last_user_message, name("conversation_context.last_user_message"))
      : null) ??
    (messageIsFromUser ? messageContent : null);
  const lastMessageOfBot =
    optionalText(fields.last_message_of_bot, name("last_message_of_bot")) ??
    (context
      ? optionalText(context.last_bot_message, name("conversation_context.last_bot_message"))
      : null) ??
    (messageIsFromUser ? null : messageContent);

  const historyField =
    fields.last_messages !== undefined ? "last_messages" : "conversation_history";
  const history = parseConversationHistory(fields[historyField], name(historyField));

  const hasMessage =
    lastMessageOfUser !== null ||
    lastMessageOfBot !== null ||
    message !== null ||
    (fields[historyField] !== undefined && fields[historyField] !== null);
  if (!hasMessage) {
    throw new PayloadError(
      name("last_message_of_user"),
      "a message is required: one of last_message_of_user, last_message_of_bot or last_messages",
    );
  }

  const userLastMessageTimeMs =
    firstTime(fields, ["user_last_message_time", "user_timestamp"], path) ??
    (context
      ? optionalEpochMs(context.user_timestamp, name("conversation_context.user_timestamp"))
      : null) ??
    (message && messageIsFromUser
      ? optionalEpochMs(message.timestamp, name("message.timestamp"))
      : null);
  const botLastMessageTimeMs =
    firstTime(fields, ["bot_last_message_time", "bot_timestamp"], path) ??
    (context
      ? optionalEpochMs(context.bot_timestamp, name("conversation_context.bot_timestamp"))
      : null) ??
    (message && !messageIsFromUser
      ? optionalEpochMs(message.timestamp, name("message.timestamp"))
      : null);

  const extraEntries = Object.entries(fields).filter(([key]) => !KNOWN_FIELDS.has(key));
  if (envelope) extraEntries.push(["envelope", envelope]);
  if (history.plainText !== null) extraEntries.push(["last_messages", history.plainText]);
  if (media) extraEntries.push(["media", media]);

  return {
    phone,
    userId: optionalNonEmptyText(fields.user_id, name("user_id")),
    recipientName: optionalNonEmptyText(fields.recipient_name, name("recipient_name")),
    lastMessageOfUser,
    lastMessageOfBot,
    messageType:
      optionalNonEmptyText(fields.message_type, name("message_type")) ??
      (message ? optionalNonEmptyText(message.type, name("message.type")) : null),
    userLastMessageTimeMs,
    botLastMessageTimeMs,
    lastMessages: history.entries,
    conversationParagraph: optionalText(
      fields.conversation_paragraph,
      name("conversation_paragraph"),
    ),
    attachmentUrl:
      optionalNonEmptyText(fields.attachment_url, name("attachment_url")) ??
      (media ? optionalNonEmptyText(media.url, name("message.media.url")) : null),
    note: optionalNonEmptyText(fields.note, name("note")),
    noteAutomation: optionalNonEmptyText(fields.note_automation, name("note_automation")),
    labels: labelList(fields.labels, name("labels")),
    incomingMessage,
    sendBy: optionalNonEmptyText(fields.send_by, name("send_by")),
    wasMessageByHuman: optionalBoolean(fields.was_message_by_human, name("was_message_by_human")),
    referral: optionalObject(fields.referral, name("referral")),
    // fromEntries defines own properties, so a "__proto__" key stays data.
    extra: Object.fromEntries(extraEntries),
  };
}

function parseJsonBody(text: string): unknown {
  // A UTF-8 byte-order mark is not JSON whitespace; some senders add one.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (json.trim() === "") throw new PayloadError("body", "body is empty", "malformed_json");
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    // Only the position: V8's message quotes the body, which must not reach logs.
    const position =
      error instanceof Error ? /at position \d+/.exec(error.message)?.[0] : undefined;
    const detail = position ? ` (${position})` : "";
    throw new PayloadError("body", `body is not valid JSON${detail}`, "malformed_json");
  }
  if (nestingDepth(document) > MAX_NESTING_DEPTH) {
    // Unknown fields are kept and re-serialised into the job: a pathological depth would overflow
    // JSON.stringify's stack later and look like an outage (503 for ever) instead of a bad body.
    throw new PayloadError("body", `body is nested deeper than ${MAX_NESTING_DEPTH} levels`);
  }
  return document;
}

/** Far deeper than any vendor payload (about 4 levels), far shallower than a stack overflow. */
export const MAX_NESTING_DEPTH = 64;

/** Depth of nested arrays/objects, walked without recursion; stops counting past the limit. */
function nestingDepth(root: unknown): number {
  let deepest = 0;
  const pending: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  while (pending.length > 0) {
    const { value, depth } = pending.pop() as { value: unknown; depth: number };
    if (value === null || typeof value !== "object") continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > MAX_NESTING_DEPTH) return deepest;
    for (const child of Object.values(value)) pending.push({ value: child, depth: level });
  }
  return deepest;
}

interface Unwrapped {
  fields: Record<string, unknown>;
  /** Prefix for field names in errors ("data." inside an envelope). */
  path: string;
  /** Envelope metadata (everything beside `data`), or null for a flat payload. */
  envelope: Record<string, unknown> | null;
}

/** Unwraps `{event | event_type, data: {...}}`; a flat payload is returned as-is. */
function unwrapEnvelope(document: unknown): Unwrapped {
  if (!isPlainObject(document)) {
    throw new PayloadError("body", "body must be a JSON object");
  }
  const isEnvelope =
    isPlainObject(document.data) &&
    (typeof document.event === "string" || typeof document.event_type === "string") &&
    document.phone_number === undefined;
  if (!isEnvelope) return { fields: document, path: "", envelope: null };
  const { data, ...envelope } = document;
  return { fields: data as Record<string, unknown>, path: "data.", envelope };
}

/** V1 and the generic envelope say the direction in the event name. */
function directionOfEvent(envelope: Record<string, unknown> | null): boolean | null {
  const event = envelope?.event_type ?? envelope?.event;
  if (event === "incoming_message") return true;
  if (event === "outgoing_message") return false;
  return null;
}

/** The first of several names (new name first, then old) that holds a time. */
function firstTime(
  fields: Record<string, unknown>,
  names: readonly string[],
  path: string,
): number | null {
  let found: number | null = null;
  for (const name of names) {
    // Every name present is validated, so a malformed old field is reported even beside a new one.
    const value = optionalEpochMs(fields[name], `${path}${name}`);
    found ??= value;
  }
  return found;
}

/**
 * JSON.parse turns an integer literal beyond 2^53 into a float that has lost digits, and Node 20
 * has no JSON.parse source-text access. The body parsed, so it is valid JSON: the pattern below
 * can then only match an object key (a quote inside a JSON string is always escaped). Among the
 * literals of that key, the one that parses to the same float is the value JSON.parse saw.
 */
export function recoverIntegerLiteral(text: string, key: string, lossy: number): string | null {
  const escapedKey = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`"${escapedKey}"\\s*:\\s*(\\d+)(?![\\d.eE])`, "g");
  for (const match of text.matchAll(pattern)) {
    const literal = match[1];
    if (literal !== undefined && Number(literal) === lossy) return literal;
  }
  return null;
}
