import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { idempotencyKey } from "../../../lambdas/core/idempotencyKey.js";
import { parseWebhook } from "../../../lambdas/core/parseWebhook.js";

const userId = "9232fcef-a570-4a2c-b46b-6cab53aec304";
const history = [
  { type: "bot", content: "hello", timestamp: "2025-06-09T21:25:30.000Z", content_type: "text" },
  { type: "user", content: "hi", timestamp: "2025-06-09T22:08:11.000Z", content_type: "text" },
];

/** One message event, as V2 sends it. */
const v2 = {
  last_messages: history,
  phone_number: "14155552671",
  user_id: userId,
  last_message_of_user: "hi",
  last_message_of_bot: "hello",
  message_type: "text",
  user_last_message_time: 1749506891,
  bot_last_message_time: 1749504330,
  attachment_url: null,
  note: "",
  labels: "sales",
};

const keyOf = (payload: unknown) => idempotencyKey(parseWebhook(JSON.stringify(payload)));

describe("idempotencyKey", () => {
  const expected = keyOf(v2);

  it("is a SHA-256 hex digest", () => {
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  describe("is the same for the same event in another encoding", () => {
    it.each([
      [
        "V0: old names, ms as strings, numeric phone, last_messages as a JSON string",
        {
          last_messages: JSON.stringify([...history].reverse()),
          phone_number: 14155552671,
          user_id: userId.toUpperCase(),
          last_message_of_user: "hi",
          last_message_of_bot: "hello",
          message_type: "text",
          user_timestamp: "1749506891000",
          bot_timestamp: "1749504330000",
          attachment_url: "",
        },
      ],
      [
        "V3: incoming_message, send_by, referral and other contact data",
        {
          ...v2,
          incoming_message: true,
          send_by: "",
          was_message_by_human: true,
          referral: { source_type: "ad" },
          labels: "sales, vip",
          note: "changed since",
        },
      ],
      ["a +phone with formatting", { ...v2, phone_number: "+1 415-555-2671" }],
      ["sub-second milliseconds", { ...v2, user_last_message_time: 1749506891999 }],
      ["the generic envelope", { event: "incoming_message", data: v2 }],
      ["extra unknown fields", { ...v2, id: 7, createdAt: 1, is_scheduled: false }],
      [
        "the V1 envelope",
        {
          event_type: "incoming_message",
          event_id: "evt_1",
          data: {
            phone_number: "14155552671",
            user_id: userId,
            message: { type: "text", content: "hi", timestamp: "2025-06-09T22:08:11.000Z" },
            conversation_context: {
              last_user_message: "hi",
              last_bot_message: "hello",
              user_timestamp: "2025-06-09T22:08:11.000Z",
              bot_timestamp: "2025-06-09T21:25:30.000Z",
            },
            conversation_history: history,
          },
        },
      ],
    ])("%s", (_name, payload) => {
      expect(keyOf(payload)).toBe(expected);
    });

    it("an attachment URL whose signed query string changed", () => {
      const url = "https://api.insightssystem.com/vault/abc/file.pdf";
      expect(keyOf({ ...v2, attachment_url: `${url}?sig=1` })).toBe(
        keyOf({ ...v2, attachment_url: `${url}?sig=2` }),
      );
    });
  });

  describe("differs for a different event", () => {
    it.each([
      ["another user text", { ...v2, last_message_of_user: "hi!" }],
      ["another bot text", { ...v2, last_message_of_bot: "hello!" }],
      ["one second later", { ...v2, user_last_message_time: 1749506892 }],
      ["a later bot message", { ...v2, bot_last_message_time: 1749504331 }],
      ["another contact", { ...v2, phone_number: "14155552672" }],
      ["another account", { ...v2, user_id: "00000000-0000-4000-8000-000000000000" }],
      ["the outgoing direction", { ...v2, incoming_message: false }],
      ["another message type", { ...v2, message_type: "image" }],
      ["an attachment", { ...v2, attachment_url: "https://api.insightssystem.com/vault/x.jpg" }],
    ])("%s", (_name, payload) => {
      expect(keyOf(payload)).not.toBe(expected);
    });
  });

  it("agrees across seconds/ms and string/number phone encodings (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 10_000n, max: 999_999_999_999_999n }),
        fc.string(),
        fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }),
        (phone, text, seconds) => {
          const a = {
            phone_number: phone.toString(),
            last_message_of_user: text,
            user_last_message_time: seconds,
          };
          const b = {
            phone_number: Number(phone),
            last_message_of_user: text,
            user_timestamp: String(seconds * 1000),
          };
          expect(keyOf(a)).toBe(keyOf(b));
        },
      ),
    );
  });

  it("separates distinct user texts (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (first, second) => {
        fc.pre(first !== second);
        expect(keyOf({ ...v2, last_message_of_user: first })).not.toBe(
          keyOf({ ...v2, last_message_of_user: second }),
        );
      }),
    );
  });
});
