import { type AlarmState, functionErrors, oldestMessageAges, stackAlarms } from "../cloudwatch.js";
import type { Command, CommandContext } from "../command.js";
import { formatDuration, formatRelative, parseDuration } from "../duration.js";
import { messageOf, UsageError } from "../errors.js";
import { NONE, renderTable, section } from "../format.js";
import { REQUIRED_OUTPUTS, requireOutputs } from "../outputs.js";
import {
  localOldestMessageAge,
  QUEUE_LABELS,
  type QueueDepth,
  queueDepth,
  queuePair,
} from "../queues.js";
import { listRegistrations, type Registration } from "../vendor.js";

/**
 * One section per question an operator asks first. Each section stands alone: one that cannot be
 * answered says why (and makes the exit code 1) while the others still show.
 */
type Section<T> =
  | { state: "ok"; data: T }
  | { state: "unavailable"; reason: string }
  | { state: "error"; error: string };

interface QueueRow {
  queue: string;
  name: string;
  depth: QueueDepth;
  /** ms; null when empty or unknown. */
  oldestAgeMs: number | null;
}

const DEFAULT_WINDOW = "1h";
const yesNo = (value: boolean | null) => (value === null ? NONE : value ? "yes" : "no");

async function attempt<T>(run: () => Promise<T>): Promise<Section<T>> {
  try {
    return { state: "ok", data: await run() };
  } catch (error) {
    return { state: "error", error: messageOf(error) };
  }
}

async function queues({
  target,
  clients,
  now,
}: CommandContext): Promise<{ rows: QueueRow[]; ageError?: string }> {
  const { queueNames } = requireOutputs(target.outputs, REQUIRED_OUTPUTS.status, target.source);
  const pairs = await Promise.all(
    QUEUE_LABELS.map((label) => queuePair(clients.sqs, queueNames, label)),
  );
  const refs = pairs.flatMap((pair) => [
    { queue: pair.label, ref: pair.queue },
    { queue: `${pair.label} DLQ`, ref: pair.deadLetter },
  ]);
  const at = now();
  const local = target.outputs.local;
  // The depths are the answer; the oldest message's age is extra, so its failure is a note.
  let ageError: string | undefined;
  const ages = new Map<string, number | null>();
  try {
    if (clients.cloudWatch) {
      const names = refs.map(({ ref }) => ref.name);
      for (const [name, age] of await oldestMessageAges(clients.cloudWatch, names, at)) {
        ages.set(name, age);
      }
    } else if (local) {
      for (const { ref } of refs) {
        ages.set(ref.name, await localOldestMessageAge(local.endpoints.sqs, ref.name, at));
      }
    }
  } catch (error) {
    ageError = `oldest message age unavailable: ${messageOf(error)}`;
  }
  const rows = await Promise.all(
    refs.map(async ({ queue, ref }) => ({
      queue,
      name: ref.name,
      depth: await queueDepth(clients.sqs, ref.url),
      oldestAgeMs: ages.get(ref.name) ?? null,
    })),
  );
  return { rows, ageError };
}

