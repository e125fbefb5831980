/**
 * Soak: mixed conversation traffic against `npm start` (the local stack as a black box, with
 * `--data-dir`, an HTTP reply policy and human takeover on), a SIGKILL of the whole stack mid-load
 * and a restart on the same data directory, then a count of what reached the vendor simulator.
 * docs/reliability.md ("Soak") keeps the last long run's table; test/reliability/soak.test.ts runs
 * it for a few seconds in `npm test` and asserts its verdicts.
 *
 *   npm run soak -- [--minutes 1 | --seconds S] [--concurrency 4] [--rate 4] [--kill-at 0.5]
 *                   [--json FILE] [--log FILE]
 *
 * `--rate` caps new conversations per second (all slots together): the receiver answers in
 * milliseconds, the responder and sender on a shared 2-core machine take longer, and an open tap
 * measures the backlog rather than the pipeline.
 *
 * Each request slot (closed loop) plays one conversation at a time, each with its own contact (a
 * valid UK mobile number, libphonenumber-valid, never a fictional 555 number), messages one vendor
 * second apart, each posted after the previous one was answered:
 *   simple      "hello"                                → "hi"
 *   supersede   "later", then "hello"                  → "hi"; "later 1" (due in 45 s) may go out
 *                                                         only before "hi" (never after: superseded)
 *   keep        "order" (a keep rule), then "hello"    → "order received", "order shipped", "hi"
 *   takeover    "later", a person writes, "hello"      → nothing for "hello" (paused); "later 1" may
 *                                                         go out only if due before the takeover ran
 *   stopStart   "STOP", "thanks", "START", "hello"     → "hi"; nothing for "thanks"; the
 *                                                         confirmation at most once (cancelled if
 *                                                         START was handled first); the policy's
 *                                                         answer to START only before "hi"
 *   repeats     "hello", the vendor repeats it (once   → "hi" once
 *               in another form of the number: 00…,
 *               once with a changed snapshot)
 *   policy      a message no rule matches, the HTTP    → ok / slow (under its timeout) / fails once
 *               policy answers ok, slowly, fails once,   (then answers): the policy's answer;
 *               or answers something invalid             invalid: nothing (the job goes to the DLQ)
 *   hostile     a forged signature / a malformed body  → 401 / 400
 * Any answer a vendor would retry (503, a lost connection, the stack being restarted) is retried.
 *
 * Verdicts are counts, computed from what was sent (never from how long anything took):
 *   lost          a reply that must go out never reached the vendor (and the pipeline did not
 *                 record it as sent, or as cut off mid-send, when the stack was killed)
 *   doubled       a reply reached the vendor more often than once, except:
 *   resent after a vendor timeout
 *                 the vendor took a copy but the sender did not get its answer in time (the
 *                 sender's log says "send failed; retrying" with a timeout for that reply, or
 *                 the simulator marks the copy `unanswered`), so the sender retried: promise 8a
 *                 of docs/reliability.md, counted apart and not a failure
 *   wrongly sent  a reply that must not go out did (after being superseded, after a takeover,
 *                 to an opted-out contact, for an invalid policy answer, to an unknown contact)
 *   out of order  a contact's replies arrived in another order than planned
 * Exit code 1 if any of them is not 0, if a request got an unexpected answer, or if nobody was
 * answered at all.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { summarize } from "../../bench/lib/measure.js";
import { describeEnvironment } from "../../bench/lib/report.js";
import { defaultOptOut, messageKey, planIdFor } from "../../lambdas/core/conversation.js";
import { parseWebhook } from "../../lambdas/core/parseWebhook.js";
import { canonicalPhone } from "../../lambdas/core/phone.js";
import { parseReadyLine, waitForReadyLine } from "../../local/readyLine.js";
import { type SampleMessage, sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { clientsFor } from "../../ops/aws.js";
import { DynamoConversationReader } from "../../ops/conversationReader.js";
import { queueDepth, totalOf } from "../../ops/queues.js";
import { loadTarget } from "../../ops/target.js";
import { type PolicyEndpoint, startPolicyEndpoint } from "../support/policyEndpoint.js";
import { ambiguousFailure } from "../support/vendorResends.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const READY_TIMEOUT_MS = 180_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** Retries of one delivery outside a restart (the vendor's own retries are fewer). */
const MAX_RETRIES = 10;
/**
 * After the traffic: the longest wait for the last replies that must go out, while the pipeline
 * still has work queued (a long run on a loaded machine ends with a backlog).
 */
