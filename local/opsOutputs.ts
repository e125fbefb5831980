import { rename, writeFile } from "node:fs/promises";
import { settingsSchema } from "../infra/settings.js";
import { FUNCTIONS } from "../lambdas/contract.js";
import { parseStackOutputs, type StackOutputs } from "../ops/outputs.js";
import type { LocalStack } from "./stack.js";
import { VENDOR_CONSOLE_ORIGIN, VENDOR_PATHS } from "./vendorSimulator.js";

/**
 * `npm start -- --outputs FILE`: the local stack described the way `pulumi stack output --json`
 * describes a deployed one (the keys in ops/outputs.ts), plus `local`, the endpoints of the
 * stand-ins, so `npm run ops -- <command> --outputs FILE` works locally as on AWS.
 */

const MANAGEMENT = {
  listPath: "/webhook/dev",
  createPath: "/webhook/dev/create",
  authPrefix: "Bearer ",
} as const;

const queueName = (url: string) => url.slice(url.lastIndexOf("/") + 1);

/** What a stack file that sets no webhook key registers: the settings' defaults. */
const DEFAULT_REGISTRATION = settingsSchema
  .pick({
    webhookIncoming: true,
    webhookOutgoing: true,
    scheduleActivity: true,
    activeSignature: true,
  })
  .parse({});

/**
 * Registers the receiver at the vendor simulator, as `pulumi up` registers a stack's endpoint at
 * the vendor (generation 1, `?g=1`, with the settings' defaults), so `status` has a registration
 * to report. The simulator
 * does not deliver webhooks, so the signing secret it issues is not used.
 */
export async function registerLocalWebhook(
  stack: Pick<LocalStack, "vendorUrl" | "receiverUrl" | "vendorToken">,
): Promise<number> {
  const response = await fetch(
    `${stack.vendorUrl}${VENDOR_PATHS.management}${MANAGEMENT.createPath}`,
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `${MANAGEMENT.authPrefix}${stack.vendorToken}`,
        origin: VENDOR_CONSOLE_ORIGIN,
      },
      body: JSON.stringify({
        webhooks: `${stack.receiverUrl}?g=1`,
        status: true,
        incoming: DEFAULT_REGISTRATION.webhookIncoming,
        outgoing: DEFAULT_REGISTRATION.webhookOutgoing,
        schedule_activity: DEFAULT_REGISTRATION.scheduleActivity,
        waiting_duration: 0,
        active_signature: DEFAULT_REGISTRATION.activeSignature,
      }),
    },
  );
  if (!response.ok) {
    throw new Error(`the vendor simulator refused the webhook registration: ${response.status}`);
  }
  return ((await response.json()) as { id: number }).id;
}

/** The outputs document of a running local stack. */
function localStackOutputs(stack: LocalStack, webhookId: number): StackOutputs {
  const { resources, awsEnv } = stack;
  return parseStackOutputs(
    {
      endpointUrl: stack.receiverUrl,
      webhookIds: { "1": webhookId },
      webhookId,
      tableNames: resources.tables,
      queueNames: {
        jobs: queueName(resources.queues.jobs),
        jobsDeadLetter: queueName(resources.queues.jobsDlq),
        replies: queueName(resources.queues.replies),
        repliesDeadLetter: queueName(resources.queues.repliesDlq),
      },
      functionNames: { ...FUNCTIONS },
      scheduleNames: {
        group: resources.schedules.group,
        deadLetter: queueName(resources.schedules.deadLetter),
      },
      secretArns: {
        signingSecret: resources.secrets.signing,
        vendorToken: resources.secrets.vendorToken,
        ...(resources.secrets.replyPolicy ? { replyPolicy: resources.secrets.replyPolicy } : {}),
      },
      vendorManagement: {
        baseUrl: `${stack.vendorUrl}${VENDOR_PATHS.management}`,
        listPath: MANAGEMENT.listPath,
        authPrefix: MANAGEMENT.authPrefix,
        origin: VENDOR_CONSOLE_ORIGIN,
      },
      region: awsEnv.AWS_REGION,
      local: {
        region: awsEnv.AWS_REGION,
        endpoints: {
          dynamodb: awsEnv.AWS_ENDPOINT_URL_DYNAMODB,
          sqs: awsEnv.AWS_ENDPOINT_URL_SQS,
          secretsManager: awsEnv.AWS_ENDPOINT_URL_SECRETS_MANAGER,
          scheduler: awsEnv.AWS_ENDPOINT_URL_SCHEDULER,
        },
        vendorBaseUrl: stack.vendorUrl,
      },
    },
    "the local stack's outputs",
  );
}

/**
 * Registers the webhook and writes the outputs to `file` (whole or not at all: a temporary file
 * renamed over it, so a reader never sees half a document). Holds no secret: ARNs and URLs only.
 */
export async function writeLocalOutputs(stack: LocalStack, file: string): Promise<StackOutputs> {
  const outputs = localStackOutputs(stack, await registerLocalWebhook(stack));
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(outputs, null, 2)}\n`);
  await rename(temporary, file);
  return outputs;
}
