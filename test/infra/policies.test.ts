import { describe, expect, it } from "vitest";
import {
  broadGrants,
  type PolicyDocument,
  receiverPolicy,
  responderPolicy,
  senderPolicy,
} from "../../infra/policies.js";

const arn = (resource: string) => `arn:aws:svc:eu-west-1:123456789012:${resource}`;
const LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:receiver-logs";

const doc = (Action: string[], Resource: string[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [{ Sid: "Test", Effect: "Allow", Action, Resource }],
});

describe("broadGrants", () => {
  it("flags a wildcard action", () => {
    expect(broadGrants(doc(["sqs:*"], [arn("q")]))).toEqual(["Test: action sqs:*"]);
  });

  it("flags a '*' resource and any other wildcard resource", () => {
    expect(broadGrants(doc(["sqs:SendMessage"], ["*", arn("table/*")]))).toEqual([
      "Test: resource *",
      `Test: resource ${arn("table/*")}`,
    ]);
  });

  it("allows the streams of one named log group", () => {
    expect(broadGrants(doc(["logs:PutLogEvents"], [`${LOG_GROUP}:log-stream:*`]))).toEqual([]);
  });
});

describe("function policies", () => {
  const resources = {
    logGroupArn: LOG_GROUP,
    idempotencyTableArn: arn("table/idem"),
    conversationTableArn: arn("table/conv"),
    jobsQueueArn: arn("jobs"),
    repliesQueueArn: arn("replies"),
    jobsDeadLetterQueueArn: arn("jobs-dlq"),
    signingSecretArn: arn("secret:signing"),
    vendorTokenSecretArn: arn("secret:token"),
  };

  it.each([
    ["receiver", receiverPolicy(resources)],
    ["responder", responderPolicy(resources)],
    ["sender", senderPolicy(resources)],
  ])("%s grants nothing broad", (_fn, policy) => {
    expect(broadGrants(policy)).toEqual([]);
  });

  it("refuses to build a policy over a wildcard ARN", () => {
    expect(() => receiverPolicy({ ...resources, jobsQueueArn: "*" })).toThrow(
      "IAM policy would grant too much: EnqueueJobs: resource *",
    );
  });

  it("accepts a log group ARN with or without the trailing :*", () => {
    const policy = receiverPolicy({ ...resources, logGroupArn: `${LOG_GROUP}:*` });
    expect(policy.Statement[0]?.Resource).toEqual([`${LOG_GROUP}:log-stream:*`]);
  });
});
