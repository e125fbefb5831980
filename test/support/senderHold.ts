import type { SQSBatchResponse } from "aws-lambda";
import { parseScheduledReply, type ScheduledReply } from "../../lambdas/core/messages.js";
import type { QueueHandler } from "../../local/stack.js";

/**
 * A per-contact hold in front of the sender, so a test decides when a contact's replies reach it
 * rather than racing their due times against the rest of the pipeline: a follow-up due in 4 s
 * must not be judged before the newer message (takeover, stop word) the test sends next is
 * recorded, however slow a loaded machine makes that. Other contacts' replies go straight
 * through, so tests running side by side on one stack are not held up.
 *
 * A held reply is taken off the queue and kept here; release() puts it back, as a fresh message
 * (the sender's own hops do the same), so holding costs it none of its receive attempts.
 */
export interface SenderHold {
  /** The sender's handler behind the hold: start the sender worker with it. */
  handler: QueueHandler;
  /** From now on, replies of `phone` that `which` picks (default: all) wait for release(). */
  hold(phone: string, which?: (reply: ScheduledReply) => boolean): void;
  /** The replies of `phone` waiting now, in the order they reached the sender. */
  held(phone: string): ScheduledReply[];
  /** Stops holding `phone` and puts its waiting replies back on the queue. */
  release(phone: string): Promise<void>;
  /**
   * Replies of `phone` the sender has acknowledged so far: sent, cancelled, found done already,
   * or (not yet due) put back for later.
   */
  finished(phone: string): number;
}

/** `requeue` puts a held body back on the replies queue. */
export function senderHold(
  sender: QueueHandler,
  requeue: (body: string) => Promise<void>,
): SenderHold {
  const holds = new Map<string, (reply: ScheduledReply) => boolean>();
  const waiting = new Map<string, { reply: ScheduledReply; body: string }[]>();
  const acknowledged = new Map<string, number>();
  const replyOf = (body: string): ScheduledReply | undefined => {
    try {
      return parseScheduledReply(body);
    } catch {
      return undefined; // not a reply: the sender's to refuse
    }
  };

  const handler: QueueHandler = async (event, context) => {
    const passed: typeof event.Records = [];
    for (const record of event.Records) {
      const reply = replyOf(record.body);
      const which = reply && holds.get(reply.phone);
      if (reply && which?.(reply)) {
        const list = waiting.get(reply.phone) ?? [];
        list.push({ reply, body: record.body });
        waiting.set(reply.phone, list);
      } else {
        passed.push(record);
      }
    }
    if (passed.length === 0) return { batchItemFailures: [] };
    const response: SQSBatchResponse = await sender({ ...event, Records: passed }, context);
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const record of passed) {
      const phone = replyOf(record.body)?.phone;
      if (phone === undefined || failed.has(record.messageId)) continue;
      acknowledged.set(phone, (acknowledged.get(phone) ?? 0) + 1);
    }
    return response;
  };

  return {
    handler,
    hold: (phone, which = () => true) => {
      holds.set(phone, which);
    },
    held: (phone) => (waiting.get(phone) ?? []).map((w) => w.reply),
    release: async (phone) => {
      holds.delete(phone);
      const list = waiting.get(phone) ?? [];
      waiting.delete(phone);
      for (const { body } of list) await requeue(body);
    },
    finished: (phone) => acknowledged.get(phone) ?? 0,
  };
}
