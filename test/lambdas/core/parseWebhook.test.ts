import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PayloadError } from "../../../lambdas/core/errors.js";
import {
  labelList,
  MAX_NESTING_DEPTH,
  optionalBoolean,
  optionalEpochMs,
  optionalObject,
  optionalText,
  parseConversationHistory,
  parseWebhook,
  recoverIntegerLiteral,
  requiredPhone,
} from "../../../lambdas/core/parseWebhook.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/vendor/${name}`, import.meta.url), "utf8");

const base = {
  phone_number: "14155552671",
  last_message_of_user: "hello",
};

function parse(payload: unknown) {
  return parseWebhook(JSON.stringify(payload));
}

function payloadError(run: () => unknown): PayloadError {
  try {
    run();
  } catch (error) {
    if (error instanceof PayloadError) return error;
    throw error;
  }
  throw new Error("expected a PayloadError");
}

describe("parseWebhook", () => {
  describe("vendor variants (docs/vendor.md, Payload variants)", () => {
    it("reads V0: last_messages as a JSON string, user_timestamp/bot_timestamp in seconds", () => {
      const webhook = parseWebhook(fixture("v0-incoming.json"));
      expect(webhook.phone).toBe("4915112345678");
      expect(webhook.userLastMessageTimeMs).toBe(1742766104000);
      expect(webhook.botLastMessageTimeMs).toBe(1742765402000);
      expect(webhook.lastMessages.map((m) => m.role)).toEqual(["bot", "user"]);
      expect(webhook.lastMessages[1]).toEqual({
        role: "user",
        content: "How do I reset my password?",
        timestamp: "2025-03-23T21:41:44.477Z",
        timestampMs: Date.parse("2025-03-23T21:41:44.477Z"),
        contentType: "text",
        mediaUrl: null,
      });
      expect(webhook.attachmentUrl).toBeNull();
      expect(webhook.labels).toEqual([]);
      expect(webhook.incomingMessage).toBeNull();
      expect(webhook.extra).toEqual({});
    });

    it("reads the V1 envelope: data.message, conversation_context and conversation_history", () => {
      const webhook = parseWebhook(fixture("v1-envelope.json"));
      expect(webhook.phone).toBe("14155550123");
      expect(webhook.userId).toBe("5b0c8a9e-1f2d-4e3c-8b7a-6d5e4f3a2b10");
      expect(webhook.lastMessageOfUser).toBe("Here is the receipt");
      expect(webhook.lastMessageOfBot).toBe("Could you send a photo of the receipt?");
      expect(webhook.messageType).toBe("image");
      expect(webhook.userLastMessageTimeMs).toBe(Date.parse("2025-05-20T10:15:29.000Z"));
      expect(webhook.botLastMessageTimeMs).toBe(Date.parse("2025-05-20T10:14:02.000Z"));
      expect(webhook.attachmentUrl).toBe("https://api.insightssystem.com/vault/abc/receipt.jpg");
      expect(webhook.incomingMessage).toBe(true);
      expect(webhook.lastMessages).toHaveLength(2);
      expect(webhook.extra.conversation_id).toBe("conv_8842");
      expect(webhook.extra.envelope).toEqual({
        event_type: "incoming_message",
        event_id: "evt_01HZX3K9Q2V7",
        timestamp: "2025-05-20T10:15:30.250Z",
        version: "2025-04-01",
      });
      expect(webhook.extra.media).toMatchObject({ mime_type: "image/jpeg", file_size: 48213 });
    });

    it("reads V1 with only data.message: its content is the user's message and time", () => {
      const webhook = parse({
        event_type: "incoming_message",
        data: {
          phone_number: "14155550123",
          message: { type: "text", content: "hi", timestamp: "2025-05-20T10:15:29.000Z" },
        },
      });
      expect(webhook.lastMessageOfUser).toBe("hi");
      expect(webhook.lastMessageOfBot).toBeNull();
      expect(webhook.userLastMessageTimeMs).toBe(Date.parse("2025-05-20T10:15:29.000Z"));
      expect(webhook.messageType).toBe("text");
    });

    it("reads V2 text: arrays, *_last_message_time, labels as a comma string", () => {
      const webhook = parseWebhook(fixture("v2-incoming-text.json"));
      expect(webhook.userLastMessageTimeMs).toBe(1749506891000);
      expect(webhook.botLastMessageTimeMs).toBe(1749504330000);
      expect(webhook.labels).toEqual(["sales", "premium-inquiry"]);
      expect(webhook.note).toBeNull();
      expect(webhook.lastMessages.map((m) => m.role)).toEqual(["bot", "user"]);
      expect(webhook.conversationParagraph).toContain("User (10:08:11 PM)");
      expect(webhook.recipientName).toBe("Sarah Example");
    });

    it("reads V2 media: empty caption kept as an empty user message, attachment and media_url", () => {
      const webhook = parseWebhook(fixture("v2-incoming-media.json"));
      expect(webhook.lastMessageOfUser).toBe("");
      expect(webhook.messageType).toBe("document");
      expect(webhook.attachmentUrl).toMatch(/contract_v2\.pdf$/);
      expect(webhook.lastMessages[1]?.mediaUrl).toBe(webhook.attachmentUrl);
      expect(webhook.note).toBe("VIP customer, prefers email follow-up");
    });

    it("reads V3 incoming with a Click-to-WhatsApp referral and a 0 bot time", () => {
      const webhook = parseWebhook(fixture("v3-incoming-ctwa.json"));
      expect(webhook.incomingMessage).toBe(true);
      expect(webhook.wasMessageByHuman).toBe(true);
      expect(webhook.sendBy).toBeNull();
      expect(webhook.botLastMessageTimeMs).toBeNull();
      expect(webhook.recipientName).toBeNull();
      expect(webhook.referral).toMatchObject({ source_type: "ad", headline: "Spring sale" });
    });

    it("reads V3 outgoing: numeric phone, last_messages as a string, mixed s/ms units", () => {
      const webhook = parseWebhook(fixture("v3-outgoing-phone-app.json"));
      expect(webhook.phone).toBe("14155552671");
      expect(webhook.incomingMessage).toBe(false);
      expect(webhook.sendBy).toBe("WhatsApp App");
      expect(webhook.userLastMessageTimeMs).toBe(1786809760000);
      expect(webhook.botLastMessageTimeMs).toBe(1786810805512);
      expect(webhook.lastMessages.map((m) => m.role)).toEqual(["user", "bot"]);
    });

    it("reads the Zapier sample: +phone, 13-digit string times, plain-text last_messages kept", () => {
      const webhook = parseWebhook(fixture("zapier-sample.json"));
      expect(webhook.phone).toBe("1234567890");
      expect(webhook.userLastMessageTimeMs).toBe(1234567890123);
      expect(webhook.botLastMessageTimeMs).toBe(1234567890000);
      expect(webhook.lastMessages).toEqual([]);
      expect(webhook.extra).toEqual({
        id: 1,
        createdAt: 1234567890123,
        last_messages: "User: Hello there, Bot: Hi! How can I help?",
      });
      expect(webhook.userId).toBe("user_123");
    });

    it("unwraps the generic {event, data} envelope around V0 fields", () => {
      const webhook = parseWebhook(fixture("generic-envelope.json"));
      expect(webhook.phone).toBe("33612345678");
      expect(webhook.userLastMessageTimeMs).toBe(1746345600000);
      expect(webhook.botLastMessageTimeMs).toBeNull();
      expect(webhook.incomingMessage).toBe(true);
      expect(webhook.extra).toEqual({ envelope: { event: "incoming_message" } });
    });

    it("accepts the raw bytes as well as the text", () => {
      const text = fixture("v2-incoming-text.json");
      expect(parseWebhook(new TextEncoder().encode(text))).toEqual(parseWebhook(text));
    });
  });

  describe("tolerance", () => {
    it("keeps every digit of a phone_number JSON number beyond 2^53", () => {
      const raw = `{"phone_number": 123456789012345678, "last_message_of_user": "hi"}`;
      expect(String(JSON.parse(raw).phone_number)).not.toBe("123456789012345678");
      expect(parseWebhook(raw).phone).toBe("123456789012345678");
    });

    it("keeps every digit of a big phone number inside an envelope", () => {
      const raw = `{"event":"incoming_message","data":{"phone_number":98765432109876543210,"last_message_of_user":"x"}}`;
      expect(parseWebhook(raw).phone).toBe("98765432109876543210");
    });

    it("strips a leading + and formatting from a phone string", () => {
      expect(parse({ ...base, phone_number: " +1 (415) 555-2671 " }).phone).toBe("14155552671");
    });

    it.each(["+44 (0) 20 7946 0958", "0044 20 7946 0958", "4402079460958"])(
      "reads %j as the one canonical number it validates as (the contact, the recipient)",
      (phone) => {
        expect(parse({ ...base, phone_number: phone }).phone).toBe("442079460958");
      },
    );

    it("reads times given as numeric strings, and tells seconds from milliseconds", () => {
      const webhook = parse({
        ...base,
        user_last_message_time: "1749506891",
        bot_last_message_time: "1749504330123",
      });
      expect(webhook.userLastMessageTimeMs).toBe(1749506891000);
      expect(webhook.botLastMessageTimeMs).toBe(1749504330123);
    });

    it("prefers the new time field name over the old one", () => {
      const webhook = parse({ ...base, user_last_message_time: 2000000000, user_timestamp: 1 });
      expect(webhook.userLastMessageTimeMs).toBe(2000000000000);
    });

    it("falls back to the old time field name when the new one is 0", () => {
      const webhook = parse({ ...base, user_last_message_time: 0, user_timestamp: 1749506891 });
      expect(webhook.userLastMessageTimeMs).toBe(1749506891000);
    });

    it("reads booleans given as strings or 0/1", () => {
      const webhook = parse({ ...base, incoming_message: "false", was_message_by_human: 1 });
      expect(webhook.incomingMessage).toBe(false);
      expect(webhook.wasMessageByHuman).toBe(true);
    });

    it("reads labels given as an array, and a referral given as a JSON string", () => {
      const webhook = parse({
        ...base,
        labels: [" a ", "b", ""],
        referral: '{"source_type":"ad"}',
      });
      expect(webhook.labels).toEqual(["a", "b"]);
      expect(webhook.referral).toEqual({ source_type: "ad" });
    });

    it("keeps unknown fields verbatim in extra, including nested values", () => {
      const webhook = parse({
        ...base,
        is_scheduled: true,
        scheduled_messages: "[]",
        x: { y: [1] },
      });
      expect(webhook.extra).toEqual({
        is_scheduled: true,
        scheduled_messages: "[]",
        x: { y: [1] },
      });
    });

    it("keeps a __proto__ field as data, not as a prototype", () => {
      const webhook = parseWebhook(
        `{"phone_number":"14155552671","last_messages":[],"__proto__":{"polluted":1}}`,
      );
      expect(Object.keys(webhook.extra)).toEqual(["__proto__"]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("accepts a body that starts with a UTF-8 byte-order mark", () => {
      expect(parseWebhook(`\uFEFF${JSON.stringify(base)}`).phone).toBe("14155552671");
    });

    it("treats an absent incoming_message as unknown and missing optional fields as null", () => {
      const webhook = parse(base);
      expect(webhook).toMatchObject({
        userId: null,
        incomingMessage: null,
        sendBy: null,
        wasMessageByHuman: null,
        referral: null,
        userLastMessageTimeMs: null,
        lastMessages: [],
        labels: [],
      });
    });

    it("accepts a delivery whose only message field is last_messages", () => {
      const webhook = parse({ phone_number: "14155552671", last_messages: "[]" });
      expect(webhook.lastMessageOfUser).toBeNull();
    });
  });

  describe("refusals name the field", () => {
    it.each([
      ["not JSON", "{nope", "body", "malformed_json"],
      ["an empty body", "", "body", "malformed_json"],
      ["a JSON array", "[1,2]", "body", "invalid_payload"],
      ["a JSON string", '"hi"', "body", "invalid_payload"],
    ])("refuses %s", (_name, raw, field, code) => {
      const error = payloadError(() => parseWebhook(raw));
      expect(error.field).toBe(field);
      expect(error.code).toBe(code);
    });

    it("refuses a body nested deeper than the limit, naming body", () => {
      let deep: unknown = "x";
      for (let i = 0; i < MAX_NESTING_DEPTH + 1; i++) deep = { n: deep };
      const error = payloadError(() => parse({ ...base, custom: deep }));
      expect(error.field).toBe("body");
      expect(error.code).toBe("invalid_payload");
    });

    it("keeps unknown fields nested up to the limit", () => {
      let deep: unknown = "x";
      for (let i = 0; i < MAX_NESTING_DEPTH - 2; i++) deep = [deep];
      expect(parse({ ...base, custom: deep }).extra.custom).toEqual(deep);
    });

    it("does not echo the body in the malformed-JSON message", () => {
      const error = payloadError(() => parseWebhook('{"phone_number":"14155552671",'));
      expect(error.message).not.toContain("1415");
    });

    it.each([
      ["missing", { last_message_of_user: "hi" }],
      ["empty", { phone_number: "", last_message_of_user: "hi" }],
      ["letters", { phone_number: "call me", last_message_of_user: "hi" }],
      ["a float", { phone_number: 1415555.5, last_message_of_user: "hi" }],
      ["negative", { phone_number: -14155552671, last_message_of_user: "hi" }],
      ["an object", { phone_number: { n: 1 }, last_message_of_user: "hi" }],
      ["too short", { phone_number: "123", last_message_of_user: "hi" }],
    ])("refuses a phone_number that is %s", (_name, payload) => {
      expect(payloadError(() => parse(payload)).field).toBe("phone_number");
    });

    it("names the enveloped field with its data. path", () => {
      const error = payloadError(() =>
        parse({ event: "incoming_message", data: { last_message_of_user: "hi" } }),
      );
      expect(error.field).toBe("data.phone_number");
    });

    it("refuses a delivery without any message field", () => {
      const error = payloadError(() => parse({ phone_number: "14155552671", user_id: "u" }));
      expect(error.field).toBe("last_message_of_user");
      expect(error.message).toMatch(/message is required/);
    });

    it.each([
      ["last_message_of_user", { last_message_of_user: { text: "hi" } }],
      ["user_last_message_time", { user_last_message_time: "yesterday" }],
      ["user_timestamp", { user_timestamp: true }],
      ["bot_last_message_time", { bot_last_message_time: -5 }],
      ["incoming_message", { incoming_message: "maybe" }],
      ["last_messages", { last_messages: 7 }],
      ["last_messages[0]", { last_messages: ["hi"] }],
      ["last_messages[0].content", { last_messages: [{ type: "user", content: {} }] }],
    ])("refuses a wrong type and names %s", (field, patch) => {
      expect(payloadError(() => parse({ ...base, ...patch })).field).toBe(field);
    });
  });

  describe("informational fields of an unexpected type (a 400 loses the message)", () => {
    it.each([
      ["referral", "ad", { referral: null }],
      ["note", { text: "vip" }, { note: null }],
      ["was_message_by_human", "no", { wasMessageByHuman: null }],
      ["was_message_by_human", [], { wasMessageByHuman: null }],
      ["labels", 5, { labels: [] }],
      ["labels", ["a", {}], { labels: [] }],
      ["user_id", ["u"], { userId: null }],
      ["send_by", { who: 1 }, { sendBy: null }],
    ])("accepts %s = %j: reads it as absent, keeps it raw, warns", (field, value, expected) => {
      const webhook = parse({ ...base, [field]: value });
      expect(webhook).toMatchObject(expected);
      expect(webhook.extra[field]).toEqual(value);
      expect(webhook.warnings).toEqual([expect.stringContaining(field)]);
    });

    it("warns about nothing when every field has its type", () => {
      expect(parse(base).warnings).toEqual([]);
    });
  });
});

describe("recoverIntegerLiteral", () => {
  it("returns the literal whose float value JSON.parse produced", () => {
    const text = '{"a":{"phone_number":11111111111111111111},"phone_number":22222222222222222222}';
    expect(recoverIntegerLiteral(text, "phone_number", Number("22222222222222222222"))).toBe(
      "22222222222222222222",
    );
  });

  it("ignores a matching text inside a JSON string value", () => {
    const text = '{"note":"\\"phone_number\\": 33333333333333333333","phone_number":1}';
    expect(recoverIntegerLiteral(text, "phone_number", Number("33333333333333333333"))).toBeNull();
  });
});

const entry = (content: string, timestamp?: unknown) => ({ type: "user", content, timestamp });

describe("parseConversationHistory", () => {
  it("sorts oldest first whatever order the vendor sent", () => {
    const { entries } = parseConversationHistory(
      [
        entry("c", "2025-01-03T00:00:00Z"),
        entry("a", "2025-01-01T00:00:00Z"),
        entry("b", "2025-01-02T00:00:00Z"),
      ],
      "last_messages",
    );
    expect(entries.map((e) => e.content)).toEqual(["a", "b", "c"]);
  });

  it("keeps the given order for equal timestamps (stable)", () => {
    const same = "2025-01-01T00:00:00Z";
    const { entries } = parseConversationHistory(
      [entry("first", same), entry("second", same), entry("third", same)],
      "last_messages",
    );
    expect(entries.map((e) => e.content)).toEqual(["first", "second", "third"]);
  });

  it("puts entries without a readable timestamp after the dated ones, in their order", () => {
    const { entries } = parseConversationHistory(
      [entry("x"), entry("dated", "2025-01-01T00:00:00Z"), entry("y", "soon")],
      "last_messages",
    );
    expect(entries.map((e) => e.content)).toEqual(["dated", "x", "y"]);
    expect(entries[2]).toMatchObject({ timestamp: "soon", timestampMs: null });
  });

  it("reads numeric timestamps (seconds or ms) and gives them an ISO form", () => {
    const { entries } = parseConversationHistory([entry("a", 1749506891)], "last_messages");
    expect(entries[0]).toMatchObject({
      timestampMs: 1749506891000,
      timestamp: "2025-06-09T22:08:11.000Z",
    });
  });

  it("parses a JSON-encoded array", () => {
    const { entries, plainText } = parseConversationHistory(
      JSON.stringify([entry("a", "2025-01-01T00:00:00Z")]),
      "last_messages",
    );
    expect(entries).toHaveLength(1);
    expect(plainText).toBeNull();
  });

  it("hands back plain text that is not a JSON array", () => {
    expect(parseConversationHistory("User: hi", "last_messages")).toEqual({
      entries: [],
      plainText: "User: hi",
    });
  });

  it("fills missing item fields with defaults", () => {
    const { entries } = parseConversationHistory([{}], "last_messages");
    expect(entries[0]).toEqual({
      role: "unknown",
      content: "",
      timestamp: null,
      timestampMs: null,
      contentType: null,
      mediaUrl: null,
    });
  });
});

const noRecovery = () => null;

describe("optionalEpochMs", () => {
  it.each([
    [1749506891, 1749506891000],
    [1749506891.25, 1749506891250],
    [999_999_999_999, 999_999_999_999_000],
    [1_000_000_000_000, 1_000_000_000_000],
    [1749506891123, 1749506891123],
    ["1749506891", 1749506891000],
    [" 1749506891123 ", 1749506891123],
    ["2025-06-09T22:08:11.990Z", Date.parse("2025-06-09T22:08:11.990Z")],
  ])("reads %j as %d ms", (input, expected) => {
    expect(optionalEpochMs(input, "t")).toBe(expected);
  });

  it.each([undefined, null, 0, "0", "", "  "])("treats %j as absent", (input) => {
    expect(optionalEpochMs(input, "t")).toBeNull();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, "12abc", "2025-13-45", {}, [], true, 1e17])(
    "refuses %j naming the field",
    (input) => {
      expect(() => optionalEpochMs(input, "user_last_message_time")).toThrow(
        expect.objectContaining({ field: "user_last_message_time" }),
      );
    },
  );
});

describe("requiredPhone", () => {
  it("keeps digits of a safe integer", () => {
    expect(requiredPhone(14155552671, "phone_number", noRecovery)).toBe("14155552671");
  });

  it("asks for the raw literal when the number is beyond 2^53", () => {
    const seen: number[] = [];
    const digits = requiredPhone(2 ** 60, "phone_number", (lossy) => {
      seen.push(lossy);
      return "1152921504606846976";
    });
    expect(seen).toEqual([2 ** 60]);
    expect(digits).toBe("1152921504606846976");
  });

  it("refuses a big number whose literal cannot be recovered", () => {
    expect(() => requiredPhone(2 ** 60, "phone_number", noRecovery)).toThrow(PayloadError);
  });

  it("refuses more than 20 digits", () => {
    expect(() => requiredPhone("1".repeat(21), "phone_number", noRecovery)).toThrow(/5 to 20/);
  });

  it("refuses a + in the middle", () => {
    expect(() => requiredPhone("1415+5552671", "phone_number", noRecovery)).toThrow(PayloadError);
  });
});

describe("optionalText", () => {
  it("turns a finite number into its text and refuses booleans", () => {
    expect(optionalText(42, "f")).toBe("42");
    expect(() => optionalText(true, "f")).toThrow(PayloadError);
  });
});

describe("optionalBoolean", () => {
  it.each([
    ["TRUE", true],
    [" false ", false],
    ["1", true],
    [0, false],
  ])("reads %j as %s", (input, expected) => {
    expect(optionalBoolean(input, "b")).toBe(expected);
  });

  it("refuses other numbers", () => {
    expect(() => optionalBoolean(2, "b")).toThrow(PayloadError);
  });
});

describe("labelList", () => {
  it("splits a comma string and trims", () => {
    expect(labelList("sales, premium-inquiry ,", "labels")).toEqual(["sales", "premium-inquiry"]);
  });

  it("reads a JSON array encoded in a string", () => {
    expect(labelList('["a","b, c"]', "labels")).toEqual(["a", "b, c"]);
  });

  it("treats an empty string as no labels", () => {
    expect(labelList("", "labels")).toEqual([]);
  });
});

describe("optionalObject", () => {
  it("refuses an array and a JSON string holding an array", () => {
    expect(() => optionalObject([], "referral")).toThrow(PayloadError);
    expect(() => optionalObject("[1]", "referral")).toThrow(PayloadError);
  });
});
