import type { SQSEvent, SQSRecord } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ENV } from "../../../lambdas/contract.js";
import { ConfigurationError } from "../../../lambdas/core/errors.js";
import {
  comeBackLater,
  createLogger,
  type FunctionLogger,
  intEnv,
  oneOfEnv,
  optionalEnv,
  processSqsBatch,
  requireEnv,
} from "../../../lambdas/runtime/lambda.js";
import { fifoRecord, lambdaContext } from "../../support/events.js";

describe("requireEnv", () => {
  it("returns a set variable", () => {
    expect(requireEnv(ENV.jobsQueueUrl, { [ENV.jobsQueueUrl]: "q" })).toBe("q");
  });

  it.each([undefined, "", "   "])("fails naming the variable when it is %j", (value) => {
    expect(() => requireEnv(ENV.jobsQueueUrl, { [ENV.jobsQueueUrl]: value })).toThrow(
      new ConfigurationError("environment variable JOBS_QUEUE_URL is required"),
    );
  });
});

describe("optionalEnv", () => {
  it("falls back when unset or empty", () => {
    expect(optionalEnv(ENV.vendorSendPath, "/send", {})).toBe("/send");
    expect(optionalEnv(ENV.vendorSendPath, "/send", { [ENV.vendorSendPath]: "" })).toBe("/send");
    expect(optionalEnv(ENV.vendorSendPath, "/send", { [ENV.vendorSendPath]: "/x" })).toBe("/x");
  });
});

describe("oneOfEnv", () => {
  const formats = ["e164", "digits"] as const;

  it("accepts an allowed value whatever its case and spacing", () => {
    expect(
      oneOfEnv(ENV.vendorPhoneFormat, formats, "e164", { [ENV.vendorPhoneFormat]: " DIGITS " }),
    ).toBe("digits");
  });

  it("falls back when unset", () => {
    expect(oneOfEnv(ENV.vendorPhoneFormat, formats, "e164", {})).toBe("e164");
  });

  it("fails naming the variable and the allowed values", () => {
    expect(() =>
      oneOfEnv(ENV.vendorPhoneFormat, formats, "e164", { [ENV.vendorPhoneFormat]: "local" }),
    ).toThrow('environment variable VENDOR_PHONE_FORMAT must be one of e164, digits, got "local"');
  });
});

describe("intEnv", () => {
  it("reads a whole number within range, or the fallback when unset", () => {
    expect(intEnv(ENV.maxBodyBytes, 10, { min: 1, max: 100 }, { [ENV.maxBodyBytes]: "42" })).toBe(
      42,
    );
    expect(intEnv(ENV.maxBodyBytes, 10, { min: 1, max: 100 }, {})).toBe(10);
  });

  it.each(["1.5", "abc", "0", "101"])("fails naming the variable for %j", (raw) => {
    expect(() =>
      intEnv(ENV.maxBodyBytes, 10, { min: 1, max: 100 }, { [ENV.maxBodyBytes]: raw }),
    ).toThrow(/environment variable MAX_BODY_BYTES must be a whole number in \[1, 100\]/);
  });
});

