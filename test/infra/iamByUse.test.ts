import { setTimeout as sleep } from "node:timers/promises";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ACTIONS, type PolicyDocument } from "../../infra/policies.js";
import {
  ENV,
  FUNCTION_ENV,
  type FunctionName,
  REPLY_POLICY_FUNCTION_ENV,
} from "../../lambdas/contract.js";
import { messageKey } from "../../lambdas/core/conversation.js";
import { parseWebhook } from "../../lambdas/core/parseWebhook.js";
import { type CountingProxy, startCountingProxy } from "../../local/countingProxy.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { type LocalStack, type StackService, startLocalStack } from "../../local/stack.js";
import { type FaultProxy, startFaultProxy } from "../support/faultProxy.js";
import { type PolicyEndpoint, startPolicyEndpoint } from "../support/policyEndpoint.js";
import { waitFor } from "../support/queues.js";
import { aJob } from "../support/replyFixtures.js";
import { wildcardMatches } from "./support/iamMatch.js";
import { type ProgramRun, runProgramForStack } from "./support/programRun.js";

/**
 * Least privilege, proven by use: the pipeline runs on the local stack with a counting proxy
 * (local/countingProxy.ts) between the handlers and each AWS stand-in, one handler at a time,
 * through every path that needs a grant (new and repeated delivery, a queue outage, a reply plan
 * with a chained hop, a vendor failure and retry, an HTTP reply policy that is down once and one
 * that answers something invalid). Each recorded call is then held against the
 * policy the Pulumi program builds for that function, on the resource the program builds, and
 * each grant of that policy must be used by some recorded call (or by Lambda on the function's
 * behalf: its logs and its SQS event source mapping, whose polling the local stack does directly).
 */

const FNS: FunctionName[] = ["receiver", "responder", "sender"];
const SERVICES = {
  dynamodb: "dynamodb",
  sqs: "sqs",
  secretsManager: "secretsmanager",
  scheduler: "scheduler",
} as const;
type AwsService = keyof typeof SERVICES;

/** One call as recorded: the IAM action and the resource as the local stack names it. */
interface Call {
  action: string;
  resource: string;
}

const RULES = [
  {
    match: "ping",
    // The second reply is due well after the longest hop (3 s here): the responder puts it in a
    // schedule that fires 3 s before it is due, and the sender takes the final hop.
    messages: [
      { text: "pong", delay: 0 },
      { text: "pong later", delay: 10_000 },
    ],
  },
];
const PHONES = {
  chained: "14155550181",
  retried: "14155550182",
  policyDownOnce: "14155550185",
  policyInvalid: "14155550186",
};

let stack: LocalStack;
let program: ProgramRun;
let sqsFault: FaultProxy | undefined;
let policy: PolicyEndpoint;
const counters: Partial<Record<AwsService, CountingProxy>> = {};
const calls: Record<FunctionName, Call[]> = { receiver: [], responder: [], sender: [] };

/**
 * Moves what the proxies counted since the last call into `calls[fn]`; with no `fn` (the handlers'
 * module init, e.g. a secret read ahead), each call goes to the one function whose env names it.
 */
function collect(fn?: FunctionName) {
  for (const [service, counter] of Object.entries(counters) as [AwsService, CountingProxy][]) {
    for (const [operation, tally] of counter.tallies()) {
      for (const resource of Object.keys(tally.resources)) {
        const call = { action: `${SERVICES[service]}:${operation}`, resource };
        const owners = fn ? [fn] : FNS.filter((f) => envNaming(f, resource) !== undefined);
        if (owners.length !== 1)
          throw new Error(`cannot tell whose call ${call.action} on ${resource} is`);
        calls[owners[0] as FunctionName].push(call);
        // A schedule made with a role passes that role: IAM checks iam:PassRole on it as well.
        if (call.action === "scheduler:CreateSchedule") {
          const role = stack.handlerEnv[ENV.replySchedulerRoleArn] as string;
          calls[owners[0] as FunctionName].push({ action: "iam:PassRole", resource: role });
        }
      }
    }
    counter.reset();
  }
}

