import { DynamoContactStore } from "../lambdas/adapters/DynamoContactStore.js";
import { type ContactState, replyVerdict } from "../lambdas/core/conversation.js";
import type { ContactView } from "../lambdas/core/conversationLog.js";
import { canonicalPhone, PHONE_PROBLEM } from "../lambdas/core/phone.js";
import type { ReplyItem, ReplyStatus } from "../lambdas/core/replyItem.js";
import type { CommandContext } from "./command.js";
import { DynamoConversationReader } from "./conversationReader.js";
import { formatRelative } from "./duration.js";
import { UsageError } from "./errors.js";
import { REQUIRED_OUTPUTS, requireOutputs } from "./outputs.js";

/**
 * What the contact commands (conversation, pending, cancel, pause, resume) share: the phone
 * argument, the conversation table's own adapters (lambdas/adapters: the reader for reads, the
 * ContactStore's operator methods for writes; no table model of its own here), and one contact's
 * replies in the operator's words.
 */

/** The commands' names for a reply's state (a REPLY item's status, or none yet). */
type ReplyState = "scheduled" | "sending" | "sent" | "failed" | "cancelled" | "unknown";

export interface ReplyRow {
  planId: string;
  seq: number;
  text: string;
  state: ReplyState;
  /** Why it was cancelled or failed; a retry's last failure. */
  reason: string | null;
  /**
   * false when the state is what the sender WILL record when the reply is due (no REPLY item yet:
   * the contact's state already cancels it, or it is still scheduled).
   */
  recorded: boolean;
  /** Epoch ms. */
  dueAt: number | null;
  sentAt: number | null;
  attempts: number;
}

/**
 * The phone argument as the table keys it: the canonical number the pipeline keys the contact by
 * (lambdas/core/phone.ts: "+44 (0) 20 7946 0958" and "0044 20 7946 0958" → "442079460958").
 * Without `validate`, a number that is not valid is taken as typed, digits only, to read what a
 * contact of that number holds.
 */
export function parsePhone(command: string, raw: string | undefined, validate: boolean): string {
  if (raw === undefined) throw new UsageError(`${command}: which contact? give a phone number`);
  const digits = raw.replace(/[\s\-().]/g, "").replace(/^\+/, "");
  if (!/^\d{4,15}$/.test(digits)) {
    throw new UsageError(
      `${command}: "${raw}" is not a phone number (international format: country code and number, e.g. +14155550177)`,
    );
  }
  const canonical = canonicalPhone(digits);
  if (canonical) return canonical.digits;
  if (validate) throw new UsageError(`${command}: "${raw}" is ${PHONE_PROBLEM}`);
  return digits;
}

/** The one <phone> argument of a contact command. @throws UsageError */
export function phoneArg(command: string, positionals: string[], validate: boolean): string {
  if (positionals.length > 1) {
    throw new UsageError(`${command}: one contact at a time, got ${positionals.join(" ")}`);
  }
  return parsePhone(command, positionals[0], validate);
}

export const showPhone = (digits: string) => `+${digits}`;

/** The table's adapters, on the target's conversation table. */
export function conversationStores({ target, clients }: CommandContext) {
  const { tableNames } = requireOutputs(
    target.outputs,
    REQUIRED_OUTPUTS.conversation,
    target.source,
  );
  return {
    reader: new DynamoConversationReader(clients.dynamo, tableNames.conversation),
    contacts: new DynamoContactStore(clients.dynamo, tableNames.conversation),
  };
}

/** Every reply item status as the operator reads it: a new status does not compile without one. */
const STATE_OF: Record<ReplyStatus, ReplyState> = {
  SENDING: "sending",
  SENT: "sent",
  FAILED: "failed",
  GAVE_UP: "failed",
  CANCELLED: "cancelled",
  UNKNOWN: "unknown",
  RETRY: "scheduled",
};

function rowOf(item: ReplyItem): Omit<ReplyRow, "text" | "dueAt"> {
  const state = STATE_OF[item.status] ?? "unknown";
  return {
    planId: item.planId,
    seq: item.seq,
    state,
    reason:
      state === "cancelled"
        ? (item.cancelReason ?? null)
        : item.status === "RETRY"
          ? `retrying after: ${item.reason ?? "a failed attempt"}`
          : state === "unknown"
            ? "a sender stopped during the vendor call: not resent (at most once)"
            : (item.reason ?? null),
    recorded: true,
    sentAt: item.sentAt ?? null,
    attempts: item.attempts ?? 0,
  };
}

