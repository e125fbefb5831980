import { DEFAULTS } from "../lambdas/contract.js";
import { sampleWebhookBody } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import { startPolicyEndpoint } from "../test/support/policyEndpoint.js";
import { summarize, waitFor } from "./lib/measure.js";
import { fmt, type Section } from "./lib/report.js";
import { postSigned, startBenchStack, startWorkers } from "./lib/stack.js";

/**
 * Benchmark 6: one slow HTTP reply policy must not hold back other contacts. Each round posts
 * `hanging` contacts whose policy call never answers (the responder's policy timeout ends it, and
 * the job comes back with backoff), then one healthy contact whose policy answers at once with a
 * reply due 1 s after acceptance. The healthy reply's time from post to send is compared with the
 * same round without hanging contacts: a ratio, so the machine's speed cancels out.
 */

const HEALTHY_DELAY_MS = 1000;
/** Reply time with hanging contacts ≤ this × without: contacts do not wait on each other. */
const TARGET_RATIO = 1.2;

export async function runHangingPolicy(options: {
  services: LocalServices;
  rounds: number;
  /** Contacts per round whose policy hangs. */
  hanging: number;
}): Promise<Section> {
  const policy = await startPolicyEndpoint();
  const stack = await startBenchStack(options.services, "bench-hang-", {
    replyPolicy: { url: policy.url, secret: policy.secret },
    // The deployed default (DEFAULTS.replyPolicyTimeoutMs): how long a hanging call holds its
    // batch's invocation. Under the local 8 s invocation and 10 s visibility timeouts.
    timing: { replyPolicyTimeoutMs: DEFAULTS.replyPolicyTimeoutMs },
  });
  const post = (phone: string, text: string) =>
    postSigned(stack, sampleWebhookBody({ phone, text, at: Date.now() }));
  /** Post → send time of one healthy contact's reply, after `hanging` hanging contacts posted. */
  const round = async (index: number, hanging: number): Promise<number> => {
    for (let i = 0; i < hanging; i++) {
      const phone = `49154${String(index * 100 + i).padStart(8, "0")}`;
      policy.answer(phone, "hang");
      await post(phone, `hang ${i}`);
    }
    const phone = `49155${String(index).padStart(8, "0")}`;
    const messages = [{ text: "healthy", delay: HEALTHY_DELAY_MS }];
    policy.answer(phone, { status: 200, body: { messages } });
    const startedAt = Date.now();
    await post(phone, "hello");
    const sent = () => stack.vendor.sent().find((s) => s.phone.endsWith(phone));
    const what = `the healthy reply of round ${index}`;
    await waitFor(() => sent() !== undefined, { timeoutMs: 60_000, what });
    return Date.parse(sent()?.at ?? "") - startedAt;
  };
  const alone: number[] = [];
  const besideHanging: number[] = [];
  try {
    startWorkers(stack);
    await round(0, 0); // warm-up: connections, secret reads, JIT
    // Alone first, while no hanging job is in the system (they come back for minutes).
    for (let i = 1; i <= options.rounds; i++) alone.push(await round(i, 0));
    for (let i = 1; i <= options.rounds; i++) {
      besideHanging.push(await round(options.rounds + i, options.hanging));
    }
  } finally {
    await stack.stop();
    await policy.stop();
  }
  const [a, h] = [summarize(alone), summarize(besideHanging)];
  const row = (label: string, s: typeof a) =>
    [label, String(s.count), s.p50, s.max, s.p50 - HEALTHY_DELAY_MS].map((v) =>
      typeof v === "number" ? fmt.ms(v) : v,
    );
  return {
    title: "6. A hanging reply policy and other contacts",
    tables: [
      {
        title: `A healthy contact's reply (due +${HEALTHY_DELAY_MS} ms): post → send, ms`,
        headers: ["round", "rounds", "p50", "max", "p50 lateness"],
        rows: [row("alone", a), row(`after ${options.hanging} hanging contacts`, h)],
      },
    ],
    targets: [
      {
        target: `reply time beside hanging policies ≤ ${TARGET_RATIO}× alone (p50)`,
        measured: fmt.ratio(h.p50 / a.p50),
        met: h.p50 / a.p50 <= TARGET_RATIO,
      },
    ],
    notes: [
      `${options.hanging} contacts per round whose policy never answers (the policy timeout, ` +
        `${DEFAULTS.replyPolicyTimeoutMs} ms, ends each call; their jobs come back with backoff), ` +
        "then one healthy contact; the rounds alone run first.",
    ],
  };
}
