import { hopCount } from "../lambdas/core/schedule.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import type { SentRecord } from "../local/vendorSimulator.js";
import { summarize, waitFor } from "./lib/measure.js";
import { fmt, type Section } from "./lib/report.js";
import { startBenchStack, startWorkers } from "./lib/stack.js";

/**
 * Benchmark 4: scheduling precision through the whole local pipeline, with the SQS hop limit
 * lowered so that later messages take several chained hops: each send's lateness against its due
 * time (the vendor simulator's receive time − acceptance − offset), and order violations.
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

export interface SentPlan {
  /** The contact's digits. */
  phone: string;
  /** Epoch ms when the webhook POST started and when its answer arrived: acceptance lies between. */
  postStartedAt: number;
  postAnsweredAt: number;
  /** Offsets of the plan's messages from acceptance, in seq order. */
  offsetsMs: number[];
}

export interface LatenessSample {
  seq: number;
  offsetMs: number;
  /** Vendor receive time − (POST start + offset): an upper bound on the true lateness. */
  latenessMs: number;
  /** Vendor receive time − (POST answer + offset): a lower bound. */
  latenessLowerBoundMs: number;
}

/** The text the benchmark's rules give message `seq` (its seq is read back from it). */
export const scheduledText = (seq: number, offsetMs: number) => `#${seq} due +${offsetMs} ms`;

/**
 * What the vendor received, against the plans: lateness per send, order violations within a
 * conversation, and sends missing, repeated or unexpected. Pure.
 */
