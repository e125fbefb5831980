import { mkdtempSync, openSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULTS } from "../lambdas/contract.js";
import { maskPhone } from "../lambdas/core/phone.js";
import type { ReplyRule } from "../lambdas/core/replyRules.js";
import { type CancelledReply, checkReplies, type ExpectedReply } from "./demoCheck.js";
import { divertWrites } from "./divertWrites.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "./sampleWebhook.js";
import type { LocalStack } from "./stack.js";

/**
 * `npm run demo`: starts the local stack in-process, plays a short signed conversation as the
 * vendor would deliver it (one delivery repeated, as a vendor retry; a contact who writes again
 * before the follow-ups of their first message went out; a person at the business taking a
 * conversation over from the phone app), waits for the scheduled replies at the vendor simulator
 * and prints the timeline, cancelled replies included. Exits 0 when every reply that should go out
 * arrived once and in order, every reply a newer message or a takeover could cancel was sent once
 * or recorded as cancelled, and nothing else went out; 1 otherwise. The verdict holds on a slow
 * machine too: it never depends on how long the pipeline took (local/demoCheck.ts).
 * The story (header, timeline, verdict) goes to stdout and the demo's own progress lines to stderr.
 * The logs (the stack's lines and the handlers' JSON lines, INFO and above unless
 * POWERTOOLS_LOG_LEVEL says otherwise) go to a file the header names (`--log-file FILE`, default a
 * fresh file in the temp directory), or with `--verbose` to stderr; nothing else reaches stdout.
 */

const USAGE = `Usage: npm run demo -- [options]

Plays a short signed WhatsApp conversation through the local stack and prints its timeline.

Options:
  --rules FILE      reply rules JSON (default local/defaultRules.json)
  --log-file FILE   where the stack's and the handlers' logs go (default: a new file in the
                    temp directory; the demo prints its name)
  --verbose         logs to stderr instead of a file
  -h, --help        show this help
`;

// Powertools writes the handlers' JSON lines to process.stdout and process.stderr (its own Console
// on both); keep stdout for the story and stderr for the demo's progress lines.
const writeStdout = process.stdout.write.bind(process.stdout);
const writeStderr = process.stderr.write.bind(process.stderr);
const print = (line = "") => writeStdout(`${line}\n`);
const say = (line: string) => writeStderr(`${line}\n`);

type Write = (line: string) => void;

/** Where the logs went, for the failure message too. */
let logsWhere: string | undefined;

/** The logs' destination: a file (named in the header) or, with --verbose, stderr. */
function openLogs(options: { verbose: boolean; logFile?: string }): { log: Write; where: string } {
  if (options.verbose) {
    divertWrites(process.stdout, (text) => writeStderr(text));
    return { log: say, where: "stderr (--verbose)" };
  }
  const file =
    options.logFile ?? join(mkdtempSync(join(tmpdir(), "reply-pipeline-demo-")), "demo.log");
  const fd = openSync(file, "a");
  const append: Write = (text) => writeSync(fd, text);
  divertWrites(process.stdout, append);
  divertWrites(process.stderr, append);
  return { log: (line) => append(`${line}\n`), where: file };
}

/**
 * The conversation: who writes what, and when (ms after the demo starts sending). Ana writes again
 * at 1.5 s, before her greeting's follow-ups (due at 2 s and 3.5 s): they are superseded. Sam, at
 * the business, answers Ben from the phone app at 0.7 s: Ben's follow-up (due 1.4 s) is cancelled
 * and his next message gets no bot reply (automation paused for the human pause).
 */
