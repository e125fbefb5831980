import { jsonErrorPosition, PayloadError } from "./errors.js";
import type { ConversationEntry, NormalizedWebhook } from "./messages.js";
import { canonicalPhone } from "./phone.js";

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
 * field the pipeline needs (phone, direction, the message and its times, the history when it is
 * the only message) is missing or of the wrong type (code "invalid_payload"). An informational
 * field of an unexpected type (`referral: "ad"`, `note: {…}`, `was_message_by_human: "no"`)
 * never refuses the webhook: it reads as absent, is kept raw in `extra`, and named in `warnings`.
 *
 * Accepted variants (docs/vendor.md, "Payload variants"): V0 (`last_messages` as a JSON string,
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

  // Informational fields: the pipeline does not need them to answer, so a value of an unexpected
  // type must not refuse the webhook (a 400 loses the customer's message; the vendor does not retry
  // a 4xx). It reads as absent, its raw value is kept in `extra`, and the responder logs the warning.
  const warnings: string[] = [];
  const informationalRaw: [string, unknown][] = [];
  const informational = <T>(
    field: string,
    absent: T,
    parse: (value: unknown, field: string) => T,
  ) => {
    try {
      return parse(fields[field], name(field));
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      warnings.push(error.message);
      informationalRaw.push([field, fields[field]]);
      return absent;
    }
  };

  const extraEntries = Object.entries(fields).filter(([key]) => !KNOWN_FIELDS.has(key));
  if (envelope) extraEntries.push(["envelope", envelope]);
  if (history.plainText !== null) extraEntries.push(["last_messages", history.plainText]);
  if (media) extraEntries.push(["media", media]);

  const webhook: NormalizedWebhook = {
    phone,
    userId: informational("user_id", null, optionalNonEmptyText),
    recipientName: informational("recipient_name", null, optionalNonEmptyText),
    lastMessageOfUser,
    lastMessageOfBot,
    messageType:
      informational("message_type", null, optionalNonEmptyText) ??
      (message ? optionalNonEmptyText(message.type, name("message.type")) : null),
    userLastMessageTimeMs,
    botLastMessageTimeMs,
    lastMessages: history.entries,
    conversationParagraph: informational("conversation_paragraph", null, optionalText),
    attachmentUrl:
      informational("attachment_url", null, optionalNonEmptyText) ??
      (media ? optionalNonEmptyText(media.url, name("message.media.url")) : null),
    note: informational("note", null, optionalNonEmptyText),
    noteAutomation: informational("note_automation", null, optionalNonEmptyText),
    labels: informational("labels", [], labelList),
    incomingMessage,
    sendBy: informational("send_by", null, optionalNonEmptyText),
    wasMessageByHuman: informational("was_message_by_human", null, optionalBoolean),
    referral: informational("referral", null, optionalObject),
    extra: {},
    warnings,
  };
  // fromEntries defines own properties, so a "__proto__" key stays data.
  webhook.extra = Object.fromEntries([...extraEntries, ...informationalRaw]);
  return webhook;
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
    throw new PayloadError(
      "body",
      `body is not valid JSON${jsonErrorPosition(error)}`,
      "malformed_json",
    );
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

// ── Conversation history (`last_messages`, `conversation_history`) ────────────────────────────────

/** `last_messages` after parsing: the entries, plus the raw text when it was not a JSON list. */
export interface ParsedHistory {
  entries: ConversationEntry[];
  /** The original string when it held plain text (the Zapier sample) instead of a JSON array. */
  plainText: string | null;
}

/**
 * Parses `last_messages` (V0/V2/V3) or `conversation_history` (V1): an array, or an array
 * encoded as a JSON string (the vendor's usual webhook form). A string that is not a JSON array
 * is plain text (Zapier) and is handed back as-is. Entries are sorted oldest first by their
 * timestamp (stable; entries without a readable timestamp keep their order, after the dated ones),
 * because the vendor's own order is not reliable (newest first in V0, newest last elsewhere).
 */
export function parseConversationHistory(value: unknown, field: string): ParsedHistory {
  if (value === undefined || value === null) return { entries: [], plainText: null };
  let items: unknown[];
  if (Array.isArray(value)) {
    items = value;
  } else if (typeof value === "string") {
    if (value.trim() === "") return { entries: [], plainText: null };
    const parsed = tryParseJson(value);
    if (!Array.isArray(parsed)) return { entries: [], plainText: value };
    items = parsed;
  } else {
    throw new PayloadError(field, `${field} must be an array or a JSON-encoded array`);
  }
  const entries = items.map((item, index) => toEntry(item, `${field}[${index}]`));
  return { entries: sortOldestFirst(entries), plainText: null };
}

function toEntry(item: unknown, field: string): ConversationEntry {
  if (!isPlainObject(item)) throw new PayloadError(field, `${field} must be an object`);
  const role = optionalText(item.type ?? item.role, `${field}.type`);
  const { timestamp, timestampMs } = entryTime(item.timestamp, `${field}.timestamp`);
  return {
    role: role === null || role.trim() === "" ? "unknown" : role,
    content: optionalText(item.content, `${field}.content`) ?? "",
    timestamp,
    timestampMs,
    contentType: optionalText(item.content_type, `${field}.content_type`),
    mediaUrl: optionalText(item.media_url, `${field}.media_url`),
  };
}

/** History timestamps are informative only: an unreadable one is kept as text, never fatal. */
function entryTime(
  value: unknown,
  field: string,
): { timestamp: string | null; timestampMs: number | null } {
  let timestampMs: number | null;
  try {
    timestampMs = optionalEpochMs(value, field);
  } catch {
    timestampMs = null;
  }
  if (typeof value === "string") return { timestamp: value === "" ? null : value, timestampMs };
  return {
    timestamp: timestampMs === null ? null : new Date(timestampMs).toISOString(),
    timestampMs,
  };
}

function sortOldestFirst(entries: ConversationEntry[]): ConversationEntry[] {
  // Array.prototype.sort is stable (ES2019), so equal or undated entries keep their order.
  return [...entries].sort((a, b) => {
    if (a.timestampMs === b.timestampMs) return 0;
    if (a.timestampMs === null) return 1;
    if (b.timestampMs === null) return -1;
    return a.timestampMs - b.timestampMs;
  });
}

// ── Field coercions ───────────────────────────────────────────────────────────────────────────────

/**
 * Tolerant coercions for vendor webhook fields (docs/vendor.md, "Payload variants").
 *
 * Hand-written rather than zod: every field accepts several encodings (numbers as strings,
 * seconds or milliseconds, JSON inside strings, big integers that must not pass through a
 * float) and must fail with the field's own name. zod would need a preprocess on every field
 * and would still coerce numbers through Number(); plain functions say it more directly.
 *
 * Each function maps "absent" (undefined, null, and where noted "" or 0) to null and throws
 * PayloadError(field, …) for a value of the wrong type.
 */

/** Largest epoch-milliseconds value a JavaScript Date can hold. */
const MAX_EPOCH_MS = 8.64e15;

/** Epoch values at or above this are milliseconds; below, seconds (1e12 ms = 2001-09-09). */
const MILLISECONDS_THRESHOLD = 1e12;

/** Phone numbers: digits only after stripping formatting; bounds keep keys and logs sane. */
const PHONE_MIN_DIGITS = 5;
const PHONE_MAX_DIGITS = 20;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A text field: strings as-is, finite numbers as their decimal text. */
export function optionalText(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new PayloadError(field, `${field} must be a string`);
}

/** Like optionalText, with "" also meaning absent (ids, names, URLs). */
function optionalNonEmptyText(value: unknown, field: string): string | null {
  const text = optionalText(value, field);
  return text === null || text.trim() === "" ? null : text;
}

/**
 * A Unix time in seconds or milliseconds (number, numeric string, or ISO-8601 string) as epoch
 * milliseconds. The unit is told by magnitude: >= 1e12 is milliseconds. 0, "0" and "" mean absent.
 */
export function optionalEpochMs(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  let ms: number;
  if (typeof value === "number") {
    ms = epochToMs(value, field);
  } else if (typeof value === "string") {
    const text = value.trim();
    if (text === "") return null;
    if (/^\d+(\.\d+)?$/.test(text)) ms = epochToMs(Number(text), field);
    else if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) {
      ms = Date.parse(text);
    } else {
      throw new PayloadError(field, `${field} must be a Unix time in seconds or milliseconds`);
    }
  } else {
    throw new PayloadError(field, `${field} must be a Unix time in seconds or milliseconds`);
  }
  return ms === 0 ? null : ms;
}

