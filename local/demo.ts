import { parseArgs } from "node:util";
import { DEFAULTS } from "../lambdas/contract.js";
import { maskPhone } from "../lambdas/core/errors.js";
import type { ReplyRule } from "../lambdas/core/replyRules.js";
import { checkReplies, type ExpectedReply } from "./demoCheck.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "./sampleWebhook.js";
import type { LocalStack } from "./stack.js";

/**
 * `npm run demo`: starts the local stack in-process, plays a short signed conversation as the
 * vendor would deliver it (one delivery repeated, as a vendor retry), waits for the scheduled
 * replies at the vendor simulator and prints the timeline. Exits 0 when every reply the default
 * rules promise arrived once and in order, 1 otherwise. The timeline goes to stdout; stack and
 * Lambda logs (WARN and above unless POWERTOOLS_LOG_LEVEL says otherwise) go to stderr.
 */

// Powertools writes to process.stdout; keep stdout for the timeline.
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
const print = (line = "") => writeStdout(`${line}\n`);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The conversation: who writes what, and when (ms after the demo starts sending). */
const CONVERSATION = [
  { at: 0, phone: "14155550123", name: "Ana", text: "Hi there!" },
  { at: 400, phone: "447700900456", name: "Ben", text: "What are your opening hours?" },
  { at: 800, phone: "14155550123", name: "Ana", text: "Hi there!", repeatOf: 0 },
  { at: 1200, phone: "5511987650789", name: "Caio", text: "How much is delivery?" },
] as const;

/** Slack on top of the last reply's due time before the demo gives up. */
const SETTLE_SLACK_MS = 15_000;
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

function expectedFor(rules: ReplyRule[], phone: string, text: string, acceptedAt: number) {
  const rule = rules.find((r) => r.pattern.test(text));
  return (rule?.messages ?? []).map(
    (m): ExpectedReply => ({ phone, text: m.text, dueAt: acceptedAt + m.delayMs }),
  );
}

function printTimeline(rows: TimelineRow[], origin: number) {
  const width = Math.min(60, Math.max(20, ...rows.map((r) => r.text.length)));
  print(
    `  ${"time".padEnd(8)} ${"dir".padEnd(4)} ${"contact".padEnd(14)} ${"message".padEnd(width)}  status`,
  );
  for (const row of [...rows].sort((a, b) => a.at - b.at)) {
    const text = row.text.length > width ? `${row.text.slice(0, width - 1)}…` : row.text;
    const arrow = row.direction === "in" ? "→in" : "←out";
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
  const { values } = parseArgs({ options: { rules: { type: "string" } }, strict: true });
  const rulesJson = readRulesFile(values.rules ?? DEFAULT_RULES_PATH);
  const rules = parseReplyRules(rulesJson, {
    waitingDurationSeconds: LOCAL_TIMING.waitingDurationSeconds,
  });
  const scheme = process.env.SIGNATURE_SCHEME || DEFAULTS.signatureScheme;

  log("demo: starting the local stack…");
  let stack: LocalStack | undefined;
  const interrupt = (signal: NodeJS.Signals, code: number) => {
    log(`demo: ${signal}, stopping the local stack`);
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
      logLevel: process.env.POWERTOOLS_LOG_LEVEL || "WARN",
      log,
    });
    return await play(stack, rules, scheme);
  } finally {
    await stack?.stop();
  }
}

async function play(stack: LocalStack, rules: ReplyRule[], scheme: string): Promise<number> {
  print("WhatsApp reply pipeline demo (local stack)");
  print(`receiver ${stack.receiverUrl}`);
  print(`vendor simulator ${stack.vendorUrl} · signature scheme ${scheme}`);
  print();

  const rows: TimelineRow[] = [];
  const expected: ExpectedReply[] = [];
  const bodies: string[] = [];
  const start = Date.now();
  let failures = 0;
  for (const [index, message] of CONVERSATION.entries()) {
    await sleep(Math.max(0, start + message.at - Date.now()));
    const repeatOf = "repeatOf" in message ? message.repeatOf : undefined;
    const body =
      repeatOf === undefined
        ? sampleWebhookBody({
            phone: message.phone,
            text: message.text,
            at: Date.now(),
            name: message.name,
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
      direction: "in",
      phone: message.phone,
      text: repeatOf === undefined ? message.text : `${message.text} (vendor retry)`,
      status:
        answer.status !== 200
          ? `HTTP ${answer.status} (expected ${wanted})`
          : repeatOf === undefined
            ? `${status}`
            : `${status} (repeat: no second job)`,
    });
    if (repeatOf === undefined && status === "accepted") {
      expected.push(...expectedFor(rules, message.phone, message.text, sentAt));
    }
  }
  if (expected.length === 0) {
    log("demo: the default rules answer none of the demo's messages; nothing to wait for");
    return 1;
  }

  const lastDue = Math.max(...expected.map((e) => e.dueAt));
  const deadline = lastDue + SETTLE_SLACK_MS;
  log(`demo: waiting for ${expected.length} replies (last due ${seconds(lastDue - start)})…`);
  let verdict = checkReplies(expected, stack.vendor.sent());
  while (verdict.missing.length > 0 && Date.now() < deadline) {
    await sleep(200);
    verdict = checkReplies(expected, stack.vendor.sent());
  }
  await sleep(QUIET_MS);
  const sent = stack.vendor.sent();
  verdict = checkReplies(expected, sent);

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
  if (verdict.ok && failures === 0) {
    print(
      `OK: ${expected.length} replies arrived once each, in order; the repeat got no second reply.`,
    );
    return 0;
  }
  print("FAILED: see above.");
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    log(`demo failed: ${error.message}`);
    process.exit(1);
  },
);
