import type { Command } from "../command.js";
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
  summary: "what the dead-letter queues hold: counts and a few messages, redacted",
  args: "[jobs|replies]",
  description: [
    "Shows how many messages each dead-letter queue holds (jobs: webhooks the responder could",
    "not process; replies: replies the sender could not send) and a few of them, oldest first: kind,",
    "contact (last 4 digits only), reply position, due time, receive count. Message texts are",
    "never shown. Looking does not take the messages: the DLQ keeps them.",
  ].join("\n"),
  options: {
    limit: {
      type: "string",
      valueName: "N",
      help: `messages shown per queue, 0-${MAX_LIMIT} (default ${DEFAULT_LIMIT})`,
    },
  },
  check(positionals, values) {
    checkQueueArg("dlq", positionals, false);
    limitOf(values.limit);
  },
  examples: [
    "npm run ops -- dlq --stack prod",
    "npm run ops -- dlq replies --outputs local.json --json",
  ],
  async run({ target, clients, positionals, values, now }) {
    const outputs = requireOutputs(target.outputs, REQUIRED_OUTPUTS.dlq, target.source);
    const limit = limitOf(values.limit);
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
    const hint = queues.some((q) => q.total > 0)
      ? `\n\nFix the cause first (logs of the failing function), then: npm run ops -- redrive <queue> ${target.flags}`
      : "";
    return { ok: true, text: text + hint, json: { queues } };
  },
};

function limitOf(raw: string | boolean | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const value = Number(raw);
  if (
    typeof raw !== "string" ||
    raw.trim() === "" ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > MAX_LIMIT
  ) {
    throw new UsageError(`--limit must be a whole number from 0 to ${MAX_LIMIT}, got "${raw}"`);
  }
  return value;
}
