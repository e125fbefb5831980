import type { ContactView } from "../../lambdas/core/conversationLog.js";
import type { CommandContext } from "../command.js";
import { clip, conversationStores, isUnsent, type ReplyRow, replyRows } from "../contacts.js";
import { formatRelative } from "../duration.js";
import { renderTable } from "../format.js";

/**
 * What cancel and pause share: both set the contact's cancel watermark (ContactStore.cancelPending
 * / pause: `cancelBefore`), which the sender checks right before it claims a reply
 * (core/conversation.ts replyVerdict), so the replies already on the queue are skipped when due.
 */

export interface Steering {
  stores: ReturnType<typeof conversationStores>;
  view: ContactView;
  /** Unsent replies before the change. */
  unsent: ReplyRow[];
  /**
   * The watermark to set: now, or later when a plan's message time (the vendor's clock) is ahead
   * of this machine's, so that every plan stored so far is covered.
   */
  cutoff: number;
}

export async function steeringOf(context: CommandContext, phone: string): Promise<Steering> {
  const stores = conversationStores(context);
  const view = await stores.reader.conversation(phone);
  const at = context.now();
  const cutoff = Math.max(at, view.contact?.lastInboundAt ?? 0, ...view.plans.map((p) => p.planAt));
  return { stores, view, unsent: replyRows(view, at).filter(isUnsent), cutoff };
}

/** Reads the contact back and sorts the replies that were unsent into stopped and too late. */
export async function outcomeOf(context: CommandContext, phone: string, before: ReplyRow[]) {
  const after = replyRows(
    await conversationStores(context).reader.conversation(phone),
    context.now(),
  );
  const still = new Set(after.filter(isUnsent).map((r) => `${r.planId}#${r.seq}`));
  const stopped = before.filter((r) => !still.has(`${r.planId}#${r.seq}`));
  const tooLate = before.filter((r) => still.has(`${r.planId}#${r.seq}`));
  return { stopped, tooLate };
}

export function repliesTable(rows: ReplyRow[], now: number): string {
  return renderTable({
    headers: ["DUE", "REPLY", "TEXT"],
    rows: rows.map((r) => [
      r.dueAt === null ? "" : formatRelative(r.dueAt, now),
      `${r.planId}#${r.seq + 1}`,
      clip(r.text),
    ]),
    empty: "none",
  });
}

export const replyJson = (r: ReplyRow) => ({
  planId: r.planId,
  seq: r.seq,
  dueAt: r.dueAt === null ? null : new Date(r.dueAt).toISOString(),
  text: r.text,
});

/** The line about replies a sender had already claimed: they cannot be called back. */
export function tooLateLine(tooLate: ReplyRow[]): string {
  return tooLate.length
    ? `\n${tooLate.length} repl${tooLate.length === 1 ? "y was" : "ies were"} being sent at that moment and could not be stopped (the vendor has no recall).`
    : "";
}