const DRAIN_TIMEOUT_MS = 30 * 60_000;
/**
 * The superseded reply ("later 1") is due this long after its message: far beyond the newer
 * message's processing even behind a restart's backlog. A reply whose sender read the contact just
 * before the newer message was claimed still goes out (the race window of promise 5a); a short
 * delay lets a backlog put the two at the same moment, and the soak would count that race.
 */
const LATER_MS = 45_000;
const SHIPPED_MS = 3000;
const POLL_MS = 300;

const CONFIRMATION = defaultOptOut(["en"]).confirmation;
const POLICY_TEXT = "policy answer";
const WELCOME_BACK = "welcome back";
const RULES = [
  {
    match: "^order",
    onNewMessage: "keep",
    messages: [
      { text: "order received", delay: 0 },
      { text: "order shipped", delay: SHIPPED_MS },
    ],
  },
  { match: "^later", messages: [{ text: "later 1", delay: LATER_MS }] },
  { match: "^hello", messages: [{ text: "hi", delay: 0 }] },
  { match: "^thanks", messages: [{ text: "you're welcome", delay: 0 }] },
  // No catch-all: everything else goes to the HTTP policy.
];

type Scenario =
  | "simple"
  | "supersede"
  | "keep"
  | "takeover"
  | "stopStart"
  | "repeats"
  | "policy"
  | "hostile";
const MIX: [Scenario, number][] = [
  ["simple", 20],
  ["supersede", 15],
  ["keep", 10],
  ["takeover", 10],
  ["stopStart", 10],
  ["repeats", 10],
  ["policy", 20],
  ["hostile", 5],
];
type PolicyMode = "ok" | "slow" | "fail" | "invalid";
const POLICY_MODES: PolicyMode[] = ["ok", "slow", "fail", "invalid"];

interface Options {
  seconds: number;
  concurrency: number;
  /** New conversations per second, at most (all slots together). */
  rate: number;
  /** When in the traffic (fraction) the whole stack is SIGKILLed and restarted; 0 = never. */
  killAt: number;
  json?: string;
  /** Appends the stack's stderr (its WARN and ERROR log lines) to this file. */
  log?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: "string" },
      seconds: { type: "string" },
      concurrency: { type: "string", default: "4" },
      rate: { type: "string", default: "4" },
      "kill-at": { type: "string", default: "0.5" },
      json: { type: "string" },
      log: { type: "string" },
    },
    strict: true,
  });
  const seconds =
    values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? "1") * 60;
  const concurrency = Number(values.concurrency);
  const killAt = Number(values["kill-at"]);
  if (!(seconds >= 5 && seconds <= 24 * 3600)) {
    throw new Error("--minutes/--seconds: from 5 seconds to 24 hours");
  }
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) {
    throw new Error("--concurrency must be a whole number from 1 to 64");
  }
  if (!(killAt >= 0 && killAt < 1)) throw new Error("--kill-at must be in [0, 1)");
  const rate = Number(values.rate);
  if (!(rate > 0 && rate <= 1000)) throw new Error("--rate must be in (0, 1000]");
  return { seconds, concurrency, rate, killAt, json: values.json, log: values.log };
}

// ── The stack, as processes ─────────────────────────────────────────────────────────────────

interface Stack {
  child: ChildProcess;
  receiverUrl: string;
  vendorUrl: string;
  /** Records already read from this generation's vendor simulator. */
  seen: number;
  stderrTail: () => string;
}

async function startStack(
  flags: string[],
  env: Record<string, string>,
  log?: string,
): Promise<Stack> {
  // Its own process group: the SIGKILL takes npm, the stack's node and DynamoDB Local's JVM at once.
  const child = spawn("npm", ["start", "--silent", "--", ...flags], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stderrTail = "";
  let partialLine = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-8000);
    if (log) appendFileSync(log, chunk);
    const lines = (partialLine + chunk.toString()).split("\n");
    partialLine = lines.pop() ?? "";
    for (const line of lines) noteAmbiguousFailure(line);
  });
  child.stdout?.resume();
  const ready = parseReadyLine(await waitForReadyLine(child, READY_TIMEOUT_MS, () => stderrTail));
  return { child, ...ready, seen: 0, stderrTail: () => stderrTail };
}

