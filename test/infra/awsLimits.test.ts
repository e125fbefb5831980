import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AWS_LIMITS,
  checkedEnvironment,
  EnvironmentTooLargeError,
  environmentBytes,
  JOB_BYTES_PER_BODY_BYTE,
  JOB_ENVELOPE_BYTES,
  LAMBDA_CONCURRENCY_QUOTA,
  limitViolations,
  MAX_BODY_BYTES_LIMIT,
  type PlannedResource,
  physicalNameLength,
  reservableConcurrency,
  reservationProblem,
} from "../../infra/awsLimits.js";
import { parseStackSettings } from "../../infra/config.js";
import { encodeQueueMessage } from "../../lambdas/core/messages.js";
import { parseWebhook } from "../../lambdas/core/parseWebhook.js";
import { type ProgramRun, runProgramForStack } from "./support/programRun.js";
import { stackFileSettings } from "./support/stackFiles.js";

const NS = "whatsable-replies";
const STACKS = ["dev", "staging", "prod"] as const;
const runs: Partial<Record<(typeof STACKS)[number], ProgramRun>> = {};

beforeAll(async () => {
  for (const stack of STACKS) {
    runs[stack] = await runProgramForStack(stack, { [`${NS}:vendorToken`]: `token-${stack}` });
  }
}, 300_000);

const planned = (stack: (typeof STACKS)[number]) => runs[stack]?.registered ?? [];
/** A copy of the dev plan with one resource's inputs changed. */
function devWith(type: string, name: string, inputs: Record<string, unknown>): PlannedResource[] {
  return planned("dev").map((r) =>
    r.type === type && r.name === name ? { ...r, inputs: { ...r.inputs, ...inputs } } : r,
  );
}

/** AWS's own words on reserved concurrency and the quota (test/fixtures/contracts/aws). */
const LAMBDA = JSON.parse(
  readFileSync("test/fixtures/contracts/aws/lambda-concurrency.json", "utf8"),
) as {
  putFunctionConcurrency: string;
  refusal: string;
  serviceQuota: { serviceCode: string; quotaCode: string; quotaName: string };
  newAccountQuotaExample: number;
};
const UNRESERVED_MINIMUM = Number(
  /at least (\d+) simultaneous executions unreserved/.exec(LAMBDA.putFunctionConcurrency)?.[1],
);

describe.each(STACKS)("Pulumi.%s.yaml under mocks", (stack) => {
  it("respects every AWS limit in infra/awsLimits.ts", () => {
    const { protect } = parseStackSettings(stackFileSettings(stack, { filledIn: true }));
    expect(planned(stack).length).toBeGreaterThan(40);
    expect(limitViolations(planned(stack), { protect })).toEqual([]);
  });

  it("deploys in a new account whose Lambda concurrency quota is still 10", () => {
    const { protect } = parseStackSettings(stackFileSettings(stack, { filledIn: true }));
    const accountConcurrency = LAMBDA.newAccountQuotaExample;
    expect(limitViolations(planned(stack), { protect, accountConcurrency })).toEqual([]);
  });
});

