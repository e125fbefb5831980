import { UsageError } from "../errors.js";
import { QUEUE_LABELS, type QueueLabel } from "../queues.js";

/** Checks a `jobs|replies` argument; `required` for commands that act on one queue. */
export function checkQueueArg(command: string, positionals: string[], required: boolean): void {
  if (positionals.length > 1) {
    throw new UsageError(`${command}: one queue at most, got ${positionals.join(" ")}`);
  }
  const [queue] = positionals;
  if (queue === undefined) {
    if (required) throw new UsageError(`${command}: which queue? ${QUEUE_LABELS.join(" or ")}`);
    return;
  }
  if (!QUEUE_LABELS.includes(queue as QueueLabel)) {
    throw new UsageError(`${command}: unknown queue "${queue}": ${QUEUE_LABELS.join(" or ")}`);
  }
}

/** The queues a checked argument names (all of them when absent). */
export const queuesOf = (positionals: string[]): QueueLabel[] =>
  positionals.length ? [positionals[0] as QueueLabel] : [...QUEUE_LABELS];
