import { describe, expect, it } from "vitest";
import { errorFields, InvalidQueueMessageError } from "../../../lambdas/core/errors.js";
import {
  parseScheduledReply,
  parseWebhookJob,
  webhookFrom,
} from "../../../lambdas/core/messages.js";
import { aJob, aReply } from "../../support/replyFixtures.js";

describe("parseWebhookJob", () => {
  it("reads a job as the receiver enqueues it", () => {
    const job = aJob();
    expect(parseWebhookJob(JSON.stringify(job))).toEqual(job);
  });

  it("keeps webhook fields it does not check", () => {
    const job = aJob();
    expect(parseWebhookJob(JSON.stringify(job)).webhook.extra).toEqual({});
  });

  it("defaults absent optional webhook fields to unknown", () => {
    const parsed = parseWebhookJob(JSON.stringify({ ...aJob(), webhook: { phone: "123" } }));
    expect(parsed.webhook).toMatchObject({ lastMessages: [], incomingMessage: null, userId: null });
  });

  it("reads a webhook built from what is known of it as that webhook", () => {
    const webhook = webhookFrom({ phone: "14155550177", lastMessageOfUser: "hi" });
    const job = { ...aJob(), webhook: { phone: "14155550177", lastMessageOfUser: "hi" } };
    expect(parseWebhookJob(JSON.stringify(job)).webhook).toEqual(webhook);
  });

  it("rejects a body that is not JSON", () => {
    expect(() => parseWebhookJob("{")).toThrow(InvalidQueueMessageError);
  });

  it("logs a job that is not JSON without quoting its body (V8 quotes it in its message)", () => {
    let fields: ReturnType<typeof errorFields> | undefined;
    try {
      parseWebhookJob("hello +4915112345678, my PIN is 4711");
    } catch (error) {
      fields = errorFields(error);
    }
    expect(fields?.errorCause).toBe("SyntaxError: not valid JSON");
    expect(JSON.stringify(fields)).not.toMatch(/hello|491511|PIN/);
  });

  it("names the bad field", () => {
    expect(() =>
      parseWebhookJob(JSON.stringify({ ...aJob(), webhook: { phone: "+1 415" } })),
    ).toThrow(/webhook\.phone/);
  });

  it("rejects another message kind", () => {
    expect(() => parseWebhookJob(JSON.stringify(aReply()))).toThrow(/kind/);
  });
});

describe("parseScheduledReply", () => {
  it("reads a reply as the responder enqueues it", () => {
    const reply = aReply({ attachment: "https://x.test/a.pdf" });
    expect(parseScheduledReply(JSON.stringify(reply))).toEqual(reply);
  });

  it("rejects a seq outside the plan", () => {
    expect(() => parseScheduledReply(JSON.stringify(aReply({ seq: 3, total: 3 })))).toThrow(
      /outside a plan/,
    );
  });

  it("rejects a reply without text", () => {
    expect(() => parseScheduledReply(JSON.stringify({ ...aReply(), text: "" }))).toThrow(/text/);
  });

  it("says in English what it expected when a field has the wrong type", () => {
    expect(() => parseScheduledReply(JSON.stringify({ ...aReply(), seq: "0" }))).toThrow(
      "scheduled reply: seq: Invalid input: expected number, received string",
    );
  });
});