describe("processSqsBatch on a FIFO queue", () => {
  /** A FIFO record `<group>:<n>`. */
  const record = (body: string): SQSRecord => fifoRecord(body, body.split(":")[0] ?? "", body);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };

  it("runs a group's records in order and, after one fails, returns the group's later records unrun", async () => {
    const event: SQSEvent = { Records: ["a:0", "b:0", "a:1", "b:1", "a:2"].map(record) };
    const ran: string[] = [];
    const response = await processSqsBatch(event, lambdaContext("responder"), {
      fifo: true,
      logger: silent,
      failureMessage: "failed",
      handleRecord: async (r) => {
        ran.push(`${r.body} start`);
        // b's records are slower: a's must still run in a's order, b's in b's.
        await new Promise((resolve) => setTimeout(resolve, r.body.startsWith("b") ? 20 : 1));
        ran.push(`${r.body} end`);
        return r.body === "a:1" ? comeBackLater("not yet") : undefined;
      },
    });
    const of = (group: string) => ran.filter((step) => step.startsWith(group));
    expect(of("a:")).toEqual(["a:0 start", "a:0 end", "a:1 start", "a:1 end"]);
    expect(of("b:")).toEqual(["b:0 start", "b:0 end", "b:1 start", "b:1 end"]);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      "id-a:1",
      "id-a:2",
    ]);
  });

  it("gives the group's skipped records the failed record's come-back delay, so the group returns whole", async () => {
    const event: SQSEvent = { Records: ["a:0", "a:1", "a:2", "b:0"].map(record) };
    const delays: string[] = [];
    const response = await processSqsBatch(event, lambdaContext("responder"), {
      fifo: true,
      logger: silent,
      failureMessage: "failed",
      redelivery: {
        retryAfter: async (receiptHandle, seconds) => {
          delays.push(`${receiptHandle} ${seconds}`);
        },
      },
      handleRecord: async (r) => (r.body === "a:0" ? comeBackLater("policy down", 8) : undefined),
    });
    expect(delays.sort()).toEqual(["rh-a:0 8", "rh-a:1 8", "rh-a:2 8"]);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      "id-a:0",
      "id-a:1",
      "id-a:2",
    ]);
  });

  it("starts a group's later record only while its budget remains, and brings it back at once with the rest of its group", async () => {
    const event: SQSEvent = { Records: ["a:0", "a:1", "a:2", "b:0"].map(record) };
    // The invocation has 10 s; each record uses 4 s of them.
    let remainingMs = 10_000;
    const context = { ...lambdaContext("responder"), getRemainingTimeInMillis: () => remainingMs };
    const ran: string[] = [];
    const delays: string[] = [];
    const response = await processSqsBatch(event, context, {
      fifo: true,
      startBudgetMs: 5000,
      logger: silent,
      failureMessage: "failed",
      redelivery: {
        retryAfter: async (receiptHandle, seconds) => {
          delays.push(`${receiptHandle} ${seconds}`);
        },
      },
      handleRecord: async (r) => {
        ran.push(r.body);
        remainingMs -= 4000;
        return undefined;
      },
    });
    // a:0 and b:0 start first (each its group's first); a:1 finds 2 s left, under the budget.
    expect(ran.sort()).toEqual(["a:0", "b:0"]);
    expect(delays.sort()).toEqual(["rh-a:1 0", "rh-a:2 0"]);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      "id-a:1",
      "id-a:2",
    ]);
  });

  it("always starts a group's first record, whatever the budget", async () => {
    const context = { ...lambdaContext("responder"), getRemainingTimeInMillis: () => 100 };
    const ran: string[] = [];
    const response = await processSqsBatch({ Records: [record("a:0")] }, context, {
      fifo: true,
      startBudgetMs: 5000,
      logger: silent,
      failureMessage: "failed",
      handleRecord: async (r) => {
        ran.push(r.body);
        return undefined;
      },
    });
    expect(ran).toEqual(["a:0"]);
    expect(response.batchItemFailures).toEqual([]);
  });

  it("lets other groups finish, in their order, while one group's record hangs", async () => {
    // a:0 hangs until every record of b and c has run: with groups waiting on each other (one
    // record at a time, in batch order) it would never be released and the test would time out.
    const event: SQSEvent = { Records: ["a:0", "b:0", "c:0", "a:1", "b:1", "c:1"].map(record) };
    const ran: string[] = [];
    let release = () => {};
    const othersDone = new Promise<void>((resolve) => {
      release = resolve;
    });
    const response = await processSqsBatch(event, lambdaContext("responder"), {
      fifo: true,
      logger: silent,
      failureMessage: "failed",
      handleRecord: async (r) => {
        if (r.body === "a:0") await othersDone;
        ran.push(r.body);
        if (["b:0", "b:1", "c:0", "c:1"].every((body) => ran.includes(body))) release();
        return r.body === "a:0" ? comeBackLater("policy timed out") : undefined;
      },
    });
    expect(ran.filter((body) => body.startsWith("b"))).toEqual(["b:0", "b:1"]);
    expect(ran.filter((body) => body.startsWith("c"))).toEqual(["c:0", "c:1"]);
    expect(ran.at(-1)).toBe("a:0");
    // The hanging group's later record comes back with it; the others are done.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(["id-a:0", "id-a:1"]);
  });

  it("runs different groups in parallel", async () => {
    const event: SQSEvent = { Records: ["a:0", "b:0"].map(record) };
    const ran: string[] = [];
    await processSqsBatch(event, lambdaContext("responder"), {
      fifo: true,
      logger: silent,
      failureMessage: "failed",
      handleRecord: async (r) => {
        ran.push(`${r.body} start`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        ran.push(`${r.body} end`);
        return undefined;
      },
    });
    expect(ran.slice(0, 2)).toEqual(["a:0 start", "b:0 start"]);
  });
});

