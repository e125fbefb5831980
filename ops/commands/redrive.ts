import { type Command, type CommandContext, nextCommand } from "../command.js";
import { formatDuration } from "../duration.js";
import { OpsError } from "../errors.js";
import { REQUIRED_OUTPUTS, requireOutputs } from "../outputs.js";
import {
  type MoveTaskStatus,
  moveMessages,
  moveTaskStatus,
  type QueuePair,
  queueDepth,
  queuePair,
  startMoveTask,
  totalOf,
} from "../queues.js";
import { checkQueueArg } from "./queueArgs.js";

/** How long to follow an AWS move task before leaving it to run on its own. */
const WAIT_LIMIT_MS = 5 * 60_000;
const POLL_MS = 3000;

export const redriveCommand: Command = {
  name: "redrive",
  summary: "move a dead-letter queue's messages back to their queue, to be tried again",
  args: "jobs|replies",
  target: "required",
  description: [
    "Moves every message of the jobs or replies dead-letter queue back to its work queue. Fix the",
    "cause first (see `dlq` and the function's logs), or the messages fail again and return.",
    "On AWS this starts an SQS message-move task and follows it until it finishes (5 minutes at",
    "most; it keeps running after that); SQS runs one task per queue at a time. Locally, where the",
    "emulator has no move tasks, each message is received, sent to the work queue and only then",
    "deleted from the DLQ: nothing is lost if it stops half-way; it moves what the DLQ held when it",
    "began, each message once: a message that fails again at once and comes back is left in the DLQ",
    "and counted as such (SQS's task counts the messages to move when it starts). A redriven reply",
    "that is already past due is sent right away; one that was sent before is not sent twice (its",
    "reply item).",
  ].join("\n"),
  options: {
    "no-wait": {
      type: "boolean",
      help: "AWS: start the move task and return without following it",
    },
  },
  check(positionals) {
    checkQueueArg("redrive", positionals, true);
  },
  examples: ["redrive replies --stack prod", "redrive jobs --outputs local.json"],
  async run(context) {
    const { target, clients, positionals } = context;
    // Before the depth is read: whatever reaches the DLQ after this is not this run's to move.
    const startedAt = context.now();
    const outputs = requireOutputs(target.outputs, REQUIRED_OUTPUTS.redrive, target.source);
    const label = positionals[0] as "jobs" | "replies";
    const pair = await queuePair(clients.sqs, outputs.queueNames, label);
    const before = totalOf(await queueDepth(clients.sqs, pair.deadLetter.url));
    if (before === 0) {
      return {
        ok: true,
        text: `Nothing to redrive: ${pair.deadLetter.name} is empty.`,
        json: {
          queue: label,
          from: pair.deadLetter.name,
          to: pair.queue.name,
          method: null,
          moved: 0,
        },
      };
    }
    return target.local
      ? redriveByCopy(context, pair, { startedAt, limit: before })
      : redriveByMoveTask(context, pair, before);
  },
};

async function redriveByCopy(
  { clients, progress }: CommandContext,
  pair: QueuePair,
  run: { startedAt: number; limit: number },
) {
  const result = await moveMessages(clients.sqs, pair.deadLetter, pair.queue, {
    ...run,
    onProgress: (moved) => {
      if (moved % 50 === 0) progress(`moved ${moved}...`);
    },
  });
  const duplicated = result.duplicated
    ? `\n${result.duplicated} of them could not be deleted from ${pair.deadLetter.name} and will be redriven again by the next redrive (harmless: the pipeline ignores repeats).`
    : "";
  const cameBack = result.cameBack
    ? `\n${result.cameBack} of them failed again at once and are back in ${pair.deadLetter.name} (not moved again: fix the cause first, see the function's logs).`
    : "";
  const arrived = result.arrivedDuring
    ? `\n${result.arrivedDuring} message(s) reached ${pair.deadLetter.name} while this ran (another redrive's, or new failures): left for the next redrive.`
    : "";
  return {
    ok: true,
    text: `Moved ${result.moved} message${result.moved === 1 ? "" : "s"} from ${pair.deadLetter.name} back to ${pair.queue.name}.${duplicated}${cameBack}${arrived}`,
    json: {
      queue: pair.label,
      from: pair.deadLetter.name,
      to: pair.queue.name,
      method: "receive-send-delete",
      moved: result.moved,
      duplicated: result.duplicated,
      cameBack: result.cameBack,
      arrivedDuring: result.arrivedDuring,
    },
  };
}

async function redriveByMoveTask(context: CommandContext, pair: QueuePair, before: number) {
  const { clients, values, now, progress } = context;
  const sqs = clients.sqs;
  const handle = await startMoveTask(sqs, pair.deadLetter).catch((error: Error) => {
    throw new OpsError(
      `SQS refused the message-move task for ${pair.deadLetter.name}: ${error.message}`,
      {
        cause: error,
      },
    );
  });
  const base = {
    queue: pair.label,
    from: pair.deadLetter.name,
    to: pair.queue.name,
    method: "message-move-task",
    taskHandle: handle,
  };
  if (values["no-wait"]) {
    return {
      ok: true,
      text: `Started moving ${before} message(s) from ${pair.deadLetter.name} back to ${pair.queue.name} (SQS message-move task).\nFollow it with: ${nextCommand(context, "dlq", pair.label)}`,
      json: { ...base, status: "RUNNING", moved: 0, toMove: before },
    };
  }
  const started = now();
  let status: MoveTaskStatus | undefined;
  for (;;) {
    status = await moveTaskStatus(sqs, pair.deadLetter);
    if (status && status.handle === handle && status.status !== "RUNNING") break;
    if (now() - started > WAIT_LIMIT_MS) break;
    if (status) progress(`moved ${status.moved} of ${status.toMove ?? "?"}...`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const state = status?.status ?? "UNKNOWN";
  const moved = status?.moved ?? 0;
  const json = {
    ...base,
    status: state,
    moved,
    toMove: status?.toMove ?? before,
    failureReason: status?.failureReason ?? null,
  };
  if (state === "COMPLETED") {
    return {
      ok: true,
      text: `Moved ${moved} message(s) from ${pair.deadLetter.name} back to ${pair.queue.name}.`,
      json,
    };
  }
  if (state === "RUNNING") {
    return {
      ok: true,
      text: `Still moving after ${formatDuration(now() - started)}: ${moved} of ${status?.toMove ?? before} moved so far. The task keeps running; follow it with: ${nextCommand(context, "dlq", pair.label)}`,
      json,
    };
  }
  return {
    ok: false,
    text: `The move task ended ${state} after ${moved} message(s)${status?.failureReason ? `: ${status.failureReason}` : ""}. The rest are still in ${pair.deadLetter.name}.`,
    json,
  };
}
