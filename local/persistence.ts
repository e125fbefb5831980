import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { queueDepth, totalOf } from "../ops/queues.js";
import type { LocalStack } from "./stack.js";

/**
 * What `npm start -- --data-dir DIR` keeps across restarts, and what it cannot.
 *
 * Kept: DynamoDB Local's tables (one SQLite file under DIR/dynamodb): the conversation log and
 * the sent markers (a reply already sent is not sent again after a restart). The jobs queue's
 * deduplication lives in fauxqs, in memory: a delivery repeated after a restart is a new job with
 * the same key, which maps to the same plan and markers.
 *
 * Lost: the queues. fauxqs 1.9.2, the release that runs on Node 20, keeps everything in memory
 * (its README, "Limitations: persistence across restarts"); fauxqs 2.x can persist to SQLite
 * (`dataDir`) but needs Node >= 22.5. So jobs not yet processed and replies still scheduled
 * vanish with the process; `lostOnStop` counts them so the shutdown says so in a log line.
 * Also new on every start: the Secrets Manager stand-in (in memory; the secrets are recreated
 * from the start options) and the vendor simulator's sent list and registrations.
 */

/** Creates (if needed) and returns the directory DynamoDB Local keeps its tables in. */
export async function dynamoDbDirectory(dataDir: string): Promise<string> {
  const directory = join(resolve(dataDir), "dynamodb");
  await mkdir(directory, { recursive: true });
  return directory;
}

/** Messages in the work queues (waiting, in flight, delayed): what a stop loses. */
export async function lostOnStop(stack: LocalStack): Promise<{ jobs: number; replies: number }> {
  const count = async (url: string) => totalOf(await queueDepth(stack.sqsClient, url));
  const [jobs, replies] = await Promise.all([
    count(stack.resources.queues.jobs),
    count(stack.resources.queues.replies),
  ]);
  return { jobs, replies };
}

/** The shutdown's log line about queued work that is lost, or undefined when there is none. */
export async function lostOnStopLine(stack: LocalStack): Promise<string | undefined> {
  const { jobs, replies } = await lostOnStop(stack).catch(() => ({ jobs: -1, replies: -1 }));
  if (jobs < 0) return "stopping: could not count the queued messages; any still queued are lost";
  if (jobs + replies === 0) return undefined;
  return (
    `stopping: ${replies} scheduled repl${replies === 1 ? "y" : "ies"} and ${jobs} unprocessed ` +
    `job${jobs === 1 ? "" : "s"} are lost: the local queues are kept in memory only (README, "Local persistence")`
  );
}
