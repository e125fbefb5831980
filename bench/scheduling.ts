import { SCHEDULE_LEAD_SECONDS } from "../lambdas/core/schedule.js";
import { checkReplies, type ExpectedReply } from "../local/demoCheck.js";
import { sampleWebhookBody } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import type { SentRecord } from "../local/vendorSimulator.js";
import { deliveriesFor } from "./lib/cost.js";
import { summarize, waitFor } from "./lib/measure.js";
import { fmt, type Section } from "./lib/report.js";
import { postSigned, startBenchStack, startWorkers } from "./lib/stack.js";

/**
 * Benchmark 4: scheduling precision through the whole local pipeline, with the SQS hop limit
 * lowered so that later messages go through schedules (the Scheduler stand-in) and a final hop:
 * each send's lateness against its due time (the vendor simulator's receive time − acceptance −
 * offset), and order violations. The other scheduling targets are guarded by tests, not here: a
 * far reply's one schedule and one final hop by test/local/farReplies.test.ts (60 days on a
 * compressed clock), a delay's cost (≤ $3 per million replies) by test/bench/lib/cost.test.ts.
 */

export interface SchedulingOptions {
  services: LocalServices;
  conversations: number;
  /** Pause between the conversations' first messages. */
  staggerMs: number;
  offsetsMs: number[];
  maxSqsDelaySeconds: number;
}

const TARGET_P99_MS = 1000;
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
    ],
  };
}
