import { SCHEDULE_LEAD_SECONDS } from "../lambdas/core/schedule.js";
import { type CountingProxy, startCountingProxy } from "../local/countingProxy.js";
import { checkReplies, type ExpectedReply } from "../local/demoCheck.js";
import { jumpClock } from "../local/jumpClock.js";
import { sampleWebhookBody } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import { startSchedulerStandIn } from "../local/services/schedulerStandIn.js";
import type { SentRecord } from "../local/vendorSimulator.js";
import { deliveriesFor } from "./lib/cost.js";
import { summarize, waitFor } from "./lib/measure.js";
import { fmt, type Section } from "./lib/report.js";
import { postSigned, startBenchStack, startWorkers } from "./lib/stack.js";

/**
 * Benchmark 4: scheduling precision through the whole local pipeline, with the SQS hop limit
 * lowered so that later messages go through schedules (the Scheduler stand-in) and a final hop:
 * each send's lateness against its due time (the vendor simulator's receive time − acceptance −
 * offset), and order violations. Then offsets far past the hop (an hour to 60 days) on a
 * compressed clock, counted at the services. What a delay costs (at most $3 per million replies,
 * the target) is pure arithmetic: bench/lib/cost.ts delayCostPerMillion, checked by its test.
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
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
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
    await postSigned(stack, sampleWebhookBody({ phone, text, at: Date.now() }));
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
    ],
    targets: [
      {
        target: `send lateness p99 ≤ ${TARGET_P99_MS} ms`,
        measured: `p50 ${fmt.ms(all.p50)} ms, p99 ${fmt.ms(all.p99)} ms, max ${fmt.ms(all.max)} ms`,
        met: all.p99 <= TARGET_P99_MS && verdict.missing.length === 0,
      },
      {
        target: "a far reply takes one schedule and one final hop, sent once, never early",
        measured: far.map((r) => r.measured).join("; "),
        met: far.every((r) => r.met),
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
        "Per offset: CreateSchedule calls / fires at the stand-in / SendMessage calls of the handlers " +
        "(counting proxy) after the schedules were made (the final hop only), for so many replies.",
    ],
  };
}

/** Far offsets (past the hop) on a compressed clock: one reply each, counted at the services. */
async function runFarOffsets(options: SchedulingOptions) {
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
  const rows: { measured: string; met: boolean }[] = [];
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
        await postSigned(stack, sampleWebhookBody({ phone, text: `far ${i}`, at: Date.now() }));
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
      const early = sent.filter((s) => Date.parse(s.at) + clock.offset() < acceptedBy + offset);
      const counts = [
        (scheduler.calls.get("CreateSchedule") ?? 0) - createsBefore,
        scheduler.fired() - firedBefore,
        sends() - sendsBefore,
        sent.length,
      ];
      rows.push({
        measured: `${formatOffset(offset)}: ${counts.slice(0, 3).join("/")} for ${conversations}, ${sent.length} sent, ${early.length} early`,
        met: counts.every((count) => count === conversations) && early.length === 0,
      });
    }
  } finally {
    await stack.stop();
    await scheduler.stop();
  }
  return rows;
}

function formatOffset(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} day${ms === DAY ? "" : "s"}`;
  if (ms % (60 * MINUTE) === 0) return `${ms / (60 * MINUTE)} h`;
  return `${ms} ms`;
}
