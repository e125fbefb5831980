import { buildApp } from "fauxqs";

export interface RunningFauxqs {
  endpoint: string;
  /** SQS API calls received, by action name (e.g. "SendMessage"); for call-count benchmarks. */
  calls: Map<string, number>;
  stop(): Promise<void>;
}

/** Starts fauxqs in-process on 127.0.0.1 (its startFauxqs helper hard-codes 0.0.0.0). */
export async function startFauxqs(options: { port?: number } = {}): Promise<RunningFauxqs> {
  const app = buildApp({ logger: false, host: "127.0.0.1" });
  const calls = new Map<string, number>();
  app.addHook("onRequest", async (request) => {
    const target = request.headers["x-amz-target"];
    const action = typeof target === "string" ? (target.split(".").pop() ?? target) : "other";
    calls.set(action, (calls.get(action) ?? 0) + 1);
  });
  await app.listen({ port: options.port ?? 0, host: "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { endpoint: `http://127.0.0.1:${port}`, calls, stop: () => app.close() };
}