/**
 * Every reply of a contact: each message of its stored plans with its REPLY item's state, or,
 * before the sender reached it, what the contact's state means for it now (core replyVerdict:
 * the same decision the sender makes when it is due).
 */
export function replyRows(view: ContactView, now: number): ReplyRow[] {
  const items = new Map(view.replies.map((r) => [`${r.planId}#${r.seq}`, r]));
  const rows: ReplyRow[] = [];
  for (const plan of view.plans) {
    for (const message of plan.messages) {
      const key = `${plan.planId}#${message.seq}`;
      const item = items.get(key);
      items.delete(key);
      if (item) {
        rows.push({ ...rowOf(item), text: message.text, dueAt: message.dueAt });
        continue;
      }
      const verdict = replyVerdict(
        { planId: plan.planId, planAt: plan.planAt, keep: plan.keep },
        view.contact,
        now,
      );
      rows.push({
        planId: plan.planId,
        seq: message.seq,
        text: message.text,
        state: verdict.send ? "scheduled" : "cancelled",
        reason: verdict.send ? null : verdict.reason,
        recorded: false,
        dueAt: message.dueAt,
        sentAt: null,
        attempts: 0,
      });
    }
  }
  // Reply items whose plan is gone (its TTL ran out first): still part of the conversation.
  for (const item of items.values()) {
    rows.push({ ...rowOf(item), text: item.content ?? "", dueAt: item.dueAt ?? null });
  }
  return rows;
}

/** Replies not yet sent that may still go out: scheduled (or retrying) and sending. */
export const isUnsent = (row: ReplyRow) => row.state === "scheduled" || row.state === "sending";

/** The contact's automation state, for text and JSON. */
export interface ContactStatus {
  automation: "on" | "paused" | "opted-out";
  pausedUntil: number | null;
  pauseReason: string | null;
  optedOut: boolean;
  optedOutAt: number | null;
}

export function contactStatus(contact: ContactState | undefined, now: number): ContactStatus {
  const paused = contact?.pausedUntil !== undefined && contact.pausedUntil > now;
  const optedOut = contact?.optedOut === true;
  return {
    automation: optedOut ? "opted-out" : paused ? "paused" : "on",
    pausedUntil: paused ? (contact?.pausedUntil ?? null) : null,
    pauseReason: paused ? (contact?.pauseReason ?? "human") : null,
    optedOut,
    optedOutAt: optedOut ? (contact?.optedOutAt ?? null) : null,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The contact's state for --json: ISO times, like every other time the CLI prints. */
export function statusJson(status: ContactStatus) {
  return { ...status, pausedUntil: iso(status.pausedUntil), optedOutAt: iso(status.optedOutAt) };
}

const PAUSE_BY: Record<string, string> = {
  human: "a person at the business wrote",
  operator: "an operator paused it",
};

/** One line: "on", "paused until 2026-… (in 3h, an operator paused it)", "opted out 2d ago …". */
export function describeStatus(status: ContactStatus, now: number): string {
  const parts: string[] = [];
  if (status.optedOut) {
    parts.push(
      `opted out${status.optedOutAt === null ? "" : ` ${formatRelative(status.optedOutAt, now)}`} (a stop word): no automated replies`,
    );
  }
  if (status.pausedUntil !== null) {
    parts.push(
      `paused until ${new Date(status.pausedUntil).toISOString()} (${formatRelative(status.pausedUntil, now)}; ${PAUSE_BY[status.pauseReason ?? ""] ?? status.pauseReason})`,
    );
  }
  return parts.length ? parts.join("; ") : "automation on";
}

/** "cancelled (operator)", "failed: vendor answered 500", "scheduled". */
export function describeReplyState(row: ReplyRow): string {
  if (row.state === "cancelled") {
    return `cancelled (${row.reason ?? "?"})${row.recorded ? "" : " when due"}`;
  }
  if (row.reason && row.state !== "unknown") return `${row.state}: ${row.reason}`;
  return row.state;
}

/** Cuts a text for a table cell (JSON keeps it whole). */
export function clip(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
