import { type Command, nextCommand } from "../command.js";
import { formatRelative } from "../duration.js";
import { UsageError } from "../errors.js";
import { NONE, renderTable, section } from "../format.js";
import { REQUIRED_OUTPUTS, requireOutputs } from "../outputs.js";
import { peekMessages, queueDepth, queuePair, totalOf } from "../queues.js";
import { checkQueueArg, queuesOf } from "./queueArgs.js";

const DEFAULT_LIMIT = 5;
const MAX_LIMIT = 50;

export const dlqCommand: Command = {
  name: "dlq",
  summary: "what the dead-letter queues hold: counts, and with --peek a few messages, redacted",
  args: "[jobs|replies]",
  target: "required",
  description: [
    "Shows how many messages each dead-letter queue holds (jobs: webhooks the responder could",
    "not process; replies: replies the sender could not send), from the queues' attributes: this",
    "receives nothing, so it changes nothing. With --peek it also shows a few of them, oldest",
    "first: kind, contact (country code and last 4 digits only), reply position, due time, receive",
    "count. Message texts are never shown. A peek does not take the messages (the DLQ keeps",
    "them), but SQS counts every receive: each peek adds 1 to the receive count of each message",
    "shown, so the RECEIVES column includes earlier peeks.",
  ].join("\n"),
  options: {
    peek: {
      type: "boolean",
      help: "also show a few messages (receives them: adds 1 to their receive count)",
    },
    limit: {
      type: "string",
      valueName: "N",
      help: `with --peek: messages shown per queue, 1-${MAX_LIMIT} (default ${DEFAULT_LIMIT})`,
    },
  },
  check(positionals, values) {
    checkQueueArg("dlq", positionals, false);
    limitOf(values);
  },
  examples: ["dlq --stack prod", "dlq replies --peek --outputs local.json --json"],
  async run(context) {
    const { target, clients, positionals, values, now } = context;
    const outputs = requireOutputs(target.outputs, REQUIRED_OUTPUTS.dlq, target.source);
    const limit = limitOf(values);
    const at = now();
    const queues = await Promise.all(
      queuesOf(positionals).map(async (label) => {
        const { deadLetter } = await queuePair(clients.sqs, outputs.queueNames, label);
        const depth = await queueDepth(clients.sqs, deadLetter.url);
        const messages =
          limit > 0 && totalOf(depth) > 0
            ? await peekMessages(clients.sqs, deadLetter.url, limit)
            : [];
        return { queue: label, name: deadLetter.name, depth, total: totalOf(depth), messages };
      }),
    );
    const text = queues
      .map(({ queue, name, depth, total, messages }) => {
        const heading = `${queue} DLQ (${name}): ${
          total === 0
            ? "empty"
            : `${total} message${total === 1 ? "" : "s"}${depth.inFlight ? ` (${depth.inFlight} being received now)` : ""}`
        }`;
        if (total === 0 || limit === 0) return heading;
        const shown =
          messages.length < total
            ? `\n  (${messages.length} of ${total} shown: SQS hands out a sample)`
            : "";
        return section(
          heading,
          renderTable({
            headers: ["SENT", "RECEIVES", "KIND", "CONTACT", "REPLY", "DUE", "ID"],
            rows: messages.map((m) => [
              m.sentAt === null ? NONE : formatRelative(m.sentAt, at),
              m.receiveCount === null ? NONE : String(m.receiveCount),
              m.kind,
              m.contact ?? NONE,
              m.reply ?? NONE,
              m.dueAt === null ? NONE : formatRelative(m.dueAt, at),
              m.id,
            ]),
            numeric: [1],
            empty: "(the messages are being received by someone else right now; try again)",
          }) + shown,
        );
      })
      .join("\n\n");
    const peekHint =
      limit === 0
        ? `\n\nSee a few of them, redacted: ${nextCommand(context, "dlq", "--peek")} (each peek adds 1 to their receive count)`
        : "";
    const hint = queues.some((q) => q.total > 0)
      ? `${peekHint}\n\nFix the cause first (logs of the failing function), then: ${nextCommand(context, "redrive", "<queue>")}`
      : "";
    return { ok: true, text: text + hint, json: { queues } };
  },
};

/**
 * How many messages to peek at per queue: none without --peek. Any receive adds to a message's
 * receive count (SQS has no read-only look), so the operator asks for it by name.
 */
function limitOf(values: Record<string, string | boolean | undefined>): number {
  const raw = values.limit;
  if (!values.peek) {
    if (raw !== undefined) {
      throw new UsageError(
        "--limit says how many messages --peek shows: add --peek (it adds 1 to their receive count)",
      );
    }
    return 0;
  }
  if (raw === undefined) return DEFAULT_LIMIT;
  const value = Number(raw);
  if (
    typeof raw !== "string" ||
    raw.trim() === "" ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_LIMIT
  ) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got "${raw}"`);
  }
  return value;
}