const CONVERSATION: readonly DemoMessage[] = [
  { at: 0, phone: "14155550123", name: "Ana", text: "Hi there!" },
  { at: 400, phone: "447911123456", name: "Ben", text: "What are your opening hours?" },
  {
    at: 700,
    phone: "447911123456",
    name: "Sam",
    text: "Sam here, we open at 9 tomorrow",
    human: true,
  },
  { at: 800, phone: "14155550123", name: "Ana", text: "Hi there!", repeatOf: 0 },
  { at: 1200, phone: "5511987650789", name: "Caio", text: "How much is delivery?" },
  { at: 1500, phone: "14155550123", name: "Ana", text: "Actually, how much is delivery?" },
  { at: 1800, phone: "447911123456", name: "Ben", text: "Great, thanks Sam!" },
];

interface DemoMessage {
  at: number;
  phone: string;
  name: string;
  text: string;
  /** Index of the delivery this one repeats (a vendor retry). */
  repeatOf?: number;
  /** Typed by a person at the business on the phone app (an outgoing webhook). */
  human?: boolean;
}

/**
 * Slack on top of the last reply's due time before the demo gives up: generous, as a loaded
 * machine can take many times the usual few hundred ms per hop; a healthy run ends long before.
 */
const SETTLE_SLACK_MS = 60_000;
/** How long the demo keeps watching after the last expected reply, to catch extra sends. */
const QUIET_MS = 1500;