function epochToMs(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new PayloadError(field, `${field} must be a non-negative Unix time`);
  }
  const ms = Math.round(value >= MILLISECONDS_THRESHOLD ? value : value * 1000);
  if (ms > MAX_EPOCH_MS) throw new PayloadError(field, `${field} is out of range`);
  return ms;
}

/** A boolean: true/false, "true"/"false" (any case), 1/0, "1"/"0". "" means absent. */
export function optionalBoolean(value: unknown, field: string): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === "string") {
    const text = value.trim().toLowerCase();
    if (text === "") return null;
    if (text === "true" || text === "1") return true;
    if (text === "false" || text === "0") return false;
  }
  throw new PayloadError(field, `${field} must be true or false`);
}

/** Labels: a comma-separated string ("sales, vip"), a JSON array in a string, or an array. */
export function labelList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  let items: unknown[];
  if (Array.isArray(value)) {
    items = value;
  } else if (typeof value === "string") {
    const parsed = value.trim().startsWith("[") ? tryParseJson(value) : undefined;
    items = Array.isArray(parsed) ? parsed : value.split(",");
  } else {
    throw new PayloadError(field, `${field} must be a comma-separated string or an array`);
  }
  return items
    .map((item, index) => {
      if (typeof item === "string") return item.trim();
      if (typeof item === "number" && Number.isFinite(item)) return String(item);
      throw new PayloadError(`${field}[${index}]`, `${field}[${index}] must be a string`);
    })
    .filter((label) => label !== "");
}

