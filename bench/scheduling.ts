import { FUNCTION_SIZING } from "../infra/functionSizing.js";
import { SCHEDULE_LEAD_SECONDS } from "../lambdas/core/schedule.js";
import { type CountingProxy, startCountingProxy } from "../local/countingProxy.js";
import { checkReplies, type ExpectedReply } from "../local/demoCheck.js";
import { jumpClock } from "../local/jumpClock.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import { startSchedulerStandIn } from "../local/services/schedulerStandIn.js";
import type { SentRecord } from "../local/vendorSimulator.js";
import { delayCostPerMillion, deliveriesFor } from "./lib/cost.js";
import { summarize, waitFor } from "./lib/measure.js";
import { fmt, type Section } from "./lib/report.js";
import { startBenchStack, startWorkers } from "./lib/stack.js";

/**
 * Benchmark 4: scheduling precision through the whole local pipeline, with the SQS hop limit
 * lowered so that later messages go through schedules (the Scheduler stand-in) and a final hop:
 * each send's lateness against its due time (the vendor simulator's receive time − acceptance −
 * offset), and order violations. Then offsets far past the hop (an hour to 60 days) on a
 * compressed clock, counted at the services; and what each delay costs, chained vs scheduled.
 */

export interface SchedulingOptions {
  services: LocalServices;
  conversations: number;
  /** Pause between the conversations' first messages. */
  staggerMs: number;
  offsetsMs: number[];
  maxSqsDelaySeconds: number;
  /** Far offsets run on a compressed clock (jumped to just before each is due). */
  farOffsetsMs: number[];
}

const TARGET_P99_MS = 1000;
/** The target: a delay of any length adds at most this to a reply, per million. */
const TARGET_DELAY_COST_PER_MILLION = 3;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The delays the cost table prices. */
const PRICED_DELAYS: [string, number][] = [
  ["1 min", MINUTE],
  ["1 h", 60 * MINUTE],
  ["1 day", DAY],
  ["1 week", 7 * DAY],
  ["60 days", 60 * DAY],
];
/** A hop's billed run of the sender: it reads nothing, sends one message (assumed, short). */
const HOP_MS = 10;
/** The text the benchmark's rules give message `seq`. */
const scheduledText = (seq: number, offsetMs: number) => `#${seq} due +${offsetMs} ms`;

