import { randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULTS } from "../lambdas/contract.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import { summarize, waitFor } from "./lib/measure.js";
import { fmt, type Section } from "./lib/report.js";
import { startBenchStack, startWorkers } from "./lib/stack.js";

/**
 * Benchmark 6: one slow HTTP reply policy must not hold back other contacts. Each round posts
 * `hanging` contacts whose policy call never answers (the responder's policy timeout ends it, and
 * the job comes back with backoff), then one healthy contact whose policy answers at once with a
 * reply due 1 s after acceptance. The healthy reply's time from post to send is compared with the
 * same round without hanging contacts: a ratio, so the machine's speed cancels out.
 */

export interface HangingPolicyOptions {
  services: LocalServices;
  rounds: number;
  /** Contacts per round whose policy hangs. */
  hanging: number;
}

const HEALTHY_DELAY_MS = 1000;
/** Reply time with hanging contacts ≤ this × without: contacts do not wait on each other. */
const TARGET_RATIO = 1.2;

/** A business endpoint: hangs for phones starting with the hanging prefix, answers the rest. */
async function startEndpoint(hangingPrefix: string) {
  const open = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        webhook: { phone: string };
      };
      if (body.webhook.phone.startsWith(hangingPrefix)) {
        open.add(response);
        response.on("close", () => open.delete(response));
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ messages: [{ text: "healthy", delay: HEALTHY_DELAY_MS }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/reply`,
    stop: async () => {
      for (const response of open) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function runHangingPolicy(options: HangingPolicyOptions): Promise<Section> {
  const hangingPrefix = "49154";
  const endpoint = await startEndpoint(hangingPrefix);
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const stack = await startBenchStack(options.services, "bench-hang-", {
    replyPolicy: { url: endpoint.url, secret },
    // The deployed default (DEFAULTS.replyPolicyTimeoutMs): how long a hanging call holds its
    // batch's invocation. Under the local 8 s invocation and 10 s visibility timeouts.
    timing: { replyPolicyTimeoutMs: DEFAULTS.replyPolicyTimeoutMs },
  });
  const post = async (phone: string, text: string) => {
    const body = sampleWebhookBody({ phone, text, at: Date.now() });
    const signature = signatureFor(body, stack.signingSecret, stack.signatureScheme);
    const answer = await postWebhook(stack.receiverUrl, body, signature);
    if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}`);
  };
  /** Post → send time of one healthy contact's reply, after `hanging` hanging contacts posted. */
  const round = async (index: number, hanging: number): Promise<number> => {
    for (let i = 0; i < hanging; i++) {
      await post(`${hangingPrefix}${String(index * 100 + i).padStart(8, "0")}`, `hang ${i}`);
    }
    const phone = `49155${String(index).padStart(8, "0")}`;
    const startedAt = Date.now();
    await post(phone, "hello");
    await waitFor(() => stack.vendor.sent().some((s) => s.phone.endsWith(phone)), {
      timeoutMs: 60_000,
      what: `the healthy reply of round ${index}`,
    });
    const sent = stack.vendor.sent().find((s) => s.phone.endsWith(phone));
    return Date.parse(sent?.at ?? "") - startedAt;
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
    await endpoint.stop();
  }
  const a = summarize(alone);
  const h = summarize(besideHanging);
  const ratio = h.p50 / a.p50;
  return {
    title: "6. A hanging reply policy and other contacts",
    tables: [
      {
        title: `A healthy contact's reply (due +${HEALTHY_DELAY_MS} ms): post → send, ms`,
        headers: ["round", "rounds", "p50", "max", "p50 lateness"],
        rows: [
          [
            "alone",
            String(a.count),
            fmt.ms(a.p50),
            fmt.ms(a.max),
            fmt.ms(a.p50 - HEALTHY_DELAY_MS),
          ],
          [
            `after ${options.hanging} hanging contacts`,
            String(h.count),
            fmt.ms(h.p50),
            fmt.ms(h.max),
            fmt.ms(h.p50 - HEALTHY_DELAY_MS),
          ],
        ],
      },
    ],
    targets: [
      {
        target: `reply time beside hanging policies ≤ ${TARGET_RATIO}× alone (p50)`,
        measured: `${ratio.toFixed(2)}×`,
        met: ratio <= TARGET_RATIO,
      },
    ],
    notes: [
      `${options.hanging} contacts per round whose policy never answers (the policy timeout, ` +
        `${DEFAULTS.replyPolicyTimeoutMs} ms, ends each call; their jobs come back with backoff), ` +
        "then one healthy contact; the rounds alone run first.",
    ],
  };
}
