import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ContactState,
  defaultOptOut,
  isNewerMessage,
  messageKey,
  messageRole,
  noPlanReason,
  optOutIntent,
  replyVerdict,
} from "../../../lambdas/core/conversation.js";
import { aWebhook } from "../../support/replyFixtures.js";

describe("messageKey", () => {
  it("is the same for a redelivery whose snapshot fields changed", () => {
    const first = aWebhook();
    const redelivery = aWebhook({
      lastMessageOfBot: "our reply",
      botLastMessageTimeMs: Date.parse("2026-11-20T10:00:05Z"),
      lastMessages: [],
      labels: ["vip"],
    });
    expect(messageKey(redelivery)).toBe(messageKey(first));
  });

  it("differs for another message of the same contact", () => {
    expect(messageKey(aWebhook({ lastMessageOfUser: "again" }))).not.toBe(messageKey(aWebhook()));
  });
});

describe("messageRole", () => {
  it("is a person at the business only when was_message_by_human is strictly true", () => {
    expect(messageRole(aWebhook({ incomingMessage: false, wasMessageByHuman: true }))).toBe(
      "human",
    );
    expect(messageRole(aWebhook({ incomingMessage: false, wasMessageByHuman: null }))).toBe(
      "business",
    );
    expect(messageRole(aWebhook({ incomingMessage: null, wasMessageByHuman: true }))).toBe(
      "customer",
    );
  });
});

describe("optOutIntent", () => {
  const words = defaultOptOut(["es"]);

  it.each(["STOP", "stop", " Stop! ", "unsubscribe", "Opt-out", "parar", "BAJA"])(
    "reads %j as a stop word",
    (text) => {
      expect(optOutIntent(text, words)).toBe("stop");
    },
  );

  it.each(["START", "alta", "Resume."])("reads %j as a start word", (text) => {
    expect(optOutIntent(text, words)).toBe("start");
  });

  it.each(["please stop the delivery", "cancel", "", "stopp"])("reads %j as neither", (text) => {
    expect(optOutIntent(text, defaultOptOut(["en"]))).toBeNull();
  });

  it("confirms in the first declared language", () => {
    expect(defaultOptOut(["es", "en"]).confirmation).toMatch(/ALTA/);
  });
});

describe("isNewerMessage", () => {
  const newest = (at: number, acceptedAt: number | undefined, key: string) => ({
    lastInboundAt: at,
    lastInboundAcceptedAt: acceptedAt,
    lastInboundKey: key,
  });

  it("makes a contact's first message the newest", () => {
    expect(isNewerMessage(undefined, { at: 5, acceptedAt: 5, key: "k" })).toBe(true);
  });

  it("goes by the vendor's time of the message, not by when it arrived", () => {
    const contact = newest(2000, 9000, "b");
    expect(isNewerMessage(contact, { at: 1000, acceptedAt: 10_000, key: "z" })).toBe(false);
    expect(isNewerMessage(contact, { at: 3000, acceptedAt: 1, key: "a" })).toBe(true);
  });

  it("orders two messages of one vendor second by acceptance, not by key", () => {
    const contact = newest(1000, 1200, "zz");
    expect(isNewerMessage(contact, { at: 1000, acceptedAt: 1500, key: "aa" })).toBe(true);
    expect(isNewerMessage(contact, { at: 1000, acceptedAt: 1100, key: "zz+" })).toBe(false);
  });

  it("falls back to the key for a contact claimed before acceptance times were kept", () => {
    const contact = newest(1000, undefined, "m");
    expect(isNewerMessage(contact, { at: 1000, acceptedAt: 1, key: "n" })).toBe(true);
    expect(isNewerMessage(contact, { at: 1000, acceptedAt: 9, key: "l" })).toBe(false);
  });

  it("orders any two distinct messages one way: exactly one is newer than the other", () => {
    const message = fc.record({
      at: fc.integer({ min: 0, max: 3 }),
      acceptedAt: fc.integer({ min: 0, max: 3 }),
      key: fc.string({ maxLength: 2 }),
    });
    fc.assert(
      fc.property(message, message, (a, b) => {
        fc.pre(a.key !== b.key);
        const asContact = (m: typeof a) => newest(m.at, m.acceptedAt, m.key);
        expect(isNewerMessage(asContact(a), b)).toBe(!isNewerMessage(asContact(b), a));
      }),
    );
  });
});

describe("noPlanReason", () => {
  const contact = (state: Partial<ContactState>): ContactState => ({
    pk: "PHONE#1",
    sk: "CONTACT",
    phone: "1",
    updatedAt: 0,
    ...state,
  });

  it("answers an opted-out contact only for a start (or a first stop) word", () => {
    expect(noPlanReason(contact({ optedOut: true }), 0, null)).toBe("opted_out");
    expect(noPlanReason(contact({ optedOut: true }), 0, "start")).toBeUndefined();
  });

  it("answers nothing written during a pause", () => {
    expect(noPlanReason(contact({ pausedUntil: 100 }), 99, null)).toBe("paused");
    expect(noPlanReason(contact({ pausedUntil: 100 }), 100, null)).toBeUndefined();
  });
});

describe("replyVerdict", () => {
  const base: ContactState = { pk: "p", sk: "CONTACT", phone: "1", updatedAt: 0, planId: "p1" };

  it("never sends a reply of a superseded non-keep plan, and always one of the contact's plan (property)", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), (samePlan, keep) => {
        const verdict = replyVerdict({ planId: samePlan ? "p1" : "p0", planAt: 0, keep }, base, 0);
        expect(verdict.send).toBe(samePlan || keep);
      }),
    );
  });

  it("sends the one opt-out confirmation even after the customer wrote again", () => {
    const contact = { ...base, planId: "p_after", optedOut: true, optOutPlanId: "p_stop" };
    expect(replyVerdict({ planId: "p_stop", planAt: 10 }, contact, 20)).toEqual({ send: true });
  });

  it("keeps plans up to a stop word cancelled after a start word", () => {
    const contact = { ...base, optedOut: false, optedOutAt: 50 };
    expect(replyVerdict({ planId: "p1", planAt: 40 }, contact, 100)).toEqual({
      send: false,
      reason: "opt-out",
    });
    expect(replyVerdict({ planId: "p1", planAt: 60 }, contact, 100)).toEqual({ send: true });
  });

  it("sends a reply queued before the contact model (no planAt) unless the contact says otherwise", () => {
    expect(replyVerdict({ planId: "p1" }, base, 0)).toEqual({ send: true });
    expect(replyVerdict({ planId: "p1" }, undefined, 0)).toEqual({ send: true });
  });
});