/** Waits until the proxies have seen no new call for half a second (work started has landed). */
async function settled() {
  const total = () =>
    Object.values(counters).reduce(
      (sum, c) => sum + [...(c?.tallies().values() ?? [])].reduce((n, t) => n + t.calls, 0),
      0,
    );
  let last = -1;
  while (total() !== last) {
    last = total();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The env var of fn whose local value names the resource (a table, its index, a queue, a secret). */
function envNaming(fn: FunctionName, localResource: string) {
  // A table's index (<table>/index/<name>), or a schedule (<group>/<name>): named by its parent.
  const [table = ""] = localResource.split("/index/");
  const [group] = table.split("/");
  if (group && stack.handlerEnv[ENV.replyScheduleGroup] === group && table.includes("/")) {
    return ENV.replyScheduleGroup;
  }
  const names =
    fn === "responder" ? [...FUNCTION_ENV[fn], ...REPLY_POLICY_FUNCTION_ENV] : FUNCTION_ENV[fn];
  return names.find((env) => stack.handlerEnv[env] === table);
}

const post = (phone: string, text: string) => {
  const body = sampleWebhookBody({ phone, text, at: Date.now() });
  return postWebhook(
    stack.receiverUrl,
    body,
    signatureFor(body, stack.signingSecret, stack.signatureScheme),
  );
};

beforeAll(async () => {
  policy = await startPolicyEndpoint();
  // The policy is down once for one contact (backoff), and answers another with a blank text.
  policy.answer(
    PHONES.policyDownOnce,
    { status: 503 },
    {
      status: 200,
      body: { messages: [{ text: "from the policy", delay: 0 }] },
    },
  );
  policy.answer(PHONES.policyInvalid, {
    status: 200,
    body: { messages: [{ text: "", delay: 0 }] },
  });
  program = await runProgramForStack("dev", {
    "whatsable-replies:vendorToken": "token",
    "whatsable-replies:replyPolicyUrl": "https://policy.example.com/reply",
    "whatsable-replies:replyPolicySecret": policy.secret,
  });
  stack = await startLocalStack({
    services: { awsEnv: inject("awsEnv") },
    prefix: `iam${Date.now() % 100_000}-`,
    rules: RULES,
    replyPolicy: { url: policy.url, secret: policy.secret },
    maxSqsDelaySeconds: 3,
    workers: "manual",
    // The queue outage is logged as an error on purpose; the test needs no handler logs.
    logLevel: "SILENT",
    log: () => undefined,
    timing: { visibilityTimeoutSeconds: 5 },
    wrapEndpoint: async (service: StackService, endpoint: string) => {
      if (service === "vendor") return undefined;
      // SQS also gets a fault proxy behind the counter, for the queue outage.
      const fault = service === "sqs" ? await startFaultProxy(endpoint) : undefined;
      if (fault) sqsFault = fault;
      const counter = await startCountingProxy(fault?.url ?? endpoint);
      counters[service] = counter;
      return {
        endpoint: counter.endpoint,
        stop: async () => {
          await counter.stop();
          await fault?.stop();
        },
      };
    },
  });

  // The handlers' module init (all three load at start; the sender reads its token ahead).
  await settled();
  collect();

  // Receiver: a new delivery, the same again (the FIFO queue drops it), and one while SQS is down.
  expect((await post(PHONES.chained, "ping")).status).toBe(200);
  const repeat = sampleWebhookBody({ phone: PHONES.retried, text: "ping", at: Date.now() });
  const signature = signatureFor(repeat, stack.signingSecret, stack.signatureScheme);
  expect((await postWebhook(stack.receiverUrl, repeat, signature)).body).toEqual({
    status: "accepted",
  });
  expect((await postWebhook(stack.receiverUrl, repeat, signature)).body).toEqual({
    status: "accepted",
  });
  // An identical delivery while the first is still enqueueing (SQS hangs a moment): both are the
  // one SendMessage, and SQS keeps one job.
  const twin = sampleWebhookBody({ phone: "14155550184", text: "hello", at: Date.now() });
  const twinSignature = signatureFor(twin, stack.signingSecret, stack.signatureScheme);
  await sqsFault?.setMode("hang");
  const first = postWebhook(stack.receiverUrl, twin, twinSignature);
  await sleep(300);
  const second = postWebhook(stack.receiverUrl, twin, twinSignature);
  await sleep(700);
  await sqsFault?.setMode("up");
  expect([(await first).body, (await second).body]).toEqual([
    { status: "accepted" },
    { status: "accepted" },
  ]);
  await sqsFault?.setMode("refuse");
  expect((await post("14155550183", "ping")).status).toBe(503);
  await sqsFault?.setMode("up");
  // Messages no rule matches, for the HTTP policy.
  expect((await post(PHONES.policyDownOnce, "a question")).status).toBe(200);
  expect((await post(PHONES.policyInvalid, "another question")).status).toBe(200);
  collect("receiver");

  // Responder: both ping jobs become reply plans; the policy's contacts get a backoff then a
  // plan, and a DLQ entry.
  const { responder, sender } = stack.workers;
  responder?.start();
  const sends = () => counters.sqs?.tallies().get("SendMessage")?.calls ?? 0;
  const schedules = () => counters.scheduler?.tallies().get("CreateSchedule")?.calls ?? 0;
  await waitFor("both jobs handled", () => (responder?.invocations() ?? 0) >= 1, {
    timeoutMs: 20_000,
  });
  await waitFor(
    "both plans (a reply queued, a reply scheduled), the policy's plan and the dead-lettered job",
    () => sends() >= 2 + 2 && schedules() >= 2,
    { timeoutMs: 30_000 },
  );
  // A job delivered again (past SQS's deduplication window): it reads its stored plan back.
  const webhook = parseWebhook(repeat);
  await stack.sqsClient.send(
    new SendMessageCommand({
      QueueUrl: stack.resources.queues.jobs,
      MessageBody: JSON.stringify(
        aJob({ key: messageKey(webhook), acceptedAt: Date.now(), webhook }),
      ),
      // The FIFO queue's group is the contact; a new deduplication id stands for "after the window".
      MessageGroupId: webhook.phone,
      MessageDeduplicationId: `${messageKey(webhook).slice(0, 64)}-later`,
    }),
  );
  await waitFor("the stored plan queued again", () => sends() >= 3 + 2, { timeoutMs: 20_000 });
  await responder?.stop();
  collect("responder");

  // Sender: the first send fails (backoff), the rest go out, the late replies from their
  // schedules through the final hop.
  stack.vendor.scriptSendResponses([{ status: 500 }]);
  sender?.start();
  await waitFor("every reply sent", () => stack.vendor.sent().length >= 5, { timeoutMs: 30_000 });
  await sender?.stop();
  collect("sender");
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await policy?.stop();
}, 30_000);

/** The program's value of one of fn's env vars. */
function programEnv(fn: FunctionName): Record<string, string> {
  const lambda = program.registered.find(
    (r) => r.type === "aws:lambda/function:Function" && r.name === fn,
  );
  const environment = lambda?.inputs.environment as { variables: Record<string, string> };
  return environment.variables;
}

/**
 * The ARN the program gives the resource a local call addressed: the local name is the value of
 * one of the function's env vars; the program's value of that var names (or is) the resource.
 */
function programArn(fn: FunctionName, localResource: string): string {
  const [, index] = localResource.split("/index/");
  const name = envNaming(fn, localResource);
  if (!name) throw new Error(`${fn} addressed ${localResource}, which none of its env vars names`);
  const value = programEnv(fn)[name];
  const resource = program.registered.find((r) =>
    [r.outputs.name, r.outputs.url, r.outputs.arn].includes(value),
  );
  const arn = resource?.outputs.arn;
  if (typeof arn !== "string") throw new Error(`no resource in the program for ${name}=${value}`);
  if (name === ENV.replyScheduleGroup) {
    // A schedule of the group: arn:…:schedule/<group>/<name> (Service Authorization Reference).
    const schedule = localResource.split("/").slice(1).join("/");
    return `${arn.replace(":schedule-group/", ":schedule/")}/${schedule}`;
  }
  return index ? `${arn}/index/${index}` : arn;
}

function policyOf(fn: FunctionName): PolicyDocument {
  const policy = program.registered.find(
    (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === `${fn}-policy`,
  );
  return JSON.parse(policy?.inputs.policy as string) as PolicyDocument;
}

const covers = wildcardMatches;

function allowed(fn: FunctionName, action: string, arn: string): boolean {
  return policyOf(fn).Statement.some(
    (s) => s.Action.includes(action) && s.Resource.some((r) => covers(r, arn)),
  );
}

/** Grants Lambda uses on the function's behalf: its log streams, its SQS trigger's polling. */
function platformGrants(fn: FunctionName): Call[] {
  const logGroup = program.registered.find(
    (r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && r.name === `${fn}-logs`,
  );
  const grants: Call[] = ACTIONS.writeLogs.map((action) => ({
    action,
    resource: `${logGroup?.outputs.arn}:log-stream:x`,
  }));
  const trigger = program.registered.find(
    (r) =>
      r.type === "aws:lambda/eventSourceMapping:EventSourceMapping" && r.name === `${fn}-trigger`,
  );
  if (trigger) {
    for (const action of ACTIONS.consumeQueue) {
      grants.push({ action, resource: String(trigger.inputs.eventSourceArn) });
    }
  }
  return grants;
}

describe.each(FNS)("%s's IAM policy, by use", (fn) => {
  it("allows every AWS call the function made, on the resource the program builds", () => {
    expect(calls[fn].length).toBeGreaterThan(0);
    const refused = calls[fn]
      .map(({ action, resource }) => ({ action, arn: programArn(fn, resource) }))
      .filter(({ action, arn }) => !allowed(fn, action, arn))
      .map(({ action, arn }) => `${action} on ${arn}`);
    expect(refused).toEqual([]);
  });

  it("grants nothing that no call used", () => {
    const used = [
      ...calls[fn].map(({ action, resource }) => ({ action, arn: programArn(fn, resource) })),
      ...platformGrants(fn).map(({ action, resource }) => ({ action, arn: resource })),
    ];
    const unused: string[] = [];
    for (const statement of policyOf(fn).Statement) {
      for (const action of statement.Action) {
        for (const resource of statement.Resource) {
          if (!used.some((u) => u.action === action && covers(resource, u.arn))) {
            unused.push(`${statement.Sid}: ${action} on ${resource}`);
          }
        }
      }
    }
    expect(unused).toEqual([]);
  });
});
