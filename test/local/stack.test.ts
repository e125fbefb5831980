import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook, sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { type LocalStack, startLocalStack } from "../../local/stack.js";
import { waitFor } from "../support/queues.js";
import { withoutResends } from "../support/vendorResends.js";

const RULES = [
  {
    match: "ping",
    messages: [
      { text: "pong", delay: 0 },
      { text: "pong again", delay: 300 },
    ],
  },
];
let stack: LocalStack;
const logLines: string[] = [];
const envBefore = { ...process.env };

beforeAll(async () => {
  stack = await startLocalStack({ rules: RULES, logLevel: "ERROR", log: (l) => logLines.push(l) });
}, 90_000);
afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe("startLocalStack", () => {
  it("serves the receiver and the vendor simulator on loopback ports", () => {
    expect(stack.receiverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/whatsapp$/);
    expect(stack.vendorUrl).toBe(stack.vendor.url);
  });

  it("turns a signed webhook into the rule's replies at the vendor, in order", async () => {
    const body = sampleWebhookBody({ phone: "14155550177", text: "ping", at: Date.now() });
    const signature = signatureFor(body, stack.signingSecret, stack.signatureScheme);
    const answer = await postWebhook(stack.receiverUrl, body, signature);
    expect(answer).toEqual({ status: 200, body: { status: "accepted" } });
    // Fails only when the replies stand still: a loaded machine makes the stack slow, not stuck.
    await waitFor("both replies", () => stack.vendor.sent().length >= 2, {
      timeoutMs: 60_000,
      progress: () => stack.vendor.sent().length,
    });
    // A resend after a vendor timeout (promise 8a) is not a second reply.
    expect(withoutResends(stack.vendor.sent()).map((s) => [s.phone, s.text])).toEqual([
      ["+14155550177", "pong"],
      ["+14155550177", "pong again"],
    ]);
  }, 300_000);

  it("gives the handlers their environment without touching the process's own", () => {
    expect(process.env).toEqual(envBefore);
    expect(stack.handlerEnv).toMatchObject({
      AWS_ENDPOINT_URL_SQS: stack.awsEnv.AWS_ENDPOINT_URL_SQS,
    });
  });
});
