import { describe, expect, it } from "vitest";
import type { WhatsAppReplyPipelineArgs } from "../../../infra/components/pipelineArgs.js";
import {
  PipelineArgsError,
  type PipelineContext,
  planPipeline,
} from "../../../infra/components/planPipeline.js";
import { ENV } from "../../../lambdas/contract.js";

const CONTEXT: PipelineContext = {
  project: "acme-infra",
  stack: "prod",
  awsRegion: "eu-west-1",
  root: process.cwd(),
};
const ARGS: WhatsAppReplyPipelineArgs = { vendorToken: "token" };

/** The problems planPipeline reports for these args (none: []). */
function problemsOf(args: Partial<WhatsAppReplyPipelineArgs>, context = CONTEXT): string[] {
  try {
    planPipeline("support", { ...ARGS, ...args }, context);
    return [];
  } catch (error) {
    if (!(error instanceof PipelineArgsError)) throw error;
    return error.problems;
  }
}

describe("planPipeline: every problem in one run", () => {
  it("reports a bad setting together with the checks across args it used to hide", () => {
    expect(
      problemsOf({
        maxReceiveCount: 0,
        ingress: "functionUrl",
        customDomain: { domainName: "hooks.example.com", certificateArn: "arn:cert" },
        replyPolicyUrl: "https://policy.example.com/",
        replyRules: [{ match: "hi", messages: [{ text: "", delay: 0 }] }],
      }),
    ).toEqual([
      "args.maxReceiveCount: must be a whole number from 1 to 1000",
      expect.stringMatching(/^args\.replyRules: reply rule 0: messages\[0\]\.text/),
      expect.stringMatching(/^args\.customDomain: needs args\.ingress "httpApi"/),
      "args.replyPolicySecret: required with replyPolicyUrl (a secret whsec_<base64>)",
    ]);
  });
});

describe("planPipeline: names", () => {
  it("names every child from the component's name by default", () => {
    const plan = planPipeline("support", ARGS, CONTEXT);
    expect(plan.childName("jobs")).toBe("support-jobs");
  });

  it("keeps bare names with an empty prefix (this repository's own stacks)", () => {
    expect(
      planPipeline("whatsable-replies", { ...ARGS, namePrefix: "" }, CONTEXT).childName("jobs"),
    ).toBe("jobs");
  });

  it("gives two pipelines of one stack their own metric namespace and dashboard", () => {
    const a = planPipeline("support", { ...ARGS, dashboard: true }, CONTEXT);
    const b = planPipeline("sales", { ...ARGS, dashboard: true }, CONTEXT);
    expect([a.metricNamespace, b.metricNamespace]).toEqual([
      "acme-infra/support-prod",
      "acme-infra/sales-prod",
    ]);
    expect([a.dashboardName, b.dashboardName]).toEqual([
      "acme-infra-support-prod",
      "acme-infra-sales-prod",
    ]);
  });

  it("keeps this repository's dashboard and metric names with the empty prefix", () => {
    const plan = planPipeline(
      "whatsable-replies",
      { ...ARGS, namePrefix: "", dashboard: true },
      { ...CONTEXT, project: "whatsable-replies" },
    );
    expect(plan.dashboardName).toBe("whatsable-replies-prod");
    expect(plan.metricNamespace).toBe("whatsable-replies/prod");
  });

  it("refuses a prefix AWS names could not be built from", () => {
    expect(problemsOf({ namePrefix: "support team/" })).toEqual([
      'args.namePrefix: "support team/" must be at most 24 letters, digits and hyphens (AWS names are built from it)',
    ]);
  });
});