/**
 * Replies ("<planId>#<seq>") whose vendor call the sender logged as failed in a way that may have
 * reached the vendor (a timeout, a broken connection) before retrying it: promise 8a.
 */
const ambiguousFailures = new Set<string>();

/** Notes a sender's "send failed; retrying" line whose failure may hide a send (promise 8a). */
function noteAmbiguousFailure(line: string): void {
  const failure = ambiguousFailure(line);
  if (failure) ambiguousFailures.add(failure);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopStack(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  killGroup(child, "SIGTERM");
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), 25_000);
  await exited;
  clearTimeout(timer);
}

/** Resident memory of every process of the stack (the group's tree), in MiB, by what it is. */
function rssOfTree(rootPid: number | undefined): Record<string, number> {
  if (rootPid === undefined) return {};
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  const rss: Record<string, number> = {};
  for (const pid of tree) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
      if (!kb) continue;
      // npm sets its process title to "npm start …"; tsx runs the stack in a child node process.
      const label = cmd.some((part) => part.includes("DynamoDBLocal"))
        ? "java (DynamoDB Local)"
        : cmd[0]?.startsWith("npm")
          ? "npm"
          : cmd.some((part) => part.endsWith("local/start.ts"))
            ? "node tsx (launcher)" in rss
              ? "node (the stack: local/start.ts)"
              : "node tsx (launcher)"
            : (cmd[0]?.split("/").pop() ?? "?");
      const key = label in rss ? `${label} (${pid})` : label;
      rss[key] = Math.round(kb / 102.4) / 10;
    } catch {
      // exited meanwhile
    }
  }
  return rss;
}

// ── What must, may and must not reach the vendor ────────────────────────────────────────────

interface VendorRecord {
  phone: string;
  text: string;
  at: string;
  /** The sender hung up (its VENDOR_TIMEOUT_MS) before the vendor's answer: it will resend. */
  unanswered?: true;
}

/** One reply that must go out: its text, and its place in the pipeline's table. */
interface Due {
  text: string;
  planId: string;
  seq: number;
}

interface Conversation {
  scenario: Scenario | `policy:${PolicyMode}`;
  /** Replies that must go out, in this order. */
  due: Due[];
  /** Replies that may go out at most once (`before`: only before this text arrived). */
  optional: { text: string; before?: string }[];
  /** Replies that must never go out. */
  forbidden: string[];
}

const planIdOf = (body: string) => planIdFor(messageKey(parseWebhook(body)));