export function analyzeSends(plans: SentPlan[], sent: SentRecord[]) {
  const digits = (phone: string) => phone.replace(/\D/g, "");
  const byPhone = new Map<string, SentRecord[]>();
  for (const record of sent) {
    byPhone.set(digits(record.phone), [...(byPhone.get(digits(record.phone)) ?? []), record]);
  }
  const planned = new Set(plans.map((p) => digits(p.phone)));
  const result = {
    samples: [] as LatenessSample[],
    orderViolations: 0,
    missing: 0,
    duplicates: 0,
    unexpected: 0,
  };
  for (const [phone, records] of byPhone)
    if (!planned.has(phone)) result.unexpected += records.length;
  for (const plan of plans) {
    const seen = new Set<number>();
    let previous = -1;
    for (const record of byPhone.get(digits(plan.phone)) ?? []) {
      const seq = Number(/^#(\d+) /.exec(record.text)?.[1] ?? Number.NaN);
      const offset = plan.offsetsMs[seq];
      if (offset === undefined) result.unexpected += 1;
      else if (seen.has(seq)) result.duplicates += 1;
      else {
        seen.add(seq);
        if (seq < previous) result.orderViolations += 1;
        previous = Math.max(previous, seq);
        const at = Date.parse(record.at);
        result.samples.push({
          seq,
          offsetMs: offset,
          latenessMs: at - (plan.postStartedAt + offset),
          latenessLowerBoundMs: at - (plan.postAnsweredAt + offset),
        });
      }
    }
    result.missing += plan.offsetsMs.length - seen.size;
  }
  return result;
}

export async function runScheduling(options: SchedulingOptions): Promise<Section> {
  const rules = [
    {
      match: "^warm up",
      messages: [
        { text: "warm-up now", delay: 0 },
        { text: "warm-up after a hop", delay: 1500 },
      ],
    },
    {
      match: "^schedule me",
      messages: options.offsetsMs.map((delay, seq) => ({ text: scheduledText(seq, delay), delay })),
    },
  ];
  const { maxSqsDelaySeconds } = options;
  const stack = await startBenchStack(options.services, "bench-schedule-", {
    rules,
    maxSqsDelaySeconds,
  });
  const post = (phone: string, text: string) => {
    const body = sampleWebhookBody({ phone, text, at: Date.now() });
    return postWebhook(
      stack.receiverUrl,
      body,
      signatureFor(body, stack.signingSecret, stack.signatureScheme),
    );
  };
  const plans: SentPlan[] = [];
  const expected = options.conversations * options.offsetsMs.length;
  let sent: SentRecord[];
  try {
    startWorkers(stack);
    // Warm-up: first connections, secret reads, JIT, as a warm Lambda has them.
    for (let i = 0; i < 3; i++) await post(String(4915399990000 + i), `warm up ${i}`);
    await waitFor(() => stack.vendor.sent().length >= 6, {
      timeoutMs: 30_000,
      what: "the warm-up sends",
    });
    stack.vendor.reset();
    const posts: Promise<void>[] = [];
    for (let i = 0; i < options.conversations; i++) {
      const phone = String(4915300000000 + i);
      const postStartedAt = Date.now();
      posts.push(
        post(phone, `schedule me ${i}`).then((answer) => {
          if (answer.status !== 200) throw new Error(`webhook ${i} answered ${answer.status}`);
          plans.push({
            phone,
            postStartedAt,
            postAnsweredAt: Date.now(),
            offsetsMs: options.offsetsMs,
          });
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, options.staggerMs));
    }
    await Promise.all(posts);
    await waitFor(() => stack.vendor.sent().length >= expected, {
      timeoutMs: Math.max(...options.offsetsMs) + 30_000,
      what: `${expected} scheduled sends`,
    }).catch(() => undefined); // missing sends are reported below, not fatal
    // A little longer, so a duplicate send would be seen too.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    sent = stack.vendor.sent();
  } finally {
    await stack.stop();
  }
  const analysis = analyzeSends(plans, sent);
  const row = (label: string, hops: string, samples: number[]) => {
    const s = summarize(samples);
    return [label, hops, String(s.count), fmt.ms(s.p50), fmt.ms(s.p99), fmt.ms(s.max)];
  };
  const all = summarize(analysis.samples.map((s) => s.latenessMs));
  const lower = summarize(analysis.samples.map((s) => s.latenessLowerBoundMs));
  const clean = [
    analysis.orderViolations,
    analysis.missing,
    analysis.duplicates,
    analysis.unexpected,
  ].every((n) => n === 0);
  return {
    title: "4. Scheduling precision",
    method:
      `MAX_SQS_DELAY_SECONDS = ${options.maxSqsDelaySeconds}; ${options.conversations} conversations ` +
      `${options.staggerMs} ms apart, each planned ${options.offsetsMs.length} messages due ` +
      `${options.offsetsMs.join(", ")} ms after acceptance. See docs/benchmarks.md, “Method”.`,
    tables: [
      {
        title: "Lateness of each send against its due time, ms",
        headers: ["offset ms", "SQS deliveries", "sends", "p50", "p99", "max"],
        rows: [
          ...options.offsetsMs.map((offset, seq) =>
            row(
              String(offset),
              String(hopCount(offset, options.maxSqsDelaySeconds)),
              analysis.samples.filter((s) => s.seq === seq).map((s) => s.latenessMs),
            ),
          ),
          row(
            "all",
            "",
            analysis.samples.map((s) => s.latenessMs),
          ),
        ],
      },
    ],
    targets: [
      {
        target: `send lateness p99 ≤ ${TARGET_P99_MS} ms`,
        measured: `p50 ${fmt.ms(all.p50)} ms, p99 ${fmt.ms(all.p99)} ms, max ${fmt.ms(all.max)} ms`,
        met: all.p99 <= TARGET_P99_MS && analysis.missing === 0,
      },
      {
        target: "order violations = 0 (and no missing or repeated send)",
        measured: `${analysis.orderViolations} violations, ${analysis.missing} missing, ${analysis.duplicates} repeated, ${analysis.unexpected} unexpected`,
        met: clean,
      },
    ],
    notes: [
      `Lower bound (from the POST's answer): p50 ${fmt.ms(lower.p50)} ms, p99 ${fmt.ms(lower.p99)} ms, ` +
        `max ${fmt.ms(lower.max)} ms. Sends expected ${expected}, received ${sent.length}.`,
    ],
  };
}
