import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assessReplyItem } from "../../../lambdas/core/deliverReply.js";
import {
  applyWrite,
  attachmentContentType,
  CLAIMABLE_STATUSES,
  isFinished,
  NO_ITEM,
  REPLY_STATUSES,
  REPLY_TRANSITIONS,
  type ReplyItem,
  type ReplyStatus,
  replySk,
  writeApplies,
} from "../../../lambdas/core/replyItem.js";
import { aReplyItem, aReplyWrite, replyKey } from "../../support/replyItems.js";

const ref = { phone: "14155552671", planId: "p", seq: 0 };
const key = replyKey(ref);
const anItem = aReplyItem(ref);
const aWrite = aReplyWrite(ref);
const STATUSES = Object.keys(REPLY_STATUSES) as ReplyStatus[];

describe("reply item statuses and transitions (the protocol's table)", () => {
  it("derives the claimable statuses from the claim's transition: RETRY and GAVE_UP", () => {
    expect(CLAIMABLE_STATUSES).toEqual(["RETRY", "GAVE_UP"]);
  });

  it("leaves a finished reply only by a redrive of GAVE_UP or a late success after UNKNOWN", () => {
    const leaving = (status: ReplyStatus) =>
      Object.entries(REPLY_TRANSITIONS)
        .filter(([, t]) => (t.from as readonly string[]).includes(status))
        .map(([name]) => name);
    const finished = STATUSES.filter((s) => REPLY_STATUSES[s].finished);
    expect(Object.fromEntries(finished.map((s) => [s, leaving(s)]))).toEqual({
      SENT: [],
      FAILED: [],
      UNKNOWN: ["markSent"],
      GAVE_UP: ["claim", "cancel"],
      CANCELLED: [],
    });
  });

  it("names only statuses it knows in every transition", () => {
    for (const t of Object.values(REPLY_TRANSITIONS)) {
      for (const s of [...t.from, ...t.to]) expect([NO_ITEM, ...STATUSES]).toContain(s);
    }
  });
});

describe("reply item writes against the sender's reading of an item (properties)", () => {
  it("lets a claim or a cancel apply exactly when the sender sees the reply claimable", () => {
    fc.assert(
      fc.property(anItem, aWrite, (item, write) => {
        fc.pre(write.transition === "claim" || write.transition === "cancel");
        const claimable = assessReplyItem(item, write.now ?? 0).kind === "claimable";
        expect(writeApplies(write, item)).toBe(claimable);
      }),
      { numRuns: 500 },
    );
  });

  it("marks UNKNOWN exactly what the sender sees as abandoned, and only by the claim's owner", () => {
    fc.assert(
      fc.property(anItem, aWrite, (item, write) => {
        fc.pre(write.transition === "markUnknown");
        const assessed = assessReplyItem(item, write.now ?? 0);
        const abandoned = assessed.kind === "abandoned" && item?.leaseUntil !== undefined;
        expect(writeApplies(write, item)).toBe(abandoned && item?.owner === write.owner);
      }),
      { numRuns: 500 },
    );
  });

  it("lets only the claim's owner finish or mark SENT, never another worker", () => {
    fc.assert(
      fc.property(anItem, aWrite, (item, write) => {
        fc.pre(write.transition === "finish" || write.transition === "markSent");
        if (writeApplies(write, item)) expect(item?.owner).toBe(write.owner);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps every reply sent at most once, whatever writes workers race with", () => {
    fc.assert(
      fc.property(fc.array(aWrite, { maxLength: 30 }), (writes) => {
        let item: ReplyItem | undefined;
        let claims = 0;
        for (const write of writes) {
          const before = item;
          const after = applyWrite(key, before, write);
          if (!after) continue;
          const transition = REPLY_TRANSITIONS[write.transition];
          // Each applied write is an edge of the table.
          expect(transition.from as readonly string[]).toContain(before?.status ?? NO_ITEM);
          expect(transition.to as readonly string[]).toContain(after.status);
          // A sent reply never changes again; a live claim is never taken over.
          expect(before?.status).not.toBe("SENT");
          if (write.transition === "claim") {
            expect(before?.status).not.toBe("SENDING");
            claims += 1;
          }
          // Only a SENDING item holds a lease.
          expect(after.leaseUntil !== undefined).toBe(after.status === "SENDING");
          item = after;
        }
        expect(item?.attempts ?? 0).toBe(claims);
      }),
      { numRuns: 500 },
    );
  });
});

describe("replySk", () => {
  it("is REPLY#<planId>#<seq>, seq zero-padded so a plan's replies sort in order", () => {
    expect(replySk("plan_ab", 2)).toBe("REPLY#plan_ab#002");
  });
});

describe("isFinished", () => {
  const item = (status: ReplyStatus) => ({ status });
  it.each(["SENT", "FAILED", "UNKNOWN", "GAVE_UP", "CANCELLED"] as const)(
    "lets the successor go after %s",
    (status) => {
      expect(isFinished(item(status))).toBe(true);
    },
  );

  it.each(["SENDING", "RETRY"] as const)("holds the successor back while %s", (status) => {
    expect(isFinished(item(status))).toBe(false);
  });

  it("holds the successor back before the reply was tried", () => {
    expect(isFinished(undefined)).toBe(false);
  });
});

describe("attachmentContentType", () => {
  it.each([
    ["https://x.test/a.JPG", "image"],
    ["https://x.test/v.mp4?sig=1", "video"],
    ["https://x.test/s.ogg", "audio"],
    ["https://x.test/doc", "document"],
  ])("classifies %s as %s", (url, type) => {
    expect(attachmentContentType(url)).toBe(type);
  });
});
