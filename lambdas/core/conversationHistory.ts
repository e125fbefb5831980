import { isPlainObject, optionalEpochMs, optionalText, tryParseJson } from "./coerce.js";
import { PayloadError } from "./errors.js";
import type { ConversationEntry } from "./webhook.js";

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
