import { describe, expect, it } from "vitest";
import { contactView } from "../../lambdas/core/conversationLog.js";
import {
  contactStatus,
  describeReplyState,
  describeStatus,
  parsePhone,
  replyRows,
} from "../../ops/contacts.js";

/** The contact commands' reading of a partition: reply states as an operator names them. */

const PK = "PHONE#14155550177";
/** A customer message's MSG item with the plan it got. */
const plan = (planId: string, planAt: number, dues: number[], keep = false) => ({
  pk: PK,
  sk: `MSG#${new Date(planAt).toISOString()}#user#${planId}`,
  phone: "14155550177",
  role: "user",
  content: `message of ${planId}`,
  at: new Date(planAt).toISOString(),
  planId,
  plan: {
    keep,
    source: "policy",
    messages: dues.map((dueAt, seq) => ({ text: `${planId} ${seq}`, dueAt })),
  },
});
const reply = (planId: string, seq: number, fields: Record<string, unknown>) => ({
  pk: PK,
  sk: `REPLY#${planId}#${String(seq).padStart(3, "0")}`,
  planId,
  seq,
  attempts: 1,
  ...fields,
});

describe("replyRows", () => {
  it("names each reply item's status in the operator's words, with its reason", () => {
    const view = contactView([
      { pk: PK, sk: "CONTACT", planId: "p1" },
      plan("p1", 1000, [2000, 3000, 4000, 5000, 6000]),
      reply("p1", 0, { status: "SENT", sentAt: 2100 }),
      reply("p1", 1, { status: "GAVE_UP", reason: "vendor answered 500" }),
      reply("p1", 2, { status: "CANCELLED", cancelReason: "human" }),
      reply("p1", 3, { status: "UNKNOWN" }),
      reply("p1", 4, { status: "RETRY", reason: "timeout" }),
    ]);
    expect(replyRows(view, 10_000).map((r) => [r.state, describeReplyState(r)])).toEqual([
      ["sent", "sent"],
      ["failed", "failed: vendor answered 500"],
      ["cancelled", "cancelled (human)"],
      ["unknown", "unknown"],
      ["scheduled", "scheduled: retrying after: timeout"],
    ]);
  });

  it("shows a reply the contact's state already cancels as cancelled when due, before the sender records it", () => {
    const view = contactView([
      { pk: PK, sk: "CONTACT", planId: "p2", cancelBefore: 1500, cancelReason: "operator" },
      plan("p1", 1000, [9000]),
      plan("p2", 2000, [9000]),
    ]);
    const rows = replyRows(view, 5000);
    expect(rows.map((r) => [r.planId, r.state, r.recorded, describeReplyState(r)])).toEqual([
      ["p1", "cancelled", false, "cancelled (operator) when due"],
      ["p2", "scheduled", false, "scheduled"],
    ]);
  });

  it("keeps a reply whose plan has expired, from its own item", () => {
    const view = contactView([
      reply("gone", 0, { status: "SENT", content: "hello", dueAt: 1000, sentAt: 1200 }),
    ]);
    expect(replyRows(view, 5000)).toEqual([
      expect.objectContaining({ planId: "gone", text: "hello", state: "sent", dueAt: 1000 }),
    ]);
  });
});

describe("contact status", () => {
  it("says who paused a contact and until when, and an opt-out first", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    const status = contactStatus(
      {
        pk: PK,
        sk: "CONTACT",
        phone: "14155550177",
        pausedUntil: now + 3_600_000,
        pauseReason: "operator",
        optedOut: true,
        optedOutAt: now - 60_000,
        updatedAt: now,
      },
      now,
    );
    expect(status.automation).toBe("opted-out");
    expect(describeStatus(status, now)).toBe(
      "opted out 1m ago (a stop word): no automated replies; paused until 2026-11-30T13:00:00.000Z (in 1h; an operator paused it)",
    );
  });

  it("treats a pause that has run out as automation on", () => {
    const status = contactStatus(
      { pk: PK, sk: "CONTACT", phone: "1", pausedUntil: 1000, updatedAt: 0 },
      2000,
    );
    expect(describeStatus(status, 2000)).toBe("automation on");
  });
});

describe("parsePhone", () => {
  it("takes a number as people write it and keys it as the table does", () => {
    expect(parsePhone("cancel", "+1 (415) 555-0177", true)).toBe("14155550177");
  });

  it.each(["+44 (0) 20 7946 0958", "0044 20 7946 0958", "+44 20 7946 0958"])(
    "finds the contact the pipeline keeps for %j (the canonical number)",
    (typed) => {
      expect(parsePhone("pause", typed, true)).toBe("442079460958");
      expect(parsePhone("conversation", typed, false)).toBe("442079460958");
    },
  );
});
