/**
 * Soak: N minutes of mixed webhook traffic against `npm start` (the local stack as a black box),
 * then a count of what came out at the vendor simulator. Not a test (vitest runs *.test.ts
 * only): it prints figures, and docs/reliability.md keeps the last run's.
 *
 *   npm run soak -- [--minutes 1] [--concurrency 8] [--json FILE]
 *
 * Traffic, per request slot (closed loop, `concurrency` slots, each request bounded by a timeout):
 *   62% a new signed webhook (its own contact)      → 200 accepted
 *   10% a new "order" webhook (two-message plan)    → 200 accepted
 *   12% a repeat of an earlier accepted webhook     → 200 (accepted or duplicate: counted as a repeat)
 *    6% a burst of 3 identical copies at once       → three 200s (one job: the FIFO queue dedupes)
 *    5% a forged signature                          → 401
 *    5% a malformed body                            → 400
 * A 503 is retried like the vendor retries (up to 10 times); anything else unexpected is an error.
 *
 * After the traffic, it waits for the replies, then checks every accepted webhook's contact got
 * exactly its plan at the vendor, in order. lost = replies that never arrived (must be 0);
 * duplicated = replies that arrived twice (must be 0). Exit code 1 if either is non-zero or if
 * any request failed unexpectedly.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { summarize } from "../../bench/lib/measure.js";
import { describeEnvironment } from "../../bench/lib/report.js";
import { parseReadyLine, waitForReadyLine } from "../../local/readyLine.js";
import { sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const READY_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_RETRIES = 10;
/** Wait this long after the traffic for the last replies (plans take ≤ 1 s plus queue time). */
const DRAIN_TIMEOUT_MS = 90_000;

const RULES = [
  {
    match: "^order",
    messages: [
      { text: "order received", delay: 0 },
      { text: "we will ship it soon", delay: 1000 },
    ],
  },
  { match: ".*", messages: [{ text: "thanks for writing", delay: 0 }] },
];
const planFor = (text: string): string[] =>
  (RULES.find((rule) => new RegExp(rule.match, "i").test(text)) ?? RULES[1])?.messages.map(
    (m) => m.text,
  ) ?? [];

type Kind = "new" | "order" | "repeat" | "burst" | "forged" | "malformed";
const MIX: [Kind, number][] = [
  ["new", 62],
  ["order", 10],
  ["repeat", 12],
  ["burst", 6],
  ["forged", 5],
  ["malformed", 5],
];

interface Options {
  minutes: number;
  concurrency: number;
  json?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: "string", default: "1" },
      concurrency: { type: "string", default: "8" },
      json: { type: "string" },
    },
    strict: true,
  });
  const minutes = Number(values.minutes);
  const concurrency = Number(values.concurrency);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error("--minutes must be in (0, 1440]");
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 256)) {
    throw new Error("--concurrency must be a whole number from 1 to 256");
  }
  return { minutes, concurrency, json: values.json };
}

/** `npm start` with the soak's rules and secret, on free ports; resolves with its URLs. */
async function startStack(secret: string, rulesFile: string) {
  const child = spawn(
    "npm",
    ["start", "--silent", "--", "--port", "0", "--vendor-port", "0", "--rules", rulesFile],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        WEBHOOK_SIGNING_SECRET: secret,
        SIGNATURE_SCHEME: "auto",
        // One INFO line per webhook per function is a lot of output for nothing to read.
        POWERTOOLS_LOG_LEVEL: "WARN",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderrTail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-8000);
  });
  const ready = parseReadyLine(await waitForReadyLine(child, READY_TIMEOUT_MS, () => stderrTail));
  return { child, ...ready, stderrTail: () => stderrTail };
}

async function stopStack(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
  await exited;
  clearTimeout(timer);
}

interface Tally {
  requests: number;
  accepted: number;
  duplicates: number;
  rejected401: number;
  rejected400: number;
  retried503: number;
  errors: number;
  errorSamples: string[];
  latenciesMs: number[];
  byKind: Record<Kind, number>;
}

function newTally(): Tally {
  return {
    requests: 0,
    accepted: 0,
    duplicates: 0,
    rejected401: 0,
    rejected400: 0,
    retried503: 0,
    errors: 0,
    errorSamples: [],
    latenciesMs: [],
    byKind: { new: 0, order: 0, repeat: 0, burst: 0, forged: 0, malformed: 0 },
  };
}

interface Sent {
  phone: string;
  text: string;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const environment = describeEnvironment();
  const secret = randomBytes(32).toString("base64url");
  const dir = mkdtempSync(join(tmpdir(), "soak-"));
  const rulesFile = join(dir, "rules.json");
  writeFileSync(rulesFile, JSON.stringify(RULES));

