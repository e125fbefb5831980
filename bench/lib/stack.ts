import { postWebhook, signatureFor } from "../../local/sampleWebhook.js";
import type { LocalServices } from "../../local/services/index.js";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../local/stack.js";

/**
 * The local stack (local/stack.ts) as the benchmarks use it, on one set of stand-ins shared by all
 * of them, with its workers loaded but not started; and the two meters the cost benchmark adds: a
 * counting proxy in front of DynamoDB Local and a capture of the handlers' log lines.
 */
export function startBenchStack(
  services: LocalServices,
  prefix: string,
  options: Partial<LocalStackOptions> = {},
): Promise<LocalStack> {
  return startLocalStack({
    services,
    prefix,
    rules: [],
    logLevel: "INFO",
    workers: "manual",
    ...options,
  });
}

/** Starts the stack's loaded workers (its event source mappings). */
export function startWorkers(stack: LocalStack): void {
  for (const worker of Object.values(stack.workers)) if (!worker.running()) worker.start();
}

/** Posts a signed webhook body to the stack's receiver; "<status> <answer>", or throws unless 200. */
export async function postSigned(stack: LocalStack, body: string): Promise<string> {
  const signature = signatureFor(body, stack.signingSecret, stack.signatureScheme);
  const answer = await postWebhook(stack.receiverUrl, body, signature);
  const outcome = `${answer.status} ${(answer.body as { status?: string }).status}`;
  if (answer.status !== 200) throw new Error(`webhook answered ${outcome}`);
  return outcome;
}

/** `print` writes to the real stdout; `bytes()` of handler log lines since `reset()`. */
export type LogCapture = ReturnType<typeof captureHandlerLogs>;

/**
 * Takes over process.stdout while benchmarks run: the handlers' JSON log lines (the shape
 * lambdas/runtime/lambda.ts PipelineLogFormatter gives them: `{"level":…`) are counted and dropped
 * (they would flood the console and cost terminal time inside a latency measurement; their bytes
 * are the CloudWatch Logs volume). Other lines go to stderr, so nothing unexpected is hidden;
 * benchmark output goes through `print`.
 */
export function captureHandlerLogs() {
  const stdout = process.stdout;
  const originalWrite = stdout.write.bind(stdout);
  let bytes = 0;
  let partial = "";
  const account = (line: string) => {
    if (!line.startsWith('{"level":"')) {
      if (line !== "") process.stderr.write(`${line}\n`);
      return;
    }
    bytes += Buffer.byteLength(line) + 1;
  };
  stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const lines = (
      partial + (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"))
    ).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) account(line);
    const done = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (done) queueMicrotask(done);
    return true;
  }) as typeof stdout.write;
  return {
    print: (text: string) => originalWrite(text),
    bytes: () => bytes,
    reset: () => {
      bytes = 0;
    },
    stop: () => {
      account(partial);
      partial = "";
      stdout.write = originalWrite as typeof stdout.write;
    },
  };
}
