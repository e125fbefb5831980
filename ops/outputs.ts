import { open } from "node:fs/promises";
import { z } from "zod";
import { messageOf, OutputsError } from "./errors.js";

/**
 * The stack outputs the ops CLI reads: the ONE place that says which keys it needs. A deployed
 * stack provides them through `pulumi stack output --json` (infra/index.ts exports them); the
 * local stack writes the same document with `npm start -- --outputs FILE`, plus `local`, the
 * endpoints of its stand-ins. Other keys (logGroupNames, ...) pass through unchecked.
 *
 * Every key is optional at parse time so each command can name exactly what it lacks: `dlq`
 * works against a stack that exports only queueNames.
 */

const name = z.string().min(1);
const url = z.url({ protocol: /^https?$/ });

const stackOutputsSchema = z.looseObject({
  /** The URL the vendor delivers to (generation URLs add `?g=<n>`). */
  endpointUrl: z.optional(url),
  /** Vendor webhook ids by generation, e.g. { "1": 1205 }. */
  webhookIds: z.optional(z.record(z.string(), z.number().int().positive())),
  /** The conversation table (one partition per contact: lambdas/core/conversation.ts). */
  tableNames: z.optional(z.looseObject({ conversation: name })),
  queueNames: z.optional(
    z.object({ jobs: name, jobsDeadLetter: name, replies: name, repliesDeadLetter: name }),
  ),
  functionNames: z.optional(z.object({ receiver: name, responder: name, sender: name })),
  /**
   * ARNs only, never values. managementToken: a separate console token, when the stack has one;
   * signingSecret: the webhook signing secret (`trigger` signs its test delivery with it).
   */
  secretArns: z.optional(
    z.looseObject({
      vendorToken: name,
      managementToken: z.optional(name),
      signingSecret: z.optional(name),
      /** With replyPolicyUrl: the HTTP reply policy's secret (`replay --policy` signs with it). */
      replyPolicy: z.optional(name),
    }),
  ),
  /** How to call the vendor's webhook management API (the VendorWebhook provider's settings). */
  vendorManagement: z.optional(
    z.object({
      baseUrl: url,
      listPath: z.string().startsWith("/"),
      authPrefix: z.string(),
      origin: url,
    }),
  ),
  /** Far replies' schedules: the stack's EventBridge Scheduler group and the scheduler's DLQ. */
  scheduleNames: z.optional(z.object({ group: name, deadLetter: name })),
  /** The SNS topic every pipeline alarm notifies: alarms are found by this action. */
  alarmTopicArn: z.optional(name),
  /** The stack's region; without it the ambient AWS region is used. */
  region: z.optional(name),
  /** Only in the local stack's file: where its stand-ins listen. */
  local: z.optional(
    z.object({
      region: name,
      endpoints: z.object({
        dynamodb: url,
        sqs: url,
        secretsManager: url,
        // Optional: an outputs file written before the Scheduler stand-in existed has none.
        scheduler: z.optional(url),
      }),
      vendorBaseUrl: url,
    }),
  ),
});

export type StackOutputs = z.infer<typeof stackOutputsSchema>;
export type OutputKey = keyof typeof stackOutputsSchema.shape;

/** What each command needs from the outputs (status degrades per section instead). */
export const REQUIRED_OUTPUTS = {
  dlq: ["queueNames"],
  redrive: ["queueNames"],
  conversation: ["tableNames"],
  pending: ["tableNames"],
  cancel: ["tableNames"],
  pause: ["tableNames"],
  resume: ["tableNames"],
  status: ["queueNames"],
  "status:errors": ["functionNames"],
  "status:webhook": ["endpointUrl", "webhookIds", "secretArns", "vendorManagement"],
  "status:alarms": ["alarmTopicArn"],
  trigger: ["endpointUrl", "secretArns"],
  replay: ["tableNames"],
} as const satisfies Record<string, readonly OutputKey[]>;

/** Validates a parsed outputs document; the error names the key and where it came from. */
export function parseStackOutputs(json: unknown, source: string): StackOutputs {
  const result = stackOutputsSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.map(String).join(".") || "(document)"}: ${issue.message}`,
    );
    throw new OutputsError(`${source}: not valid stack outputs:\n  - ${problems.join("\n  - ")}`);
  }
  return result.data;
}

type Defined<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };

/**
 * Narrows the outputs to those that have every key `needs` names.
 * @throws OutputsError naming the missing keys and how to get them
 */
export function requireOutputs<K extends OutputKey>(
  outputs: StackOutputs,
  needs: readonly K[],
  source: string,
): Defined<StackOutputs, K> {
  const missing = needs.filter((key) => outputs[key] === undefined);
  if (missing.length > 0) {
    throw new OutputsError(
      `${source} has no ${missing.map((key) => `"${key}"`).join(", ")}: ` +
        "deploy a version of the stack that exports it (pulumi up), or restart npm start with --outputs",
    );
  }
  return outputs as Defined<StackOutputs, K>;
}

/** A stack's outputs are a few kB; more is not an outputs file (`--outputs /dev/zero`). */
export const MAX_OUTPUTS_BYTES = 1024 * 1024;

/**
 * The text of an outputs file, read up to {@link MAX_OUTPUTS_BYTES}: a device or a pipe that never
 * ends (/dev/zero, /dev/urandom) is refused once past the cap instead of read until V8 gives up.
 * A pipe that does end (`--outputs /dev/stdin` after `pulumi stack output --json |`) still works.
 * @throws OutputsError naming the file
 */
export async function readOutputsFile(path: string): Promise<string> {
  const source = `outputs file ${path}`;
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : messageOf(error);
    throw new OutputsError(`cannot read ${source}: ${reason}`, { cause: error });
  }
  try {
    const buffer = Buffer.alloc(MAX_OUTPUTS_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_OUTPUTS_BYTES) {
      throw new OutputsError(
        `${source} is larger than ${MAX_OUTPUTS_BYTES / 1024 / 1024} MiB: not a stack outputs file`,
      );
    }
    return buffer.subarray(0, length).toString("utf8");
  } catch (error) {
    if (error instanceof OutputsError) throw error;
    throw new OutputsError(`cannot read ${source}: ${messageOf(error)}`, { cause: error });
  } finally {
    await file.close();
  }
}