describe("planPipeline: args", () => {
  it("lists every bad arg at once, each by its name", () => {
    expect(
      problemsOf({
        maxReceiveCount: 0,
        logRetentionDays: 13,
        replyContacts: ["0044 20 7946 0000"],
      }),
    ).toEqual([
      expect.stringMatching(/^args\.logRetentionDays: must be one of 1, 3, 5/),
      "args.maxReceiveCount: must be a whole number from 1 to 1000",
      "args.replyContacts [0]: each contact must be an E.164 number such as +15550100001",
    ]);
  });

  it("checks the reply rules with the responder's validator, naming the arg", () => {
    const [problem] = problemsOf({
      replyRules: [{ match: "(", messages: [{ text: "hi", delay: 0 }] }],
    });
    expect(problem).toMatch(/^args\.replyRules: /);
  });

  it("refuses a protected pipeline whose alarms would reach nobody", () => {
    expect(problemsOf({ protect: true })).toEqual([
      "args.alarmEmail: a protected stack needs an alarm destination: set alarmEmail or alarmTopicArns, else its alarms reach nobody",
    ]);
  });

  it("counts the estate's own alarm topic as a destination", () => {
    expect(
      problemsOf({ protect: true, alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:ops" }),
    ).toEqual([]);
  });

  it("needs a region when the default AWS provider has none", () => {
    expect(problemsOf({}, { ...CONTEXT, awsRegion: undefined })).toEqual([
      "args.region: required when the default AWS provider has no aws:region",
    ]);
    expect(
      planPipeline(
        "support",
        { ...ARGS, region: "us-east-1" },
        { ...CONTEXT, awsRegion: undefined },
      ).region,
    ).toBe("us-east-1");
  });
});

describe("planPipeline: who gets replies", () => {
  it("answers anyone on a protected pipeline unless it lists numbers", () => {
    const plan = planPipeline(
      "support",
      { ...ARGS, protect: true, alarmEmail: "ops@acme-support.io" },
      CONTEXT,
    );
    expect(plan.environment[ENV.replyContacts]).toBe("*");
  });

  it("answers nobody on an unprotected pipeline unless it lists numbers", () => {
    expect(planPipeline("support", ARGS, CONTEXT).environment[ENV.replyContacts]).toBe("none");
    expect(
      planPipeline("support", { ...ARGS, replyContacts: ["+12025550101"] }, CONTEXT).environment[
        ENV.replyContacts
      ],
    ).toBe("12025550101");
  });
});

describe("planPipeline: the HTTP reply policy", () => {
  it("takes an https URL with its secret", () => {
    expect(
      problemsOf({ replyPolicyUrl: "https://policy.example.com/reply", replyPolicySecret: "x" }),
    ).toEqual([]);
  });

  it("names the missing secret", () => {
    expect(problemsOf({ replyPolicyUrl: "https://policy.example.com/reply" })).toEqual([
      "args.replyPolicySecret: required with replyPolicyUrl (a secret whsec_<base64>)",
    ]);
  });

  it("refuses a secret without a URL, and a URL that is not https", () => {
    expect(problemsOf({ replyPolicySecret: "x" })).toEqual([
      "args.replyPolicySecret: set, but replyPolicyUrl is not; set both or neither",
    ]);
    expect(
      problemsOf({ replyPolicyUrl: "http://policy.example.com/", replyPolicySecret: "x" }),
    ).toEqual(["args.replyPolicyUrl: must be an absolute https:// URL"]);
  });
});

describe("planPipeline: the entrance", () => {
  const DOMAIN = { domainName: "hooks.example.com", certificateArn: "arn:aws:acm:eu-west-1:1:c/x" };

  it("enters through an HTTP API by default, throttled at its stage (the product's design)", () => {
    expect(planPipeline("support", ARGS, CONTEXT).settings.throttle).toEqual({
      ingress: "httpApi",
      rateLimit: 50,
      burstLimit: 100,
    });
  });

  it("takes the HTTP API's stage throttle and a custom domain", () => {
    const plan = planPipeline(
      "support",
      { ...ARGS, throttleRateLimit: 5, customDomain: DOMAIN },
      CONTEXT,
    );
    expect(plan.settings.throttle).toEqual({ ingress: "httpApi", rateLimit: 5, burstLimit: 100 });
  });

  it("takes a function URL when asked, reserving concurrency only when asked", () => {
    expect(
      planPipeline("support", { ...ARGS, ingress: "functionUrl" }, CONTEXT).settings.throttle,
    ).toEqual({
      ingress: "functionUrl",
      receiverReservedConcurrency: undefined,
    });
    expect(
      planPipeline(
        "support",
        { ...ARGS, ingress: "functionUrl", receiverReservedConcurrency: 20 },
        CONTEXT,
      ).settings.throttle,
    ).toEqual({ ingress: "functionUrl", receiverReservedConcurrency: 20 });
  });

  it("refuses a custom domain on a function URL, naming both args", () => {
    expect(problemsOf({ customDomain: DOMAIN, ingress: "functionUrl" })).toEqual([
      'args.customDomain: needs args.ingress "httpApi" (an API Gateway custom domain), but ingress is "functionUrl": set ingress: "httpApi" (the default), or drop customDomain',
    ]);
  });

  it("refuses the HTTP API's throttle on a function URL, naming the arg", () => {
    expect(problemsOf({ ingress: "functionUrl", throttleBurstLimit: 100 })).toEqual([
      'args.throttleBurstLimit: applies to ingress "httpApi" only (API Gateway stage throttling), but ingress is "functionUrl": delete it and throttle with receiverReservedConcurrency, or set ingress: httpApi',
    ]);
  });

  it("refuses a function URL in a region that offers none", () => {
    expect(
      problemsOf({ ingress: "functionUrl" }, { ...CONTEXT, awsRegion: "eu-central-2" }),
    ).toEqual([
      'args.ingress: Lambda function URLs are not offered in eu-central-2 (AWS Lambda Developer Guide, "Invoking Lambda function URLs"): set ingress: "httpApi"',
    ]);
    expect(problemsOf({}, { ...CONTEXT, awsRegion: "eu-central-2" })).toEqual([]);
  });
});