describe("createLogger's lines", () => {
  /** The JSON lines `write` makes the logger print (stdout and stderr). */
  function linesOf(write: (logger: FunctionLogger) => void): Record<string, unknown>[] {
    const logger = createLogger({ serviceName: "receiver", logLevel: "DEBUG" });
    const chunks: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, "write").mockImplementation(capture);
    vi.spyOn(process.stderr, "write").mockImplementation(capture);
    try {
      write(logger);
    } finally {
      vi.restoreAllMocks();
    }
    return chunks
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  const invocation = lambdaContext("receiver");

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("holds level, message, timestamp, the request id and the line's own fields, in that order", () => {
    const [line] = linesOf((logger) => {
      logger.addContext(invocation);
      logger.info("webhook", { outcome: "accepted", status: 200 });
    });
    expect(Object.keys(line ?? {})).toEqual([
      "level",
      "message",
      "timestamp",
      "requestId",
      "outcome",
      "status",
    ]);
    expect(line).toMatchObject({
      level: "INFO",
      message: "webhook",
      requestId: invocation.awsRequestId,
      outcome: "accepted",
      status: 200,
    });
    // RFC 3339, as Lambda's log-level filtering wants it (else it stamps the line INFO itself).
    expect(line?.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it("leaves out what the log group already says: function name, ARN, memory, service, sampling rate", () => {
    const lines = linesOf((logger) => {
      logger.addContext(invocation);
      logger.info("reply sent", { planId: "plan_1" });
      logger.warn("vendor refused the reply; not retrying", { planId: "plan_1" });
      logger.error("webhook", { outcome: "unavailable" });
    });
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      for (const key of [
        "function_arn",
        "function_name",
        "function_memory_size",
        "function_request_id",
        "service",
        "sampling_rate",
        "xray_trace_id",
      ]) {
        expect(line).not.toHaveProperty(key);
      }
    }
    expect(lines.map((l) => l.level)).toEqual(["INFO", "WARN", "ERROR"]);
  });

  it("says cold_start only on an environment's first invocation", () => {
    // What Lambda sets for an on-demand environment (Powertools reports no cold start otherwise).
    vi.stubEnv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    const lines = linesOf((logger) => {
      logger.addContext(invocation);
      logger.info("first");
      logger.addContext(lambdaContext("receiver"));
      logger.info("second");
    });
    expect(lines[0]).toMatchObject({ message: "first", cold_start: true });
    expect(lines[1]).not.toHaveProperty("cold_start");
  });

  it("has no request id on a line written during INIT, before any invocation", () => {
    const [line] = linesOf((logger) => logger.info("sender ready", { maxSendAttempts: 5 }));
    expect(line).toEqual({
      level: "INFO",
      message: "sender ready",
      timestamp: expect.any(String),
      maxSendAttempts: 5,
    });
  });

  it("carries the X-Ray trace id only when X-Ray sampled the request", () => {
    const root = "1-5759e988-bd862e3fe1be46a994272793";
    vi.stubEnv("_X_AMZN_TRACE_ID", `Root=${root};Parent=53995c3f42cd8ad8;Sampled=0;Lineage=a:1`);
    const [unsampled] = linesOf((logger) => logger.info("webhook"));
    vi.stubEnv("_X_AMZN_TRACE_ID", `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`);
    const [sampled] = linesOf((logger) => logger.info("webhook"));
    expect(unsampled).not.toHaveProperty("xray_trace_id");
    expect(sampled).toMatchObject({ xray_trace_id: root });
  });
});