/** An object, or a JSON object encoded in a string. "" means absent. */
export function optionalObject(value: unknown, field: string): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (isPlainObject(value)) return value;
  if (typeof value === "string") {
    if (value.trim() === "") return null;
    const parsed = tryParseJson(value);
    if (isPlainObject(parsed)) return parsed;
  }
  throw new PayloadError(field, `${field} must be an object`);
}

/**
 * The contact's phone number as digits only (no "+"). Strings may carry a leading "+" and
 * spaces, dashes, dots or parentheses. A JSON number beyond 2^53 has lost digits in JSON.parse,
 * so its exact digits are recovered from the raw body text by `recoverInteger`. A valid number
 * comes out canonical (E.164, phone.ts: "+44 (0) 20…" and "0044 20…" are "4420…"), so the message
 * key, the queue's group and the contact are the same for every way of writing it; one that is not
 * valid keeps its digits (the responder acknowledges it without a reply).
 */
export function requiredPhone(
  value: unknown,
  field: string,
  recoverInteger: (lossy: number) => string | null,
): string {
  if (value === undefined || value === null || value === "") {
    throw new PayloadError(field, `${field} is required`);
  }
  let digits: string | null = null;
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value > 0) digits = String(value);
    else if (Number.isInteger(value) && value > 0) digits = recoverInteger(value);
  } else if (typeof value === "string") {
    const compact = value.trim().replace(/[\s\-().]/g, "");
    if (/^\+?\d+$/.test(compact)) digits = compact.replace(/^\+/, "");
  } else {
    throw new PayloadError(field, `${field} must be a string or a number`);
  }
  if (digits === null || !/^\d+$/.test(digits)) {
    throw new PayloadError(field, `${field} must be digits with an optional leading "+"`);
  }
  if (digits.length < PHONE_MIN_DIGITS || digits.length > PHONE_MAX_DIGITS) {
    throw new PayloadError(
      field,
      `${field} must have ${PHONE_MIN_DIGITS} to ${PHONE_MAX_DIGITS} digits, got ${digits.length}`,
    );
  }
  return canonicalPhone(digits)?.digits ?? digits;
}

/** JSON.parse that answers undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