  process.stderr.write(`soak: starting npm start (rules ${rulesFile})\n`);
  const stack = await startStack(secret, rulesFile);
  process.stderr.write(`soak: ready at ${stack.receiverUrl}; ${options.minutes} min of traffic\n`);

  const tally = newTally();
  /** Accepted webhooks: phone (digits) → the texts its contact must receive, in order. */
  const expected = new Map<string, string[]>();
  const acceptedBodies: string[] = [];
  let contact = 0;

  const post = async (body: string, signature: string | undefined) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (signature !== undefined) headers["x-webhook-signature"] = signature;
    const started = performance.now();
    try {
      const res = await fetch(stack.receiverUrl, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      tally.latenciesMs.push(performance.now() - started);
      tally.requests += 1;
      return { status: res.status, text };
    } catch (error) {
      tally.requests += 1;
      return { status: 0, text: String(error) };
    }
  };

  const fail = (what: string) => {
    tally.errors += 1;
    if (tally.errorSamples.length < 10) tally.errorSamples.push(what);
  };

  /** Posts like the vendor: a 503 (or a lost connection) is retried after a pause. */
  const deliver = async (body: string, signature: string | undefined) => {
    for (let attempt = 0; ; attempt++) {
      const answer = await post(body, signature);
      if ((answer.status !== 503 && answer.status !== 0) || attempt >= MAX_RETRIES) return answer;
      tally.retried503 += 1;
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
  };

  const signed = (text: string) => {
    contact += 1;
    const phone = `1${String(4_150_000_000 + contact)}`;
    const body = sampleWebhookBody({ phone, text, at: Date.now() });
    return { phone, body, signature: signatureFor(body, secret, "hmac-sha256") };
  };

  const expectOne = (
    answer: { status: number; text: string },
    want: "accepted" | "repeat" | 400 | 401,
    kind: Kind,
  ): boolean => {
    if (typeof want === "number") {
      if (answer.status === want) {
        if (want === 401) tally.rejected401 += 1;
        else tally.rejected400 += 1;
        return true;
      }
      fail(`${kind}: wanted ${want}, got ${answer.status} ${answer.text.slice(0, 120)}`);
      return false;
    }
    const status =
      answer.status === 200 ? (JSON.parse(answer.text) as { status?: string }).status : "";
    // The receiver cannot tell a repeat inside SQS's deduplication window from the first
    // delivery (both are "accepted"): a known repeat counts as one whatever it answers.
    if (want === "repeat" && (status === "accepted" || status === "duplicate")) {
      tally.duplicates += 1;
    } else if (status === "accepted") tally.accepted += 1;
    else if (status === "duplicate") tally.duplicates += 1;
    else {
      fail(`${kind}: wanted ${want}, got ${answer.status} ${answer.text.slice(0, 120)}`);
      return false;
    }
    return true;
  };

  const pick = (): Kind => {
    let roll = Math.random() * 100;
    for (const [kind, weight] of MIX) {
      roll -= weight;
      if (roll < 0) return kind;
    }
    return "new";
  };

  const oneRequest = async () => {
    const kind = acceptedBodies.length === 0 ? "new" : pick();
    tally.byKind[kind] += 1;
    switch (kind) {
      case "new":
      case "order": {
        const text = kind === "order" ? `order #${contact}` : `hello #${contact}`;
        const webhook = signed(text);
        const answer = await deliver(webhook.body, webhook.signature);
        // A lost answer that was accepted shows up as "duplicate" on the retry: both count.
        if (expectOne(answer, "accepted", kind)) {
          expected.set(webhook.phone, planFor(text));
          acceptedBodies.push(webhook.body);
        }
        return;
      }
      case "repeat": {
        const body = acceptedBodies[Math.floor(Math.random() * acceptedBodies.length)] as string;
        expectOne(await deliver(body, signatureFor(body, secret, "hmac-sha256")), "repeat", kind);
        return;
      }
      case "burst": {
        const text = `burst #${contact}`;
        const webhook = signed(text);
        const answers = await Promise.all(
          [0, 1, 2].map(() => deliver(webhook.body, webhook.signature)),
        );
        const statuses = answers.map((a) =>
          a.status === 200 ? (JSON.parse(a.text) as { status?: string }).status : String(a.status),
        );
        if (!statuses.every((s) => s === "accepted" || s === "duplicate")) {
          fail(`burst: answers ${statuses.join(",")}`);
          return;
        }
        // One copy is the delivery, two are repeats (lost/duplicated replies would show below).
        tally.accepted += 1;
        tally.duplicates += 2;
        expected.set(webhook.phone, planFor(text));
        acceptedBodies.push(webhook.body);
        return;
      }
      case "forged": {
        const webhook = signed("forged");
        expectOne(
          await deliver(webhook.body, signatureFor(webhook.body, "not-the-secret", "hmac-sha256")),
          401,
          kind,
        );
        return;
      }
      case "malformed": {
        const body = `{"phone_number": "1415", "last_message_of_user": `;
        expectOne(await deliver(body, signatureFor(body, secret, "hmac-sha256")), 400, kind);
        return;
      }
    }
  };

  const trafficStarted = performance.now();
  const deadline = Date.now() + options.minutes * 60_000;
  // Bounded loops: each slot stops at the deadline, or after a generous request cap.
  const maxPerSlot = Math.ceil((options.minutes * 60_000) / 2);
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let i = 0; i < maxPerSlot && Date.now() < deadline; i++) await oneRequest();
    }),
  );
  const trafficSeconds = (performance.now() - trafficStarted) / 1000;
  process.stderr.write(`soak: traffic done (${tally.requests} requests); waiting for replies\n`);

  // Wait for every expected reply (or the drain timeout), then compare.
  const wanted = [...expected.values()].reduce((sum, texts) => sum + texts.length, 0);
  const drainStarted = performance.now();
  let sent: Sent[] = [];
  for (;;) {
    sent = (await (await fetch(`${stack.vendorUrl}/_sent`)).json()) as Sent[];
    if (sent.length >= wanted || performance.now() - drainStarted > DRAIN_TIMEOUT_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // A short grace period: any duplicate send would land now.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  sent = (await (await fetch(`${stack.vendorUrl}/_sent`)).json()) as Sent[];
  const drainSeconds = (performance.now() - drainStarted) / 1000;

  const received = new Map<string, string[]>();
  for (const record of sent) {
    const phone = record.phone.replace(/\D/g, "");
    received.set(phone, [...(received.get(phone) ?? []), record.text]);
  }
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  for (const [phone, texts] of expected) {
    const got = received.get(phone) ?? [];
    for (const text of new Set(texts)) {
      const want = texts.filter((t) => t === text).length;
      const have = got.filter((t) => t === text).length;
      lost += Math.max(0, want - have);
      duplicated += Math.max(0, have - want);
    }
    const order = got.filter((t) => texts.includes(t));
    if (order.length === texts.length && order.some((t, i) => t !== texts[i])) outOfOrder += 1;
  }
  for (const phone of received.keys()) if (!expected.has(phone)) unexpected += 1;

  await stopStack(stack.child);
  rmSync(dir, { recursive: true, force: true });

  const latency = summarize(tally.latenciesMs);
  const result = {
    date: environment.date,
    machine: environment.machine,
    node: environment.node,
    java: environment.java,
    loadAverageAtStart: environment.loadAverage,
    minutes: options.minutes,
    concurrency: options.concurrency,
    trafficSeconds: Math.round(trafficSeconds),
    requests: tally.requests,
    requestsPerSecond: Math.round((tally.requests / trafficSeconds) * 10) / 10,
    webhooksAccepted: expected.size,
    accepted: tally.accepted,
    duplicates: tally.duplicates,
    rejected401: tally.rejected401,
    rejected400: tally.rejected400,
    retried503: tally.retried503,
    errors: tally.errors,
    errorSamples: tally.errorSamples,
    repliesExpected: wanted,
    repliesSent: sent.length,
    lost,
    duplicated,
    outOfOrderPlans: outOfOrder,
    unexpectedContacts: unexpected,
    drainSeconds: Math.round(drainSeconds * 10) / 10,
    latencyMs: {
      p50: Math.round(latency.p50 * 10) / 10,
      p99: Math.round(latency.p99 * 10) / 10,
      max: Math.round(latency.max * 10) / 10,
    },
    mix: tally.byKind,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    [
      "",
      "| accepted | duplicates | 401 | 400 | 503 retried | errors | lost | duplicated | out of order | p50 ms | p99 ms |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      `| ${result.accepted} | ${result.duplicates} | ${result.rejected401} | ${result.rejected400} | ${result.retried503} | ${result.errors} | ${result.lost} | ${result.duplicated} | ${result.outOfOrderPlans} | ${result.latencyMs.p50} | ${result.latencyMs.p99} |`,
      "",
    ].join("\n"),
  );
  if (options.json) writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
  const healthy =
    result.lost === 0 &&
    result.duplicated === 0 &&
    result.outOfOrderPlans === 0 &&
    result.unexpectedContacts === 0 &&
    result.errors === 0;
  process.exitCode = healthy ? 0 : 1;
}

main().catch((error: Error) => {
  process.stderr.write(`soak failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
