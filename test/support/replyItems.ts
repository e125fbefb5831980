import fc from "fast-check";
import { contactPk } from "../../lambdas/core/conversation.js";
import type { ReplyRef } from "../../lambdas/core/ports.js";
import {
  REPLY_STATUSES,
  REPLY_TRANSITIONS,
  type ReplyItem,
  type ReplyStatus,
  type ReplyTransitionName,
  type ReplyWrite,
  replySk,
  replyWrites,
} from "../../lambdas/core/replyItem.js";
import { aReply } from "./replyFixtures.js";

/**
 * Generated reply items and writes (core/replyItem.ts) for one reply: what the protocol's
 * properties run on, in memory (test/lambdas/core/replyItem.test.ts) and on DynamoDB Local
 * (test/lambdas/adapters/DynamoReplyStore.test.ts).
 */

const STATUSES = Object.keys(REPLY_STATUSES) as ReplyStatus[];
/** Few owners and times, so that equal ones (the edges of each condition) come up often. */
const OWNERS = ["a", "b"] as const;
const TIME = { min: 0, max: 4 };

/** The table key of a reply's item. */
export const replyKey = (ref: ReplyRef) => ({
  pk: contactPk(ref.phone),
  sk: replySk(ref.planId, ref.seq),
});

/** Any item a reply can have (or none): every status, owner and lease, including odd ones. */
export function aReplyItem(ref: ReplyRef): fc.Arbitrary<ReplyItem | undefined> {
  return fc.option(
    fc
      .record(
        {
          status: fc.constantFrom(...STATUSES),
          owner: fc.constantFrom(...OWNERS),
          leaseUntil: fc.integer(TIME),
          attempts: fc.integer({ min: 1, max: 5 }),
          reason: fc.constant("HTTP 500"),
        },
        { requiredKeys: ["status"] },
      )
      .map((fields) => ({ ...replyKey(ref), ...ref, updatedAt: 0, expiresAt: 0, ...fields })),
    { nil: undefined },
  );
}

/** Any write a worker may make on the reply: each transition, by any owner, at any time. */
export function aReplyWrite(ref: ReplyRef): fc.Arbitrary<ReplyWrite> {
  const reply = aReply({ ...ref });
  return fc
    .record({
      transition: fc.constantFrom(...(Object.keys(REPLY_TRANSITIONS) as ReplyTransitionName[])),
      owner: fc.constantFrom(...OWNERS),
      now: fc.integer(TIME),
      finishAs: fc.constantFrom("FAILED", "RETRY", "GAVE_UP") as fc.Arbitrary<
        "FAILED" | "RETRY" | "GAVE_UP"
      >,
    })
    .map(({ transition, owner, now, finishAs }) => {
      const writeOf: Record<ReplyTransitionName, () => ReplyWrite> = {
        claim: () => replyWrites.claim({ ...ref, owner, now, leaseMs: 5, ttlSeconds: 60, reply }),
        markSent: () => replyWrites.markSent({ ...ref, owner, sentAt: now }),
        finish: () => replyWrites.finish({ ...ref, owner, now, status: finishAs, reason: "r" }),
        markUnknown: () => replyWrites.markUnknown({ ...ref, owner, now }),
        cancel: () =>
          replyWrites.cancel({ ...ref, now, reason: "superseded", ttlSeconds: 60, reply }),
      };
      return writeOf[transition]();
    });
}

/**
 * Every item a reply can have next to every write, on the edges of the conditions: each status
 * (and no item) with the caller's owner, another's or none, and a lease before, at or after the
 * caller's time or none; each transition by the caller. 425 cases, each on a reply of its own
 * (`refOf(i)`), for a check on every one rather than a random few.
 */
export function boundaryCases(
  refOf: (i: number) => ReplyRef,
): { ref: ReplyRef; item: ReplyItem | undefined; write: ReplyWrite }[] {
  const now = 2;
  const owner = "a";
  const items: ((ref: ReplyRef) => ReplyItem | undefined)[] = [() => undefined];
  for (const status of STATUSES) {
    for (const itemOwner of [owner, "b", undefined]) {
      for (const leaseUntil of [now - 1, now, now + 1, undefined]) {
        items.push((ref) => ({
          ...replyKey(ref),
          ...ref,
          status,
          ...(itemOwner ? { owner: itemOwner } : {}),
          ...(leaseUntil !== undefined ? { leaseUntil } : {}),
          attempts: 1,
          reason: "HTTP 500",
          updatedAt: 0,
          expiresAt: 0,
        }));
      }
    }
  }
  const writes = (ref: ReplyRef): ReplyWrite[] => {
    const reply = aReply({ ...ref });
    return [
      replyWrites.claim({ ...ref, owner, now, leaseMs: 5, ttlSeconds: 60, reply }),
      replyWrites.markSent({ ...ref, owner, sentAt: now }),
      replyWrites.finish({ ...ref, owner, now, status: "RETRY", reason: "r" }),
      replyWrites.markUnknown({ ...ref, owner, now }),
      replyWrites.cancel({ ...ref, now, reason: "superseded", ttlSeconds: 60, reply }),
    ];
  };
  const cases: { ref: ReplyRef; item: ReplyItem | undefined; write: ReplyWrite }[] = [];
  for (const item of items) {
    for (let w = 0; w < Object.keys(REPLY_TRANSITIONS).length; w++) {
      const ref = refOf(cases.length);
      cases.push({ ref, item: item(ref), write: writes(ref)[w] as ReplyWrite });
    }
  }
  return cases;
}
