import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../infra/policies.js";
import { ENV, REPLY_POLICY_ENV } from "../../lambdas/contract.js";
import { type ProgramRun, runProgramForStack } from "./support/programRun.js";

/**
 * A stack with an HTTP reply policy (`replyPolicyUrl` + secure `replyPolicySecret`), under mocks
 * as the engine loads the program: the secret goes to a Secrets Manager secret of its own, the
 * responder alone gets its ARN and the grants to read it, back off jobs and dead-letter invalid
 * answers; a stack without a policy gets none of that.
 */

const SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
const URL_ = "https://policy.example.com/reply";

let withPolicy: ProgramRun;
let without: ProgramRun;

beforeAll(async () => {
  [withPolicy, without] = await Promise.all([
    runProgramForStack("dev", {
      "whatsable-replies:vendorToken": "token",
      "whatsable-replies:replyPolicyUrl": URL_,
      "whatsable-replies:replyPolicySecret": SECRET,
    }),
    runProgramForStack("dev", { "whatsable-replies:vendorToken": "token" }),
  ]);
}, 180_000);

const resource = (run: ProgramRun, type: string, name: string) =>
  run.registered.find((r) => r.type === type && r.name === name);
const envOf = (run: ProgramRun, fn: string) => {
  const environment = resource(run, "aws:lambda/function:Function", fn)?.inputs.environment;
  return (environment as { variables: Record<string, string> }).variables;
};
const policyOf = (run: ProgramRun, fn: string) =>
  JSON.parse(
    resource(run, "aws:iam/rolePolicy:RolePolicy", `${fn}-policy`)?.inputs.policy as string,
  ) as PolicyDocument;
const arnOf = (run: ProgramRun, type: string, name: string) =>
  String(resource(run, type, name)?.outputs.arn);

describe("a stack with an HTTP reply policy", () => {
  it("stores the policy secret in a Secrets Manager secret of its own", () => {
    const version = resource(
      withPolicy,
      "aws:secretsmanager/secretVersion:SecretVersion",
      "secrets-reply-policy",
    );
    expect(version?.inputs.secretStringWo).toBe(SECRET);
    expect(version?.inputs.secretString).toBeUndefined();
    expect(
      resource(withPolicy, "aws:secretsmanager/secret:Secret", "secrets-reply-policy"),
    ).toBeDefined();
  });

  it("gives the responder the URL, the secret's ARN (never the secret), the jobs queue and its DLQ", () => {
    const env = envOf(withPolicy, "responder");
    expect(env).toMatchObject({
      [REPLY_POLICY_ENV.url]: URL_,
      [REPLY_POLICY_ENV.secretId]: arnOf(
        withPolicy,
        "aws:secretsmanager/secret:Secret",
        "secrets-reply-policy",
      ),
      [REPLY_POLICY_ENV.timeoutMs]: "5000",
      [REPLY_POLICY_ENV.maxAttempts]: "5",
      [ENV.jobsDeadLetterQueueUrl]: String(
        resource(withPolicy, "aws:sqs/queue:Queue", "jobs-dlq")?.outputs.url,
      ),
    });
    for (const fn of ["receiver", "responder", "sender"]) {
      expect(JSON.stringify(envOf(withPolicy, fn))).not.toContain(SECRET);
    }
    expect(envOf(withPolicy, "receiver")[REPLY_POLICY_ENV.secretId]).toBeUndefined();
    expect(envOf(withPolicy, "sender")[REPLY_POLICY_ENV.secretId]).toBeUndefined();
  });

  it("lets only the responder read the policy secret and back off jobs", () => {
    const secretArn = arnOf(withPolicy, "aws:secretsmanager/secret:Secret", "secrets-reply-policy");
    const statements = policyOf(withPolicy, "responder").Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: "ReadReplyPolicySecret",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [secretArn],
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: "BackOffJobs",
        Action: ["sqs:ChangeMessageVisibility"],
        Resource: [arnOf(withPolicy, "aws:sqs/queue:Queue", "jobs")],
      }),
    );
    for (const fn of ["receiver", "sender"]) {
      expect(JSON.stringify(policyOf(withPolicy, fn))).not.toContain(secretArn);
    }
  });
});

describe("a stack without an HTTP reply policy", () => {
  it("has no policy secret, no policy env and no policy grants; unusable jobs still go to the DLQ at once", () => {
    expect(
      resource(without, "aws:secretsmanager/secret:Secret", "secrets-reply-policy"),
    ).toBeUndefined();
    const env = envOf(without, "responder");
    for (const name of Object.values(REPLY_POLICY_ENV)) expect(env[name]).toBeUndefined();
    expect(policyOf(without, "responder").Statement.map((s) => s.Sid)).toEqual([
      "WriteOwnLogs",
      "ConsumeJobs",
      "PlanReplies",
      "ScheduleReplies",
      "DeadLetterUnusableJobs",
      "ScheduleFarReplies",
      "HandSchedulesTheirRole",
    ]);
    expect(
      policyOf(without, "responder").Statement.find((s) => s.Sid === "DeadLetterUnusableJobs")
        ?.Resource,
    ).toEqual([arnOf(without, "aws:sqs/queue:Queue", "jobs-dlq")]);
    expect(env[ENV.jobsDeadLetterQueueUrl]).toBe(
      String(resource(without, "aws:sqs/queue:Queue", "jobs-dlq")?.outputs.url),
    );
  });
});