export async function runScheduling(options: SchedulingOptions): Promise<Section> {
  const { offsetsMs, maxSqsDelaySeconds } = options;
  const warmUp = [
    { text: "warm-up now", delay: 0 },
    { text: "warm-up after a hop", delay: 1500 },
  ];
  const rules = [
    { match: "^warm up", messages: warmUp },
    {
      match: "^schedule me",
      messages: offsetsMs.map((delay, seq) => ({ text: scheduledText(seq, delay), delay })),
    },
  ];
  const stack = await startBenchStack(options.services, "bench-schedule-", {
    rules,
    maxSqsDelaySeconds,
  });
  const post = async (phone: string, text: string) => {
    const body = sampleWebhookBody({ phone, text, at: Date.now() });
    const signature = signatureFor(body, stack.signingSecret, stack.signatureScheme);
    const answer = await postWebhook(stack.receiverUrl, body, signature);
    if (answer.status !== 200) throw new Error(`webhook "${text}" answered ${answer.status}`);
  };
  // Due times count from the moment the POST started, just before acceptance: an upper bound.
  const expected: ExpectedReply[] = [];
  let sent: SentRecord[];
  try {
    startWorkers(stack);
    // Warm-up: first connections, secret reads, JIT, as a warm Lambda has them.
    for (let i = 0; i < 3; i++) await post(String(4915399990000 + i), `warm up ${i}`);
    const what = "the warm-up sends";
    await waitFor(() => stack.vendor.sent().length >= 6, { timeoutMs: 30_000, what });
    stack.vendor.reset();
    const posts: Promise<void>[] = [];
    for (let i = 0; i < options.conversations; i++) {
      const phone = String(4915300000000 + i);
      const startedAt = Date.now();
      for (const [seq, offset] of offsetsMs.entries()) {
        expected.push({ phone, text: scheduledText(seq, offset), dueAt: startedAt + offset });
      }
      posts.push(post(phone, `schedule me ${i}`));
      await new Promise((resolve) => setTimeout(resolve, options.staggerMs));
    }
    await Promise.all(posts);
    const count = expected.length;
    const timeoutMs = Math.max(...offsetsMs) + 30_000;
    // Missing sends are reported below, not fatal.
    await waitFor(() => stack.vendor.sent().length >= count, {
      timeoutMs,
      what: `${count} sends`,
    }).catch(() => undefined);
    // A little longer, so a repeated send would be seen too.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    sent = stack.vendor.sent();
  } finally {
    await stack.stop();
  }
  const verdict = checkReplies(expected, sent);
  const lateness = (seq?: number) =>
    expected
      .filter((reply) => seq === undefined || reply.text.startsWith(`#${seq} `))
      .map((reply) => {
        const record = sent.find((s) => s.phone.endsWith(reply.phone) && s.text === reply.text);
        return record ? Date.parse(record.at) - reply.dueAt : Number.NaN;
      })
      .filter(Number.isFinite);
  const row = (label: string, hops: string, samples: number[]) => {
    const s = summarize(samples);
    return [label, hops, String(s.count), fmt.ms(s.p50), fmt.ms(s.p99), fmt.ms(s.max)];
  };
  const all = summarize(lateness());
  const leadMs = Math.min(SCHEDULE_LEAD_SECONDS, maxSqsDelaySeconds) * 1000;
  const hops = (offset: number) =>
    `${deliveriesFor(offset, { maxHopSeconds: maxSqsDelaySeconds, scheduled: true, leadMs })}${offset > maxSqsDelaySeconds * 1000 ? " (schedule)" : ""}`;
  const far = await runFarOffsets(options);
  const sender = { memoryMb: FUNCTION_SIZING.sender.memoryMb, ms: HOP_MS };
  const priced = PRICED_DELAYS.map(([label, delay]) => {
    const at = (scheduled: boolean) => {
      const o = { maxHopSeconds: 900, leadMs: SCHEDULE_LEAD_SECONDS * 1000, scheduled, sender };
      return { deliveries: deliveriesFor(delay, o), cost: delayCostPerMillion(delay, o) };
    };
    return { label, chained: at(false), scheduled: at(true) };
  });
  const worstScheduled = Math.max(...priced.map((p) => p.scheduled.cost));
  return {
    title: "4. Scheduling precision",
    tables: [
      {
        title: "Lateness of each send against its due time, ms",
        headers: ["offset ms", "SQS deliveries", "sends", "p50", "p99", "max"],
        rows: [
          ...offsetsMs.map((offset, seq) => row(String(offset), hops(offset), lateness(seq))),
          row("all", "", lateness()),
        ],
      },
      {
        title: `Far offsets on a compressed clock (hop ${far.maxHopSeconds} s): counted at the services`,
        headers: [
          "offset",
          "replies",
          "CreateSchedule",
          "schedules fired",
          "handler SendMessage",
          "sent",
          "lateness p50 ms",
          "max ms",
        ],
        rows: far.rows.map((r) => [
          r.label,
          String(r.replies),
          String(r.creates),
          String(r.fired),
          String(r.sends),
          String(r.sent),
          fmt.ms(r.lateness.p50),
          fmt.ms(r.lateness.max),
        ]),
      },
      {
        title:
          "What the delay adds per million replies, one message at a time (hop 900 s; schedule fires 300 s early)",
        headers: [
          "delay",
          "chained deliveries",
          "chained $/M",
          "scheduled deliveries",
          "scheduled $/M",
        ],
        rows: priced.map((p) => [
          p.label,
          String(p.chained.deliveries),
          fmt.usd(p.chained.cost),
          String(p.scheduled.deliveries),
          fmt.usd(p.scheduled.cost),
        ]),
      },
    ],
    targets: [
      {
        target: `send lateness p99 ≤ ${TARGET_P99_MS} ms`,
        measured: `p50 ${fmt.ms(all.p50)} ms, p99 ${fmt.ms(all.p99)} ms, max ${fmt.ms(all.max)} ms`,
        met: all.p99 <= TARGET_P99_MS && verdict.missing.length === 0,
      },
      {
        target: `a delay of any length adds ≤ $${TARGET_DELAY_COST_PER_MILLION} per million replies`,
        measured: `at most ${fmt.usd(worstScheduled)} (60 days chained: ${fmt.usd(priced.at(-1)?.chained.cost ?? 0)})`,
        met: worstScheduled <= TARGET_DELAY_COST_PER_MILLION,
      },
      {
        target: "a far reply takes one schedule and one final hop, sent once, never early",
        measured: far.rows
          .map(
            (r) =>
              `${r.label}: ${r.creates}/${r.fired}/${r.sends} for ${r.replies}, ${r.sent} sent, ${r.early} early`,
          )
          .join("; "),
        met: far.rows.every(
          (r) =>
            r.creates === r.replies &&
            r.fired === r.replies &&
            r.sends === r.replies &&
            r.sent === r.replies &&
            r.early === 0,
        ),
      },
      {
        target: "every send once and in order",
        measured:
          `${verdict.outOfOrder.length} contacts out of order, ${verdict.missing.length} missing, ` +
          `${verdict.unexpected.length} repeated or unexpected`,
        met: verdict.ok,
      },
    ],
    notes: [
      `${options.conversations} conversations ${options.staggerMs} ms apart, MAX_SQS_DELAY_SECONDS = ` +
        `${maxSqsDelaySeconds}; sends expected ${expected.length}, received ${sent.length}. Offsets past the hop go ` +
        `through a schedule (the Scheduler stand-in, real time) that fires ${leadMs / 1000} s early, then one final hop.`,
      "Far offsets: the responder, the sender and a Scheduler stand-in of their own share a jump clock " +
        "(local/jumpClock.ts), moved to just before each offset's schedule; SQS delays stay real. " +
        "Columns per offset: CreateSchedule calls and fires at the stand-in, SendMessage calls of the handlers " +
        "(counting proxy) after the schedules were made: the final hop only.",
      `Cost: a delivery is SendMessage + ReceiveMessage + DeleteMessage and one sender invocation ` +
        `(${FUNCTION_SIZING.sender.memoryMb} MB × ${HOP_MS} ms), unbatched; a schedule adds one Scheduler invocation ` +
        "($1.00 per million after 14M free a month). Batching lowers both columns alike.",
    ],
  };
}

