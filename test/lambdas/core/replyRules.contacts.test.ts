import { describe, expect, it } from "vitest";
import type { NormalizedWebhook } from "../../../lambdas/core/messages.js";
import type { ReplyPolicy } from "../../../lambdas/core/replyRules.js";
import { onlyContacts, parseReplyContacts } from "../../../lambdas/core/replyRules.js";

const hello: ReplyPolicy = () => [{ text: "Hello", delayMs: 0 }];
const from = (phone: string) => ({
  webhook: { phone } as NormalizedWebhook,
  acceptedAt: 0,
  jobKey: `job-${phone}`,
});

describe("reply contacts", () => {
  it("answers anyone when REPLY_CONTACTS is *", async () => {
    expect(await onlyContacts(hello, parseReplyContacts("*"))(from("14155552671"))).toHaveLength(1);
  });

  it("answers a listed test number", async () => {
    const policy = onlyContacts(hello, parseReplyContacts("12025550101,12025550102"));
    expect(await policy(from("12025550102"))).toEqual([{ text: "Hello", delayMs: 0 }]);
  });

  it("does not answer a real customer on a stack that lists test numbers only", async () => {
    const policy = onlyContacts(hello, parseReplyContacts("12025550101"));
    expect(await policy(from("14155552671"))).toEqual([]);
  });

  it("answers nobody when REPLY_CONTACTS is none", async () => {
    expect(await onlyContacts(hello, parseReplyContacts("none"))(from("12025550101"))).toEqual([]);
  });

  it("refuses an entry that is not a number, naming it", () => {
    expect(() => parseReplyContacts("12025550101,+1 202")).toThrow('"+1 202" is not a number');
  });
});