/** The running stack's process group, killed when the soak itself fails. */
let running: ChildProcess | undefined;

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const environment = describeEnvironment();
  const secret = randomBytes(32).toString("base64url");
  const dir = mkdtempSync(join(tmpdir(), "soak-"));
  const rulesFile = join(dir, "rules.json");
  const outputsFile = join(dir, "outputs.json");
  const dataDir = join(dir, "data");
  writeFileSync(rulesFile, JSON.stringify(RULES));

  const policy: PolicyEndpoint = await startPolicyEndpoint();
  const flags = [
    ...["--port", "0", "--vendor-port", "0", "--rules", rulesFile, "--data-dir", dataDir],
    ...["--outputs", outputsFile, "--policy-url", policy.url, "--human-pause", "3600"],
  ];
  const env = {
    WEBHOOK_SIGNING_SECRET: secret,
    SIGNATURE_SCHEME: "auto",
    REPLY_POLICY_SECRET: policy.secret,
    // One INFO line per webhook per function is a lot of output for nothing to read.
    POWERTOOLS_LOG_LEVEL: "WARN",
  };

  process.stderr.write(`soak: starting npm start (data in ${dataDir})\n`);
  let stack = await startStack(flags, env, options.log);
  running = stack.child;
  const rssAtStart = rssOfTree(stack.child.pid);
  process.stderr.write(`soak: ready at ${stack.receiverUrl}; ${options.seconds} s of traffic\n`);

  /** Resolves to the running stack; replaced by the restart's promise while it restarts. */
  let current: Promise<Stack> = Promise.resolve(stack);
  let restarting = false;
  const sent: VendorRecord[] = [];
  let kill: { at: number; readyAgainAt: number; durationMs: number } | undefined;

  /** Where each stack's (each start's) vendor records begin in `sent`. */
  const firstRecordOf = new Map<Stack, number>();
  /** One read at a time: two overlapping reads would both append the records after `seen`. */
  let polls: Promise<void> = Promise.resolve();
  const pollVendor = (from: Stack): Promise<void> => {
    polls = polls.then(async () => {
      const records = (await (
        await fetch(`${from.vendorUrl}/_sent`, { signal: AbortSignal.timeout(10_000) })
      ).json()) as VendorRecord[];
      // A record read before its sender timed out is flagged later: refresh the ones already read.
      const offset = firstRecordOf.get(from) ?? sent.length;
      firstRecordOf.set(from, offset);
      for (let i = 0; i < Math.min(from.seen, records.length); i++) {
        const known = sent[offset + i];
        if (known && records[i]?.unanswered) known.unanswered = true;
      }
      sent.push(...records.slice(from.seen));
      from.seen = Math.max(from.seen, records.length);
    });
    const done = polls;
    polls = polls.catch(() => undefined);
    return done;
  };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      if (!restarting) await pollVendor(stack).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();

  // ── Traffic ──
  const tally = {
    requests: 0,
    accepted: 0,
    duplicates: 0,
    rejected401: 0,
    rejected400: 0,
    retried: 0,
    errors: 0,
    errorSamples: [] as string[],
    latenciesMs: [] as number[],
  };
  const conversations = new Map<string, Conversation>();
  const mix: Record<string, number> = {};
  let contactCounter = 0;

  const fail = (what: string) => {
    tally.errors += 1;
    if (tally.errorSamples.length < 10) tally.errorSamples.push(what);
  };

  /** Posts like the vendor: a 5xx or a lost connection is tried again, a restart waited out. */
  const deliver = async (body: string, signature: string) => {
    for (let attempt = 0; ; attempt++) {
      const target = await current;
      const started = performance.now();
      let status = 0;
      let text = "";
      try {
        const res = await fetch(target.receiverUrl, {
          method: "POST",
          headers: { "content-type": "application/json", "x-webhook-signature": signature },
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        status = res.status;
        text = await res.text();
        tally.latenciesMs.push(performance.now() - started);
      } catch (error) {
        text = String(error);
      }
      tally.requests += 1;
      if (status !== 0 && status < 500) return { status, text };
      tally.retried += 1;
      // A restart in progress: wait for it, without spending an attempt.
      if (restarting || target !== stack) {
        attempt -= 1;
        await current;
        continue;
      }
      if (attempt >= MAX_RETRIES) return { status, text };
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
  };

  const newContact = () => {
    for (;;) {
      contactCounter += 1;
      const raw = `447400${String(contactCounter).padStart(6, "0")}`;
      const canonical = canonicalPhone(raw);
      if (canonical) return canonical.digits;
    }
  };

  /** Posts one message of a conversation; true when the receiver took it (accepted or duplicate). */
  const post = async (message: SampleMessage, label: string): Promise<string | undefined> => {
    const body = sampleWebhookBody(message);
    const answer = await deliver(body, signatureFor(body, secret, "hmac-sha256"));
    const status =
      answer.status === 200 ? (JSON.parse(answer.text) as { status?: string }).status : undefined;
    if (status === "accepted") tally.accepted += 1;
    else if (status === "duplicate") tally.duplicates += 1;
    else {
      fail(`${label}: wanted 200, got ${answer.status} ${answer.text.slice(0, 120)}`);
      return undefined;
    }
    return body;
  };

  const pick = <T>(weights: [T, number][]): T => {
    const total = weights.reduce((sum, [, w]) => sum + w, 0);
    let roll = Math.random() * total;
    for (const [value, weight] of weights) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return weights[0]?.[0] as T;
  };

  const play = async (scenario: Scenario) => {
    const phone = newContact();
    const t = Date.now();
    const at = (step: number) => t + step * 1000;
    const due = (body: string | undefined, ...texts: string[]): Due[] =>
      body === undefined ? [] : texts.map((text, seq) => ({ text, planId: planIdOf(body), seq }));
    switch (scenario) {
      case "simple": {
        const hello = await post({ phone, text: "hello", at: at(0) }, scenario);
        conversations.set(phone, { scenario, due: due(hello, "hi"), optional: [], forbidden: [] });
        return;
      }
      case "supersede": {
        await post({ phone, text: "later", at: at(0) }, scenario);
        const hello = await post({ phone, text: "hello", at: at(1) }, scenario);
        conversations.set(phone, {
          scenario,
          due: due(hello, "hi"),
          optional: [{ text: "later 1", before: "hi" }],
          forbidden: [],
        });
        return;
      }
      case "keep": {
        const order = await post({ phone, text: "order", at: at(0) }, scenario);
        const hello = await post({ phone, text: "hello", at: at(1) }, scenario);
        conversations.set(phone, {
          scenario,
          due: [...due(order, "order received", "order shipped"), ...due(hello, "hi")],
          optional: [],
          forbidden: [],
        });
        return;
      }
      case "takeover": {
        await post({ phone, text: "later", at: at(0) }, scenario);
        await post(
          { phone, text: "a person answers", at: at(1), outgoing: { human: true } },
          scenario,
        );
        await post({ phone, text: "hello", at: at(2) }, scenario);
        conversations.set(phone, {
          scenario,
          due: [],
          optional: [{ text: "later 1" }],
          forbidden: ["hi"],
        });
        return;
      }
      case "stopStart": {
        policy.answer(phone, {
          status: 200,
          body: { messages: [{ text: WELCOME_BACK, delay: 0 }] },
        });
        await post({ phone, text: "STOP", at: at(0) }, scenario);
        await post({ phone, text: "thanks", at: at(1) }, scenario);
        await post({ phone, text: "START", at: at(2) }, scenario);
        const hello = await post({ phone, text: "hello", at: at(3) }, scenario);
        // The answer to START is superseded by "hello" when the sender had not sent it yet; the
        // confirmation is cancelled when START was handled before it went out (a backlog).
        conversations.set(phone, {
          scenario,
          due: due(hello, "hi"),
          optional: [{ text: CONFIRMATION }, { text: WELCOME_BACK, before: "hi" }],
          forbidden: ["you're welcome"],
        });
        return;
      }
      case "repeats": {
        const hello = await post({ phone, text: "hello", at: at(0) }, scenario);
        // The vendor repeats it: once writing the number with the 00 prefix, once with a snapshot
        // that changed since (the bot's last message, a label).
        await post({ phone: `00${phone}`, text: "hello", at: at(0) }, scenario);
        await post(
          {
            phone,
            text: "hello",
            at: at(0),
            snapshot: { last_message_of_bot: "hi", labels: "vip" },
          },
          scenario,
        );
        conversations.set(phone, { scenario, due: due(hello, "hi"), optional: [], forbidden: [] });
        return;
      }
      case "policy": {
        const mode = POLICY_MODES[Math.floor(Math.random() * POLICY_MODES.length)] as PolicyMode;
        const ok = { status: 200, body: { messages: [{ text: POLICY_TEXT, delay: 0 }] } };
        if (mode === "ok") policy.answer(phone, ok);
        if (mode === "fail") policy.answer(phone, { status: 503 }, ok);
        if (mode === "invalid") {
          policy.answer(phone, { status: 200, body: { messages: [{ text: "x", delay: "soon" }] } });
        }
        if (mode === "slow") {
          policy.answer(phone, ok);
          // Under the local stack's 2 s policy timeout.
          policy.beforeAnswer(
            phone,
            () => new Promise((r) => setTimeout(r, 300 + Math.random() * 900)),
          );
        }
        const asked = await post({ phone, text: `what about ${mode}?`, at: at(0) }, scenario);
        conversations.set(phone, {
          scenario: `policy:${mode}`,
          due: mode === "invalid" ? [] : due(asked, POLICY_TEXT),
          optional: [],
          forbidden: mode === "invalid" ? ["x"] : [],
        });
        return;
      }
      case "hostile": {
        const forged = sampleWebhookBody({ phone, text: "hello", at: at(0) });
        const one = await deliver(forged, signatureFor(forged, "not-the-secret", "hmac-sha256"));
        if (one.status === 401) tally.rejected401 += 1;
        else fail(`forged: wanted 401, got ${one.status}`);
        const malformed = `{"phone_number": "${phone}", "last_message_of_user": `;
        const two = await deliver(malformed, signatureFor(malformed, secret, "hmac-sha256"));
        if (two.status === 400) tally.rejected400 += 1;
        else fail(`malformed: wanted 400, got ${two.status}`);
        conversations.set(phone, { scenario, due: [], optional: [], forbidden: ["hi"] });
        return;
      }
    }
  };

  const restart = async () => {
    restarting = true;
    const killed = stack;
    // The last read of the vendor's list, then the kill right after it: whatever the vendor
    // accepted in between is judged by the pipeline's own record (see `lost` below).
    await pollVendor(killed).catch(() => undefined);
    const killAt = Date.now();
    process.stderr.write("soak: SIGKILL to the whole stack\n");
    let resolveNext: (next: Stack) => void = () => undefined;
    current = new Promise((resolve) => {
      resolveNext = resolve;
    });
    const exited = once(killed.child, "exit");
    killGroup(killed.child, "SIGKILL");
    await exited;
    stack = await startStack(flags, env, options.log);
    running = stack.child;
    kill = { at: killAt, readyAgainAt: Date.now(), durationMs: Date.now() - killAt };
    process.stderr.write(`soak: restarted in ${kill.durationMs} ms at ${stack.receiverUrl}\n`);
    restarting = false;
    resolveNext(stack);
  };

  const trafficStarted = performance.now();
  const trafficStartedAt = Date.now();
  const deadline = Date.now() + options.seconds * 1000;
  const killTimer =
    options.killAt > 0
      ? setTimeout(
          () =>
            restart().catch((error: Error) => {
              process.stderr.write(`soak failed: the restart: ${error.stack ?? error.message}\n`);
              if (running) killGroup(running, "SIGKILL");
              process.exit(1);
            }),
          options.seconds * 1000 * options.killAt,
        )
      : undefined;
  // Bounded loops: each slot stops at the deadline, or after a generous cap of conversations.
  const maxPerSlot = Math.ceil(options.seconds * 10);
  /** The slots share one schedule of start times, `1 / rate` apart. */
  let nextStartAt = Date.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let i = 0; i < maxPerSlot && Date.now() < deadline; i++) {
        const startAt = Math.max(nextStartAt, Date.now());
        nextStartAt = startAt + 1000 / options.rate;
        await new Promise((resolve) => setTimeout(resolve, startAt - Date.now()));
        if (Date.now() >= deadline) break;
        const scenario = pick(MIX);
        mix[scenario] = (mix[scenario] ?? 0) + 1;
        await play(scenario);
      }
    }),
  );
  clearTimeout(killTimer);
  await current;
  const trafficSeconds = (performance.now() - trafficStarted) / 1000;
  process.stderr.write(
    `soak: traffic done (${tally.requests} requests, ${conversations.size} contacts); waiting for replies\n`,
  );

  // ── Drain: until every reply that must go out arrived or is accounted for by the pipeline's
  // record at the kill (or the timeout), then past the last optional one's due time, so a reply
  // that must not go out has had its chance to show. ──
  const dueTotal = [...conversations.values()].reduce((sum, c) => sum + c.due.length, 0);
  const drainStarted = performance.now();
  const target = await loadTarget({ outputs: outputsFile }, async () => "");
  const clients = clientsFor(target);
  const reader = new DynamoConversationReader(
    clients.dynamo,
    String(target.outputs.tableNames?.conversation),
  );
  const textsByPhone = () => {
    const byPhone = new Map<string, string[]>();
    for (const r of sent) {
      const phone = r.phone.replace(/\D/g, "");
      byPhone.set(phone, [...(byPhone.get(phone) ?? []), r.text]);
    }
    return byPhone;
  };
  /** Due replies not at the vendor: each lost, or sent / cut off at the kill by the pipeline's record. */
  const account = async () => {
    const byPhone = textsByPhone();
    const result = { absent: 0, lost: [] as string[], sentAtKill: 0, unknownAtKill: 0 };
    for (const [phone, c] of conversations) {
      const got = byPhone.get(phone) ?? [];
      const absent = c.due.filter((d) => !got.includes(d.text));
      result.absent += absent.length;
      if (absent.length === 0 || !kill) {
        result.lost.push(...absent.map((d) => `${c.scenario} "${d.text}" (not at the vendor)`));
        continue;
      }
      const replies = (await reader.conversation(phone)).replies;
      for (const d of absent) {
        const item = replies.find((r) => r.planId === d.planId && r.seq === d.seq);
        const sentAt = item?.at ? Date.parse(item.at) : undefined;
        if (item?.status === "SENT" && sentAt !== undefined && sentAt <= kill.readyAgainAt) {
          result.sentAtKill += 1;
        } else if (item?.status === "UNKNOWN") {
          result.unknownAtKill += 1;
        } else {
          result.lost.push(`${c.scenario} "${d.text}" (${item?.status ?? "no reply item"})`);
        }
      }
    }
    return result;
  };
  // Done when every due reply is at the vendor, or when the pipeline has nothing left to do (its
  // work queues empty twice in a row: a backlog after a long run is waited out, not judged lost).
  const queues = target.outputs.queueNames;
  const idle = async () => {
    if (!queues) return false;
    const depths = await Promise.all(
      [queues.jobs, queues.replies].map(async (name) => {
        const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
        return totalOf(await queueDepth(clients.sqs, String(QueueUrl)));
      }),
    );
    return depths.every((depth) => depth === 0);
  };
  for (let idleChecks = 0; performance.now() - drainStarted < DRAIN_TIMEOUT_MS; ) {
    const byPhone = textsByPhone();
    const absent = [...conversations].some(([phone, c]) =>
      c.due.some((d) => !(byPhone.get(phone) ?? []).includes(d.text)),
    );
    if (!absent) break;
    idleChecks = (await idle().catch(() => false)) ? idleChecks + 1 : 0;
    if (idleChecks >= 2) break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  await new Promise((resolve) => setTimeout(resolve, LATER_MS + 3000));
  polling = false;
  await poller;
  await pollVendor(stack).catch(() => undefined);
  const accounted = await account();
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  clients.destroy();

  // ── Verdicts ──
  const byPhone = new Map<string, VendorRecord[]>();
  for (const r of sent) {
    const phone = r.phone.replace(/\D/g, "");
    byPhone.set(phone, [...(byPhone.get(phone) ?? []), r]);
  }
  const verdict = {
    lost: accounted.lost.length,
    doubled: 0,
    /**
     * Sent again after a vendor call that timed out though the vendor had taken it (promise 8a:
     * the vendor takes no idempotency key). Counted apart; not a failure of the soak.
     */
    resentAfterTimeout: 0,
    wronglySent: 0,
    sentAfterSuperseded: 0,
    outOfOrder: 0,
    /** Sent just before the kill: the vendor's list died with the stack; the pipeline's record says SENT. */
    sentAtKill: accounted.sentAtKill,
    /** Cut off mid-send by the kill: not sent again (at most once); the pipeline's record says so. */
    unknownAtKill: accounted.unknownAtKill,
  };
  const samples: string[] = [];
  const note = (line: string) => {
    if (samples.length < 20) samples.push(line);
  };
  const lostSamples = accounted.lost.slice(0, 5).map((line) => `lost: ${line}`);
  /** Seconds since the traffic began, for the samples. */
  const seconds = (at: string) => ((Date.parse(at) - trafficStartedAt) / 1000).toFixed(1);
  const killNote = kill
    ? ` (killed at ${((kill.at - trafficStartedAt) / 1000).toFixed(1)} s, up again at ${((kill.readyAgainAt - trafficStartedAt) / 1000).toFixed(1)} s)`
    : "";
  for (const [phone, c] of conversations) {
    const got = byPhone.get(phone) ?? [];
    const texts = got.map((r) => r.text);
    const counted = new Map<string, number>();
    for (const text of texts) counted.set(text, (counted.get(text) ?? 0) + 1);
    // Doubled: more often than it may go out at all.
    for (const [text, count] of counted) {
      const allowed =
        c.due.filter((d) => d.text === text).length +
        c.optional.filter((o) => o.text === text).length;
      if (allowed > 0 && count > allowed) {
        const copies = got.filter((r) => r.text === text);
        // A copy whose answer the sender never got was resent by design: the documented
        // at-least-once window of promise 8a, not an unexplained double. Either the sender logged
        // a timeout (or broken connection) of this very reply before its retry, or the vendor
        // saw the sender hang up (a stalled sender can also time out on an answer already sent).
        const loggedTimeouts = c.due.filter(
          (d) => d.text === text && ambiguousFailures.has(`${d.planId}#${d.seq}`),
        ).length;
        const resent = Math.min(
          count - allowed,
          Math.max(loggedTimeouts, copies.slice(0, -1).filter((r) => r.unanswered).length),
        );
        verdict.resentAfterTimeout += resent;
        verdict.doubled += count - allowed - resent;
        const times = copies.map((r) => `${seconds(r.at)}${r.unanswered ? " (unanswered)" : ""}`);
        const kind = resent === count - allowed ? "resent after a vendor timeout" : "doubled";
        note(`${kind}: ${c.scenario} "${text}" at ${times.join(", ")} s${killNote}`);
      }
    }
    // Wrongly sent: forbidden, unknown to the conversation, or an optional one after its limit.
    for (const [text, count] of counted) {
      const known = c.due.some((d) => d.text === text) || c.optional.some((o) => o.text === text);
      if (c.forbidden.includes(text) || !known) {
        verdict.wronglySent += count;
        note(`wrongly sent: ${c.scenario} "${text}" (${texts.join(" → ")})${killNote}`);
      }
    }
    for (const o of c.optional) {
      if (!o.before) continue;
      const late = got.find((r) => r.text === o.text);
      const limit = got.find((r) => r.text === o.before);
      if (late && limit && Date.parse(late.at) > Date.parse(limit.at)) {
        verdict.wronglySent += 1;
        verdict.sentAfterSuperseded += 1;
        note(
          `sent after superseded: ${c.scenario} "${o.text}" at ${seconds(late.at)} s after "${o.before}" at ${seconds(limit.at)} s${killNote}`,
        );
      }
    }
    // Out of order: a plan's replies that arrived, in another order than its sequence (two plans'
    // replies interleave by their due times: "hi" may come between "order received" and "shipped").
    for (const planId of new Set(c.due.map((d) => d.planId))) {
      const ofPlan = c.due.filter((d) => d.planId === planId);
      const order = texts.filter((text) => ofPlan.some((d) => d.text === text));
      const planned = ofPlan.map((d) => d.text).filter((text) => order.includes(text));
      if (order.length === planned.length && order.some((text, i) => text !== planned[i])) {
        verdict.outOfOrder += 1;
        note(`out of order: ${c.scenario} ${order.join(" → ")}`);
      }
    }
  }
  for (const phone of byPhone.keys()) {
    if (!conversations.has(phone)) {
      verdict.wronglySent += byPhone.get(phone)?.length ?? 0;
      note("wrongly sent: a reply to a number no conversation used");
    }
  }
  const rssAtEnd = rssOfTree(stack.child.pid);

  await stopStack(stack.child);
  await policy.stop();
  rmSync(dir, { recursive: true, force: true });

  const latency = summarize(tally.latenciesMs);
  const result = {
    date: environment.date,
    machine: environment.machine,
    node: environment.node,
    java: environment.java,
    loadAverageAtStart: environment.loadAverage,
    loadAverageAtEnd: describeEnvironment().loadAverage,
    seconds: options.seconds,
    concurrency: options.concurrency,
    rate: options.rate,
    trafficSeconds: Math.round(trafficSeconds),
    killed: kill
      ? {
          afterSeconds: Math.round((kill.at - trafficStartedAt) / 1000),
          restartMs: kill.durationMs,
        }
      : null,
    requests: tally.requests,
    requestsPerSecond: Math.round((tally.requests / trafficSeconds) * 10) / 10,
    contacts: conversations.size,
    accepted: tally.accepted,
    duplicates: tally.duplicates,
    rejected401: tally.rejected401,
    rejected400: tally.rejected400,
    retried: tally.retried,
    errors: tally.errors,
    errorSamples: tally.errorSamples,
    repliesExpected: dueTotal,
    repliesSent: sent.length,
    contactsAnswered: byPhone.size,
    ...verdict,
    samples: [...samples, ...lostSamples],
    drainSeconds: Math.round(drainSeconds * 10) / 10,
    latencyMs: {
      p50: Math.round(latency.p50 * 10) / 10,
      p99: Math.round(latency.p99 * 10) / 10,
      max: Math.round(latency.max * 10) / 10,
    },
    rssMiB: { start: rssAtStart, end: rssAtEnd },
    mix,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (options.json) writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
  const healthy =
    result.lost === 0 &&
    result.doubled === 0 &&
    result.wronglySent === 0 &&
    result.outOfOrder === 0 &&
    result.errors === 0 &&
    result.repliesSent > 0 &&
    result.contactsAnswered > 0;
  process.exitCode = healthy ? 0 : 1;
}

main().catch((error: Error) => {
  process.stderr.write(`soak failed: ${error.stack ?? error.message}\n`);
  if (running) killGroup(running, "SIGKILL");
  process.exit(1);
});