interface FarRow {
  label: string;
  replies: number;
  creates: number;
  fired: number;
  sends: number;
  sent: number;
  early: number;
  lateness: ReturnType<typeof summarize>;
}

/** Far offsets (past the hop) on a compressed clock: one reply each, counted at the services. */
async function runFarOffsets(
  options: SchedulingOptions,
): Promise<{ maxHopSeconds: number; rows: FarRow[] }> {
  const maxHopSeconds = 3;
  const clock = jumpClock();
  const sqsEndpoint = options.services.awsEnv.AWS_ENDPOINT_URL_SQS as string;
  const scheduler = await startSchedulerStandIn({ sqsEndpoint, now: clock.now, pollMs: 100 });
  let counter: CountingProxy | undefined;
  const conversations = Math.max(2, Math.floor(options.conversations / 4));
  const rules = options.farOffsetsMs.map((delay, i) => ({
    match: `^far ${i}$`,
    messages: [{ text: `far ${i}`, delay }],
  }));
  const stack = await startBenchStack(
    {
      ...options.services,
      awsEnv: { ...options.services.awsEnv, AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint },
    },
    "bench-far-",
    {
      rules,
      maxSqsDelaySeconds: maxHopSeconds,
      clock,
      wrapEndpoint: async (service, endpoint) => {
        if (service !== "sqs") return undefined;
        counter = await startCountingProxy(endpoint);
        return { endpoint: counter.endpoint, stop: () => counter?.stop() ?? Promise.resolve() };
      },
    },
  );
  const rows: FarRow[] = [];
  try {
    startWorkers(stack);
    const sends = () => counter?.tallies().get("SendMessage")?.calls ?? 0;
    for (const [i, offset] of options.farOffsetsMs.entries()) {
      const createsBefore = scheduler.calls.get("CreateSchedule") ?? 0;
      const firedBefore = scheduler.fired();
      const sentBefore = stack.vendor.sent().length;
      const acceptedBy = clock.now();
      for (let c = 0; c < conversations; c++) {
        const phone = String(4915310000000 + i * 100 + c);
        const body = sampleWebhookBody({ phone, text: `far ${i}`, at: Date.now() });
        const answer = await postWebhook(
          stack.receiverUrl,
          body,
          signatureFor(body, stack.signingSecret, stack.signatureScheme),
        );
        if (answer.status !== 200) throw new Error(`webhook "far ${i}" answered ${answer.status}`);
      }
      await waitFor(
        () => (scheduler.calls.get("CreateSchedule") ?? 0) - createsBefore >= conversations,
        { timeoutMs: 30_000, what: `${conversations} schedules` },
      );
      const sendsBefore = sends();
      // Just before the schedules fire (the lead is one hop): the rest is real time.
      clock.advance(Math.max(0, acceptedBy + offset - (maxHopSeconds + 1) * 1000 - clock.now()));
      await waitFor(() => stack.vendor.sent().length - sentBefore >= conversations, {
        timeoutMs: 30_000,
        what: `${conversations} far sends`,
      }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const sent = stack.vendor.sent().slice(sentBefore);
      // Due no earlier than acceptedBy + offset; the send's time on the jumped clock.
      const late = sent.map((s) => Date.parse(s.at) + clock.offset() - (acceptedBy + offset));
      rows.push({
        label: formatOffset(offset),
        replies: conversations,
        creates: (scheduler.calls.get("CreateSchedule") ?? 0) - createsBefore,
        fired: scheduler.fired() - firedBefore,
        sends: sends() - sendsBefore,
        sent: sent.length,
        early: late.filter((ms) => ms < 0).length,
        lateness: summarize(late),
      });
    }
  } finally {
    await stack.stop();
    await scheduler.stop();
  }
  return { maxHopSeconds, rows };
}

function formatOffset(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} day${ms === DAY ? "" : "s"}`;
  if (ms % (60 * MINUTE) === 0) return `${ms / (60 * MINUTE)} h`;
  return `${ms} ms`;
}
