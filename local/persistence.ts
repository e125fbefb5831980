import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { paginateListSchedules, SchedulerClient } from "@aws-sdk/client-scheduler";
import { queueDepth, totalOf } from "../ops/queues.js";
import type { LocalStack } from "./stack.js";

/**
 * What `npm start -- --data-dir DIR` keeps across restarts, and what it cannot.
 *
 * Kept: DynamoDB Local's tables (one SQLite file under DIR/dynamodb): the conversation table, so
 * a reply already sent is not sent again after a restart and a contact's state (pause, opt-out)
 * survives; and fauxqs's queues (one SQLite file under DIR/sqs; fauxqs 2.x on Node >= 22.5, the
 * project's baseline): jobs not yet processed, replies still scheduled (with their remaining
 * delay) and the DLQs; and the EventBridge Scheduler stand-in's schedules (DIR/scheduler/
 * schedules.json): far replies parked until a few minutes before they are due. A reply whose due
 * time passed while the stack was down is sent at the next start, late; the FIFO jobs queue's
 * 5-minute deduplication window is kept too.
 *
 * Lost: the Secrets Manager stand-in (in memory; the secrets are recreated from the start options)
 * and the vendor simulator's sent list and registrations. Without --data-dir everything is in
 * memory, and the shutdown counts the queued work it loses in a log line (lostOnStopLine): replies
 * on the queue and in schedules, and jobs.
 */

/** Creates (if needed) and returns the directories the emulators keep their state in. */
export async function dataDirectories(
  dataDir: string,
): Promise<{ dynamodb: string; sqs: string; scheduler: string }> {
  const dynamodb = join(resolve(dataDir), "dynamodb");
  const sqs = join(resolve(dataDir), "sqs");
  const scheduler = join(resolve(dataDir), "scheduler");
  await Promise.all(
    [dynamodb, sqs, scheduler].map((directory) => mkdir(directory, { recursive: true })),
  );
  return { dynamodb, sqs, scheduler };
}

/**
 * Messages in the work queues (waiting, in flight, delayed) and far replies in the Scheduler
 * stand-in's schedules: what a stop loses. Replies count both (a reply is in one or the other).
 */
async function lostOnStop(stack: LocalStack): Promise<{ jobs: number; replies: number }> {
  const count = async (url: string) => totalOf(await queueDepth(stack.sqsClient, url));
  const [jobs, queued, scheduled] = await Promise.all([
    count(stack.resources.queues.jobs),
    count(stack.resources.queues.replies),
    countSchedules(stack),
  ]);
  return { jobs, replies: queued + scheduled };
}

/** The schedules in the stack's group (one per far reply not yet fired). */
async function countSchedules(stack: LocalStack): Promise<number> {
  const scheduler = new SchedulerClient({
    endpoint: stack.awsEnv.AWS_ENDPOINT_URL_SCHEDULER,
    region: stack.awsEnv.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    let total = 0;
    for await (const page of paginateListSchedules(
      { client: scheduler },
      { GroupName: stack.resources.schedules.group },
    )) {
      total += page.Schedules?.length ?? 0;
    }
    return total;
  } finally {
    scheduler.destroy();
  }
}

/**
 * The shutdown's log line about queued work: lost (in memory), or kept in the data directory;
 * undefined when nothing is queued.
 */
export async function lostOnStopLine(
  stack: LocalStack,
  dataDir?: string,
): Promise<string | undefined> {
  const { jobs, replies } = await lostOnStop(stack).catch(() => ({ jobs: -1, replies: -1 }));
  if (jobs < 0) {
    return dataDir
      ? undefined
      : "stopping: could not count the queued messages; any still queued are lost";
  }
  if (jobs + replies === 0) return undefined;
  const work = `${replies} scheduled repl${replies === 1 ? "y" : "ies"} and ${jobs} unprocessed job${jobs === 1 ? "" : "s"}`;
  return dataDir
    ? `stopping: ${work} stay queued in ${dataDir}: the next npm start -- --data-dir ${dataDir} goes on with them`
    : `stopping: ${work} are lost: without --data-dir the local queues are kept in memory only (README, "Local persistence")`;
}