interface TimelineRow {
  at: number;
  direction: "in" | "out";
  phone: string;
  text: string;
  status: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${ms >= 0 ? "+" : "-"}${(Math.abs(ms) / 1000).toFixed(2)}s`;

interface Planned extends ExpectedReply {
  keep: boolean;
}

function expectedFor(
  rules: ReplyRule[],
  phone: string,
  text: string,
  acceptedAt: number,
  plan: number,
) {
  const rule = rules.find((r) => r.conditions.match?.test(text) ?? true);
  return (rule?.messages ?? []).map(
    (m): Planned => ({
      phone,
      text: m.text,
      dueAt: acceptedAt + m.delayMs,
      plan,
      keep: rule?.onNewMessage === "keep",
    }),
  );
}

/**
 * Once a contact's next message (or a person at the business) arrives, the replies planned before
 * it may be cancelled (a newer message spares `keep` plans, a takeover does not): those the sender
 * judges after it is recorded are, those it judged before went out. Which of them is a matter of
 * timing (on a quick machine, the ones due after it), so the verdict accepts either.
 */
function mayCancel(planned: Planned[], phone: string, takeover: boolean): Planned[] {
  return planned.map((p) =>
    p.phone === phone && (takeover || !p.keep) ? { ...p, cancellable: true } : p,
  );
}

function printTimeline(rows: TimelineRow[], origin: number) {
  const width = Math.min(60, Math.max(20, ...rows.map((r) => r.text.length)));
  print(
    `  ${"time".padEnd(8)} ${"dir".padEnd(4)} ${"contact".padEnd(14)} ${"message".padEnd(width)}  status`,
  );
  for (const row of [...rows].sort((a, b) => a.at - b.at)) {
    const text = row.text.length > width ? `${row.text.slice(0, width - 1)}…` : row.text;
    const arrow =
      row.direction === "in" ? "→in" : row.status.startsWith("cancelled") ? "✗out" : "←out";
    print(
      `  ${seconds(row.at - origin).padEnd(8)} ${arrow.padEnd(4)} ${maskPhone(row.phone).padEnd(14)} ` +
        `${text.padEnd(width)}  ${row.status}`,
    );
  }
}

async function main(): Promise<number> {
  const { parseReplyRules } = await import("../lambdas/core/replyRules.js");
  const { readRulesFile, DEFAULT_RULES_PATH } = await import("./rulesFile.js");
  const { LOCAL_TIMING, startLocalStack } = await import("./stack.js");

  // --rules FILE plays the same conversation against other rules (default: the stack's defaults).
  const { values } = parseArgs({
    options: {
      rules: { type: "string" },
      "log-file": { type: "string" },
      verbose: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    writeStdout(USAGE);
    return 0;
  }
  const rulesJson = readRulesFile(values.rules ?? DEFAULT_RULES_PATH);
  const rules = parseReplyRules(rulesJson, {
    waitingDurationSeconds: LOCAL_TIMING.waitingDurationSeconds,
  });
  const scheme = process.env.SIGNATURE_SCHEME || DEFAULTS.signatureScheme;

  const logs = openLogs({ verbose: values.verbose === true, logFile: values["log-file"] });
  logsWhere = logs.where;
  say("demo: starting the local stack…");
  let stack: LocalStack | undefined;
  const interrupt = (signal: NodeJS.Signals, code: number) => {
    say(`demo: ${signal}, stopping the local stack`);
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.once("SIGINT", () => interrupt("SIGINT", 130));
  process.once("SIGTERM", () => interrupt("SIGTERM", 143));
  try {
    stack = await startLocalStack({
      port: 0,
      vendorPort: 0,
      rules: rulesJson,
      signatureScheme: scheme,
      logLevel: process.env.POWERTOOLS_LOG_LEVEL || "INFO",
      log: logs.log,
    });
    return await play(stack, rules, scheme, logs.where);
  } finally {
    await stack?.stop();
  }
}

async function play(
  stack: LocalStack,
  rules: ReplyRule[],
  scheme: string,
  logsWhere: string,
): Promise<number> {
  print("WhatsApp reply pipeline demo (local stack)");
  print(`receiver ${stack.receiverUrl}`);
  print(`vendor simulator ${stack.vendorUrl} · signature scheme ${scheme}`);
  print(`logs ${logsWhere}`);
  print();

  const rows: TimelineRow[] = [];
  let expected: Planned[] = [];
  const pausedUntil = new Map<string, number>();
  const bodies: string[] = [];
  const start = Date.now();
  let failures = 0;
  for (const [index, message] of CONVERSATION.entries()) {
    await sleep(Math.max(0, start + message.at - Date.now()));
    const repeatOf = message.repeatOf;
    const body =
      repeatOf === undefined
        ? sampleWebhookBody({
            phone: message.phone,
            text: message.text,
            at: Date.now(),
            name: message.name,
            ...(message.human ? { outgoing: { human: true } } : {}),
          })
        : (bodies[repeatOf] as string);
    bodies[index] = body;
    const signature =
      scheme === "off" ? undefined : signatureFor(body, stack.signingSecret, scheme);
    const sentAt = Date.now();
    const answer = await postWebhook(stack.receiverUrl, body, signature);
    const status = (answer.body as { status?: string } | undefined)?.status;
    // A repeat is answered "accepted" (the FIFO jobs queue drops it) or "duplicate": what counts
    // is that it yields no second reply, which the verdict below checks.
    const wanted = repeatOf === undefined ? "accepted" : "accepted or duplicate";
    const ok =
      repeatOf === undefined
        ? status === "accepted"
        : status === "accepted" || status === "duplicate";
    if (answer.status !== 200 || !ok) failures += 1;
    rows.push({
      at: sentAt,
      direction: message.human ? "out" : "in",
      phone: message.phone,
      text:
        repeatOf !== undefined
          ? `${message.text} (vendor retry)`
          : message.human
            ? `${message.text} (${message.name}, phone app)`
            : message.text,
      status:
        answer.status !== 200
          ? `HTTP ${answer.status} (expected ${wanted})`
          : repeatOf !== undefined
            ? `${status} (repeat: no second job)`
            : `${status}${message.human ? ": takeover, automation paused" : ""}`,
    });
    if (repeatOf !== undefined || status !== "accepted") continue;
    if (message.human) {
      expected = mayCancel(expected, message.phone, true);
      pausedUntil.set(message.phone, sentAt + DEFAULTS.humanPauseSeconds * 1000);
      continue;
    }
    expected = mayCancel(expected, message.phone, false);
    if ((pausedUntil.get(message.phone) ?? 0) > sentAt) continue;
    expected.push(...expectedFor(rules, message.phone, message.text, sentAt, index));
  }
  if (expected.length === 0) {
    say("demo: the default rules answer none of the demo's messages; nothing to wait for");
    return 1;
  }

  const lastDue = Math.max(...expected.map((e) => e.dueAt));
  const deadline = lastDue + SETTLE_SLACK_MS;
  say(`demo: waiting for ${expected.length} replies (last due ${seconds(lastDue - start)})…`);
  const phones = CONVERSATION.map((m) => m.phone);
  // Until every reply is settled: sent, or (one a later message could cancel) recorded cancelled.
  let verdict = checkReplies(expected, stack.vendor.sent(), await cancelledReplies(stack, phones));
  while (verdict.missing.length > 0 && Date.now() < deadline) {
    await sleep(250);
    verdict = checkReplies(expected, stack.vendor.sent(), await cancelledReplies(stack, phones));
  }
  await sleep(QUIET_MS);
  const sent = stack.vendor.sent();
  const cancelledNow = await cancelledReplies(stack, phones);
  verdict = checkReplies(expected, sent, cancelledNow);

  for (const record of sent) {
    const phone = record.phone.replace(/\D/g, "");
    const due = expected.find((e) => e.phone === phone && e.text === record.text);
    const at = Date.parse(record.at);
    rows.push({
      at,
      direction: "out",
      phone,
      text: record.text,
      status: due
        ? `sent (due ${seconds(due.dueAt - start)}, ${at - due.dueAt} ms late)`
        : "sent (unexpected)",
    });
  }
  rows.push(
    ...cancelledNow.map(
      (reply): TimelineRow => ({
        at: reply.at,
        direction: "out",
        phone: reply.phone,
        text: reply.text,
        status: `cancelled (${reply.reason}), not sent`,
      }),
    ),
  );
  printTimeline(rows, start);
  print();

  for (const reply of verdict.missing) {
    print(
      `MISSING  ${maskPhone(reply.phone)}: "${reply.text}" (due ${seconds(reply.dueAt - start)})`,
    );
  }
  for (const record of verdict.unexpected) {
    print(`EXTRA    ${maskPhone(record.phone)}: "${record.text}"`);
  }
  for (const phone of verdict.outOfOrder) {
    print(`ORDER    ${maskPhone(phone)}: replies arrived out of order`);
  }
  if (failures > 0) print(`${failures} webhook deliveries got an unexpected answer`);
  const cancelled = rows.filter((r) => r.status.startsWith("cancelled")).length;
  if (verdict.ok && failures === 0) {
    print(
      `OK: ${sent.length} replies arrived once each, in order; the repeat got no second reply; ` +
        `${cancelled} replies were cancelled (a newer message, a person taking over) and none of them went out.`,
    );
    return 0;
  }
  print(`FAILED: see above, and the logs (${logsWhere}).`);
  return 1;
}

/** The replies the contacts' state cancelled, from the conversation table (never sent). */
async function cancelledReplies(
  stack: LocalStack,
  phones: string[],
): Promise<(CancelledReply & { at: number; reason: string })[]> {
  const { createDocumentClient } = await import("../lambdas/adapters/awsClients.js");
  const { DynamoConversationReader } = await import("../ops/conversationReader.js");
  const client = createDocumentClient(stack.awsEnv);
  const reader = new DynamoConversationReader(client, stack.resources.tables.conversation);
  const cancelled: (CancelledReply & { at: number; reason: string })[] = [];
  for (const phone of new Set(phones)) {
    for (const reply of (await reader.conversation(phone)).replies) {
      if (reply.status !== "CANCELLED") continue;
      cancelled.push({
        at: reply.dueAt ?? reply.updatedAt,
        phone,
        text: reply.content ?? "",
        reason: String(reply.cancelReason),
      });
    }
  }
  client.destroy();
  return cancelled;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    say(`demo failed: ${error.message}${logsWhere ? ` (logs: ${logsWhere})` : ""}`);
    process.exit(1);
  },
);