export const statusCommand: Command = {
  name: "status",
  summary: "queue depths, recent errors, the webhook as the vendor sees it, alarms",
  args: "",
  target: "required",
  description: [
    "The stack at a glance:",
    "  queues   messages waiting, in flight and delayed (scheduled replies), and the oldest one's age",
    "  errors   Lambda invocations, errors and throttles over --window (CloudWatch; AWS only)",
    "  webhook  each registration as the vendor's management API reports it: enabled, URL,",
    "           signature on (the vendor token is read from Secrets Manager and never shown)",
    "  alarms   the stack's CloudWatch alarms and their state (AWS only)",
    "A section that cannot be answered says why; the exit code is then 1.",
  ].join("\n"),
  options: {
    window: {
      type: "string",
      valueName: "DURATION",
      help: `error counts over this window, e.g. 15m, 24h (default ${DEFAULT_WINDOW})`,
    },
  },
  check(positionals, values) {
    if (positionals.length) {
      throw new UsageError(`status takes no arguments, got ${positionals.join(" ")}`);
    }
    parseDuration("window", String(values.window ?? DEFAULT_WINDOW));
  },
  examples: ["status --stack prod", "status --outputs local.json --json"],
  async run(context) {
    const { target, clients, values, now } = context;
    const windowMs = parseDuration("window", String(values.window ?? DEFAULT_WINDOW));
    const cloudWatch = clients.cloudWatch;
    const noCloudWatch =
      "the local stack has no CloudWatch: failed invocations are logged on npm start's stderr";

    const [queueSection, errorSection, webhookSection, alarmSection] = await Promise.all([
      attempt(() => queues(context)),
      cloudWatch
        ? attempt(() => {
            const { functionNames } = requireOutputs(
              target.outputs,
              REQUIRED_OUTPUTS["status:errors"],
              target.source,
            );
            return functionErrors(cloudWatch, functionNames, windowMs, now());
          })
        : Promise.resolve({ state: "unavailable", reason: noCloudWatch } as const),
      attempt(() =>
        listRegistrations(
          requireOutputs(target.outputs, REQUIRED_OUTPUTS["status:webhook"], target.source),
          clients.secretsManager,
        ),
      ),
      cloudWatch
        ? attempt<AlarmState[]>(() => {
            const { alarmTopicArn } = requireOutputs(
              target.outputs,
              REQUIRED_OUTPUTS["status:alarms"],
              target.source,
            );
            return stackAlarms(cloudWatch, alarmTopicArn);
          })
        : Promise.resolve({
            state: "unavailable",
            reason: "the local stack has no CloudWatch alarms",
          } as const),
    ]);
    const at = now();
    const render = <T>(heading: string, part: Section<T>, body: (data: T) => string) =>
      section(
        heading,
        part.state === "ok"
          ? body(part.data)
          : part.state === "unavailable"
            ? `  unavailable: ${part.reason}`
            : `  failed: ${part.error}`,
      );

    const text = [
      `Stack: ${target.source}${target.local ? " (local stack)" : ""}`,
      render("Queues", queueSection, ({ rows, ageError }) =>
        [
          renderTable({
            headers: ["QUEUE", "WAITING", "IN FLIGHT", "DELAYED", "OLDEST", "NAME"],
            rows: rows.map((row) => [
              row.queue,
              String(row.depth.visible),
              String(row.depth.inFlight),
              String(row.depth.delayed),
              ageError ? "?" : row.oldestAgeMs === null ? NONE : formatDuration(row.oldestAgeMs),
              row.name,
            ]),
            numeric: [1, 2, 3, 4],
            empty: "no queues",
          }),
          ...(ageError ? [`  (${ageError})`] : []),
        ].join("\n"),
      ),
      render(`Errors (last ${formatDuration(windowMs)})`, errorSection, (rows) =>
        renderTable({
          headers: ["FUNCTION", "INVOCATIONS", "ERRORS", "THROTTLES"],
          rows: rows.map((row) => [
            row.function,
            String(row.invocations),
            String(row.errors),
            String(row.throttles),
          ]),
          numeric: [1, 2, 3],
          empty: "no functions",
        }),
      ),
      render("Webhook registrations (as the vendor reports them)", webhookSection, (rows) =>
        renderTable({
          headers: ["GEN", "ID", "ENABLED", "SIGNATURE", "INCOMING", "OUTGOING", "URL"],
          rows: rows.map((row) =>
            row.found
              ? [
                  row.generation ?? "(not in stack)",
                  String(row.id),
                  yesNo(row.enabled),
                  yesNo(row.signature),
                  yesNo(row.incoming),
                  yesNo(row.outgoing),
                  `${row.url}${row.pointsAtStack ? "" : "  (not this stack's endpoint!)"}`,
                ]
              : [
                  row.generation ?? NONE,
                  String(row.id),
                  NONE,
                  NONE,
                  NONE,
                  NONE,
                  "MISSING at the vendor: pulumi refresh, then pulumi up",
                ],
          ),
          empty: "the stack has no webhook registration",
        }),
      ),
      render("Alarms", alarmSection, (rows) =>
        renderTable({
          headers: ["STATE", "SINCE", "ALARM"],
          rows: rows.map((row) => [
            row.state,
            row.since === null ? NONE : formatRelative(row.since, at),
            row.name,
          ]),
          empty: "no alarm notifies the stack's alarm topic",
        }),
      ),
    ].join("\n\n");

    const parts = [queueSection, errorSection, webhookSection, alarmSection];
    const missingWebhook =
      webhookSection.state === "ok" && webhookSection.data.some((row: Registration) => !row.found);
    const missingAges = queueSection.state === "ok" && queueSection.data.ageError !== undefined;
    return {
      ok: parts.every((part) => part.state !== "error") && !missingWebhook && !missingAges,
      text,
      json: {
        stack: target.source,
        local: target.local,
        queues: queueSection,
        errors: { windowMs, ...errorSection },
        webhook: webhookSection,
        alarms: alarmSection,
      },
    };
  },
};