describe("reserved concurrency against the account's quota (PutFunctionConcurrency)", () => {
  it("keeps the unreserved minimum AWS states", () => {
    expect(UNRESERVED_MINIMUM).toBe(100);
    expect(AWS_LIMITS.lambdaUnreservedConcurrency.limit).toBe(UNRESERVED_MINIMUM);
    const { serviceCode, quotaCode, quotaName } = LAMBDA.serviceQuota;
    expect(LAMBDA_CONCURRENCY_QUOTA).toEqual({ serviceCode, quotaCode, quotaName });
  });

  it("lets an account at or under the minimum reserve nothing, and a larger one the rest", () => {
    expect(reservableConcurrency(LAMBDA.newAccountQuotaExample)).toBe(0);
    expect(reservableConcurrency(UNRESERVED_MINIMUM)).toBe(0);
    expect(reservableConcurrency(1000)).toBe(1000 - UNRESERVED_MINIMUM);
  });

  it("refuses what Lambda refuses, naming the Service Quotas code to raise", () => {
    // Lambda's answer in a quota-10 account: below its minimum value of [10].
    expect(LAMBDA.refusal).toMatch(/decreases account's UnreservedConcurrentExecution below/);
    expect(reservationProblem(10, LAMBDA.newAccountQuotaExample)).toBe(
      "10 reserved concurrency needs an account concurrency quota of at least 110 (Lambda keeps " +
        '100 unreserved), but the quota is 10: request an increase of Service Quotas "Concurrent ' +
        'executions" (service lambda, quota code L-B99A9384), or delete receiverReservedConcurrency',
    );
    expect(reservationProblem(900, 1000)).toBeUndefined();
  });
});

describe("the limits table catches what AWS would refuse", () => {
  it("an environment over 4 KB in bytes, not characters", () => {
    const variables = { REPLY_RULES: "é".repeat(2100) }; // 2,100 characters, 4,200 bytes
    expect(environmentBytes(variables)).toBe(4211);
    expect(() => checkedEnvironment("responder", variables)).toThrow(EnvironmentTooLargeError);
    expect(() => checkedEnvironment("responder", variables)).toThrow(
      /Lambda "responder": environment is 4211 bytes, over Lambda's 4096-byte limit \(largest: REPLY_RULES 4211 B\)/,
    );
  });

  it("a queue whose visibility timeout is under 6× its consumer's timeout", () => {
    expect(
      limitViolations(
        devWith("aws:sqs/queue:Queue", "replies", { visibilityTimeoutSeconds: 300 }),
        { protect: false },
      ),
    ).toEqual([
      "queue replies: visibility timeout 300 s < 360 s (SQS visibility timeout of a Lambda's queue ≥ 6 × the function timeout + batching window (sqs-configure-lambda-function-trigger))",
    ]);
  });

  it("reserved concurrency that leaves the account fewer than 100 unreserved", () => {
    const greedy = devWith("aws:lambda/function:Function", "receiver", {
      reservedConcurrentExecutions: 950,
    });
    expect(limitViolations(greedy, { protect: false })).toEqual([
      `functions: ${reservationProblem(950, 1000)}`,
    ]);
  });

  it("a FIFO queue whose auto-name (suffix and .fifo) would pass SQS's 80 characters", () => {
    // pulumi-aws: logical name + Separator + Randlen random characters + ".fifo", Maxlen 80.
    const source = readFileSync("test/fixtures/contracts/pulumi-aws/sqs-queue-autoname.go", "utf8");
    const option = (key: string) => new RegExp(`${key}:\\s+("?)([^",\\n]+)\\1,`).exec(source)?.[2];
    const suffix = (option("Separator") ?? "").length + Number(option("Randlen")) + ".fifo".length;
    expect(Number(option("Maxlen"))).toBe(AWS_LIMITS.sqsQueueName.limit);
    const jobs = planned("dev").find((r) => r.type === "aws:sqs/queue:Queue" && r.name === "jobs");
    if (!jobs) throw new Error("no jobs queue");
    expect(physicalNameLength(jobs)).toBe("jobs".length + suffix);
    const longest = { ...jobs, name: "j".repeat(AWS_LIMITS.sqsQueueName.limit - suffix + 1) };
    expect(limitViolations([longest], { protect: false })).toEqual([
      `aws:sqs/queue:Queue ${longest.name}: name of 81 > ${AWS_LIMITS.sqsQueueName.what}`,
    ]);
  });

  it("a reserved concurrency of 0, which throttles every invocation", () => {
    const off = devWith("aws:lambda/function:Function", "receiver", {
      reservedConcurrentExecutions: 0,
    });
    expect(limitViolations(off, { protect: false })).toEqual([
      "function receiver: reserved concurrency 0 throttles every invocation",
    ]);
  });

  it("a function name longer than Lambda takes once Pulumi adds its suffix", () => {
    const long = planned("dev").map((r) =>
      r.type === "aws:lambda/function:Function" && r.name === "sender"
        ? { ...r, name: "s".repeat(60) }
        : r,
    );
    expect(limitViolations(long, { protect: false })).toContain(
      `aws:lambda/function:Function ${"s".repeat(60)}: name of 68 > ${AWS_LIMITS.lambdaFunctionName.what}`,
    );
  });

  it("a body limit whose job would not fit one SQS message", () => {
    const fn = planned("dev").find(
      (r) => r.name === "receiver" && r.type === "aws:lambda/function:Function",
    );
    const variables = {
      ...(fn?.inputs.environment as { variables: Record<string, string> } | undefined)?.variables,
      MAX_BODY_BYTES: String(512 * 1024),
    };
    const problems = limitViolations(
      devWith("aws:lambda/function:Function", "receiver", { environment: { variables } }),
      { protect: false },
    );
    expect(problems).toEqual([
      `function receiver: MAX_BODY_BYTES 524288 lets a job reach ${512 * 1024 * 4 + 1024} B > ${AWS_LIMITS.sqsMessageBytes.what}`,
    ]);
  });

  it("a protected stack whose alarms reach nobody", () => {
    const problems = limitViolations(planned("dev"), { protect: true });
    expect(problems.length).toBe(
      planned("dev").filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").length,
    );
    expect(problems[0]).toMatch(/protected stack, but its actions reach nobody$/);
  });

  it("an alarm with no action at all", () => {
    expect(
      limitViolations(
        devWith("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-api-5xx", { alarmActions: [] }),
        { protect: false },
      ),
    ).toEqual(["alarm alarms-api-5xx: no alarm action"]);
  });
});

describe("the program stops before AWS would refuse", () => {
  it("fails preview when a function's whole environment exceeds 4 KB, naming the function", async () => {
    // Rules ship in the bundle, not the environment; a long list of test contacts does not.
    const contacts = Array.from({ length: 400 }, (_, i) => `+1202555${String(1000 + i)}`);
    await expect(
      runProgramForStack("dev", {
        [`${NS}:vendorToken`]: "token",
        [`${NS}:replyContacts`]: JSON.stringify(contacts),
      }),
    ).rejects.toThrow(
      /Lambda "responder": environment is \d+ bytes, over Lambda's 4096-byte limit/,
    );
  }, 150_000);
});

describe("the job that carries a body to the responder", () => {
  /** The job as SqsMessageQueue sends it. */
  const jobBytes = (body: string) =>
    Buffer.byteLength(
      encodeQueueMessage({
        kind: "webhook-job",
        version: 1,
        key: "k".repeat(64),
        acceptedAt: Date.now(),
        webhook: parseWebhook(body),
      }),
    );
  /** A body of about `bytes` bytes built from `unit`s. */
  const bodyOf = (bytes: number, build: (n: number) => string) => {
    let n = 1;
    while (Buffer.byteLength(build(n * 2)) <= bytes) n *= 2;
    let hi = n * 2;
    while (hi - n > 1) {
      const mid = Math.floor((n + hi) / 2);
      if (Buffer.byteLength(build(mid)) <= bytes) n = mid;
      else hi = mid;
    }
    return build(n);
  };
  const shapes: Record<string, (n: number) => string> = {
    "a long history of minimal entries": (n) =>
      JSON.stringify({
        phone_number: "14155552671",
        last_messages: Array(n).fill({ type: "user", content: "" }),
      }),
    "a message of emoji (escaped for SQS)": (n) =>
      JSON.stringify({ phone_number: "14155552671", last_message_of_user: "😀".repeat(n) }),
    "a history with timestamps in seconds": (n) =>
      JSON.stringify({
        phone_number: "14155552671",
        last_messages: Array(n).fill({ type: "u", content: "", timestamp: 1 }),
      }),
  };

  it.each(Object.keys(shapes))(
    "fits one SQS message for %s at the largest allowed body",
    (shape) => {
      const body = bodyOf(MAX_BODY_BYTES_LIMIT, shapes[shape] as (n: number) => string);
      const bytes = jobBytes(body);
      expect(bytes).toBeLessThanOrEqual(
        Buffer.byteLength(body) * JOB_BYTES_PER_BODY_BYTE + JOB_ENVELOPE_BYTES,
      );
      expect(bytes).toBeLessThanOrEqual(AWS_LIMITS.sqsMessageBytes.limit);
    },
  );
});
