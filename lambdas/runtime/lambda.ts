import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { LogFormatter, LogItem, Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type {
  LogAttributes,
  LogLevel,
  UnformattedAttributes,
} from "@aws-lambda-powertools/logger/types";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import {
  DEFAULTS,
  type EnvName as DeployedName,
  ENV,
  type FunctionName,
  type ReplyPolicyEnvName,
} from "../contract.js";
import { ConfigurationError, errorFields } from "../core/errors.js";
import type { Logger, RedeliveryControl } from "../core/ports.js";
import { SQS_MAX_DELAY_SECONDS } from "../core/schedule.js";

/**
 * What every Lambda entry point needs from its runtime: its environment read into a config, a
 * JSON logger, and SQS partial batch responses. Each handler module is
 * `createXHandler(xDeps(readXConfig(process.env)))`; the local stack and the tests call the same
 * three functions with an environment of their own.
 */

/** Any variable a function may read: the always-set ones and the optional features'. */
type EnvName = DeployedName | ReplyPolicyEnvName;

/** The environment a config is read from (process.env on Lambda). */
export type Env = Record<string, string | undefined>;

// ── Environment ────────────────────────────────────────────────────────────────────────────────

/** A required string variable. */
export function requireEnv(name: EnvName, source: Env): string {
  const value = source[name];
  if (value === undefined || value.trim() === "") {
    throw new ConfigurationError(`environment variable ${name} is required`);
  }
  return value;
}

/** An optional string variable with a default. */
export function optionalEnv(name: EnvName, fallback: string, source: Env): string {
  const value = source[name];
  return value === undefined || value === "" ? fallback : value;
}

/** An optional variable that must be one of `allowed` (case-insensitive), with a default. */
export function oneOfEnv<T extends string>(
  name: EnvName,
  allowed: readonly T[],
  fallback: T,
  source: Env,
): T {
  const value = optionalEnv(name, fallback, source).trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigurationError(
      `environment variable ${name} must be one of ${allowed.join(", ")}, got "${value}"`,
    );
  }
  return value as T;
}

/** An optional whole-number variable within [min, max], with a default. */
export function intEnv(
  name: EnvName,
  fallback: number,
  range: { min?: number; max?: number },
  source: Env,
): number {
  const raw = source[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      `environment variable ${name} must be a whole number in [${min}, ${max}], got "${raw}"`,
    );
  }
  return value;
}

/** SECRET_CACHE_SECONDS (receiver, sender): 0 = read on every use, at most a day. */
export function readSecretCacheSeconds(env: Env): number {
  return intEnv(
    ENV.secretCacheSeconds,
    DEFAULTS.secretCacheSeconds,
    { min: 0, max: 24 * 3600 },
    env,
  );
}

/** MAX_SQS_DELAY_SECONDS (responder, sender): the longest hop, at most SQS's own 900 s. */
export function readMaxSqsDelaySeconds(env: Env): number {
  return intEnv(
    ENV.maxSqsDelaySeconds,
    DEFAULTS.maxSqsDelaySeconds,
    { min: 1, max: SQS_MAX_DELAY_SECONDS },
    env,
  );
}

// ── Logger ─────────────────────────────────────────────────────────────────────────────────────

/** Service name and level of a function's logger (POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL). */
export interface LogSettings {
  /** Powertools' service name; not written on lines (see PipelineLogFormatter). */
  serviceName: string;
  /** Unset: Powertools' own default (INFO, or the Lambda log level when one is configured). */
  logLevel?: string;
}

/** What every function's config holds besides its own settings. */
export interface FunctionSettings {
  log: LogSettings;
  /** The environment the AWS clients take region, endpoints and credentials from. */
  aws: Env;
}

export function readFunctionSettings(fn: FunctionName, env: Env): FunctionSettings {
  const logLevel = optionalEnv(ENV.logLevel, "", env).toUpperCase();
  return {
    log: { serviceName: optionalEnv(ENV.serviceName, fn, env), ...(logLevel ? { logLevel } : {}) },
    aws: env,
  };
}

/** The core's Logger port, plus the invocation context Powertools adds to every line. */
export interface FunctionLogger extends Logger {
  addContext(context: Context): void;
}

/**
 * The shape of every line (Powertools' supported way to shape them: a LogFormatter): what an
 * operator reads or searches, and nothing the log group already says. CloudWatch Logs bills each
 * byte, and the receiver, responder and sender each write a line per webhook, so Powertools'
 * default context keys (function_name, function_arn, function_memory_size, sampling_rate,
 * service: the same on every line of a log group, which is per function) would be most of it.
 *
 *   {"level":"INFO","message":"webhook","timestamp":"2026-…Z","requestId":"8ae8…","outcome":…}
 *
 * - `level` and an RFC 3339 `timestamp` are what Lambda's JSON log format reads: it filters
 *   application lines by `level` (applicationLogLevel), and a line without a valid timestamp is
 *   given one and the level INFO ("Log-level filtering",
 *   https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
 * - `requestId`: the invocation, under the key Lambda's own JSON records use, so one Logs
 *   Insights filter finds both. Absent on lines written during INIT.
 * - `cold_start` only when true; `xray_trace_id` only when X-Ray samples the request (Lambda sets
 *   _X_AMZN_TRACE_ID on every invocation, with Sampled=0 when there is no trace to look up).
 * - then the line's own fields.
 *
 * Lambda stores such a line as written: Powertools writes it to stdout itself (not through the
 * console methods the Node.js runtime wraps in its own JSON record), and with the JSON log format
 * "Lambda doesn't double-encode any logs that are already JSON encoded" ("Configuring JSON and
 * plain text log formats",
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html). So the
 * bytes written here are the bytes ingested (bench/callsAndCost.ts counts them).
 */
class PipelineLogFormatter extends LogFormatter {
  override formatAttributes(
    attributes: UnformattedAttributes,
    additionalLogAttributes: LogAttributes,
  ): LogItem {
    const context = attributes.lambdaContext;
    // Empty keys (undefined) are dropped by Powertools when the line is printed.
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        requestId: context?.awsRequestId,
        cold_start: context?.coldStart === true ? true : undefined,
        xray_trace_id: xRaySampled() ? attributes.xRayTraceId : undefined,
      },
    }).addAttributes(additionalLogAttributes);
  }
}

/**
 * Whether the invocation's trace header says X-Ray sampled it ("Root=…;Parent=…;Sampled=1").
 * Read here because Powertools hands the formatter only the root id; its commons package has
 * the same check but is not a dependency of ours (only of the logger, at the logger's version).
 */
function xRaySampled(): boolean {
  return /(?:^|;)\s*Sampled=1\s*(?:;|$)/.test(process.env._X_AMZN_TRACE_ID ?? "");
}

/**
 * One Powertools JSON logger per function, its lines shaped by PipelineLogFormatter. Callers log
 * ids, hashes and masked phone numbers only (core/phone.ts maskPhone, core/errors.ts errorFields), never
 * secrets, tokens, bodies or full numbers.
 */
export function createLogger(settings: LogSettings): FunctionLogger {
  const powertools = new PowertoolsLogger({
    serviceName: settings.serviceName,
    logFormatter: new PipelineLogFormatter(),
    // An unknown level falls back to Powertools' default rather than failing the cold start.
    ...(settings.logLevel ? { logLevel: settings.logLevel as LogLevel } : {}),
  });
  // The port passes `extra` optionally; Powertools wants an object when there is one.
  return {
    debug: (message, extra) => powertools.debug(message, extra ?? {}),
    info: (message, extra) => powertools.info(message, extra ?? {}),
    warn: (message, extra) => powertools.warn(message, extra ?? {}),
    error: (message, extra) => powertools.error(message, extra ?? {}),
    addContext: (context) => powertools.addContext(context),
  };
}

// ── SQS batches ────────────────────────────────────────────────────────────────────────────────

/**
 * A record that must come back (the handler has logged why): after `afterSeconds`, or when the
 * queue's visibility timeout ends if unset. Returned, not thrown: "later" is a normal outcome.
 */
export interface ComeBackLater {
  comeBack: true;
  afterSeconds?: number;
  reason: string;
}

export function comeBackLater(reason: string, afterSeconds?: number): ComeBackLater {
  return { comeBack: true, reason, ...(afterSeconds === undefined ? {} : { afterSeconds }) };
}

/** How Powertools learns a record failed; never escapes processSqsBatch. */
class RecordComesBack extends Error {
  override name = "RecordComesBack";
  constructor(
    reason: string,
    /** The come-back delay it was given, which its group's later records in the batch share. */
    readonly afterSeconds?: number,
  ) {
    super(reason);
  }
}

export interface SqsBatchOptions {
  /** Handles one record; resolves to nothing when it is done (deleted from the queue). */
  handleRecord(record: SQSRecord): Promise<ComeBackLater | undefined>;
  logger: Logger;
  /** Sets a come-back delay; without it the queue's visibility timeout applies. */
  redelivery?: RedeliveryControl;
  /** The log line for a record whose handler threw (an infrastructure error). */
  failureMessage: string;
  /**
   * A FIFO queue: a message group's records run one after another in batch order, and once one
   * fails, the group's later records in the batch are reported failed without running (with the
   * failed one's come-back delay, so the group comes back whole); other
   * groups run in parallel. SQS then hands the group back in order: what AWS asks of a function
   * with ReportBatchItemFailures on a FIFO queue.
   */
  fifo?: boolean;
  /**
   * FIFO: a record that waited behind its group's earlier records in this batch is started only
   * while at least this many ms of the invocation remain; otherwise it comes back unrun, with the
   * rest of its group: at once with `redelivery`, else when the queue's visibility timeout ends
   * (the responder has `redelivery` on stacks with an HTTP policy, the only jobs slow enough to
   * run out of time). Ten jobs of one contact, each allowed a slow HTTP policy, would
   * otherwise outlast the function's timeout, and a timed-out invocation brings back the whole
   * batch, every other contact's finished jobs included. A group's first record always starts.
   */
  startBudgetMs?: number;
}

/**
 * Runs `handleRecord` for every record of an SQS batch, in parallel (in order for FIFO), and answers Lambda's partial
 * batch response: a record that must come back, or whose handler threw, is listed in
 * batchItemFailures (the event source mapping needs ReportBatchItemFailures); the others are
 * deleted. A record past the queue's maxReceiveCount goes to the DLQ.
 *
 * A fresh BatchProcessor per invocation: the processor keeps per-batch state, and the local stack
 * runs several invocations of one handler concurrently (on Lambda there is one at a time).
 */
export async function processSqsBatch(
  event: SQSEvent,
  context: Context,
  options: SqsBatchOptions,
): Promise<SQSBatchResponse> {
  const { handleRecord, logger, redelivery, failureMessage, fifo, startBudgetMs } = options;
  const retryAfter = async (record: SQSRecord, afterSeconds: number): Promise<void> => {
    if (!redelivery) return;
    await redelivery.retryAfter(record.receiptHandle, afterSeconds).catch((error) => {
      logger.warn("could not set the retry delay; the queue's visibility timeout applies", {
        messageId: record.messageId,
        ...errorFields(error),
      });
    });
  };
  const processRecord = async (record: SQSRecord): Promise<void> => {
    let result: ComeBackLater | undefined;
    try {
      result = await handleRecord(record);
    } catch (error) {
      logger.warn(failureMessage, { messageId: record.messageId, ...errorFields(error) });
      throw error;
    }
    if (!result) return;
    if (result.afterSeconds !== undefined) await retryAfter(record, result.afterSeconds);
    throw new RecordComesBack(result.reason, result.afterSeconds);
  };
  const outOfTime = (record: SQSRecord): boolean => {
    if (startBudgetMs === undefined || !context?.getRemainingTimeInMillis) return false;
    const remainingMs = context.getRemainingTimeInMillis();
    if (remainingMs >= startBudgetMs) return false;
    logger.warn("not started: too little of the invocation left; it comes back", {
      messageId: record.messageId,
      remainingMs,
    });
    return true;
  };
  // A fully failed batch is answered like any other, not thrown: same redelivery, clearer logs.
  return processPartialResponse(
    event,
    fifo ? inGroupOrder(processRecord, retryAfter, outOfTime) : processRecord,
    new BatchProcessor(EventType.SQS),
    { context, throwOnFullBatchFailure: false },
  );
}

/**
 * Chains each message group's records: a record starts when the group's previous one succeeded,
 * and comes back unrun when it did not. BatchProcessor starts the records in batch order, so the
 * chains follow it; different groups run in parallel. Hand-written because Powertools'
 * SqsFifoPartialProcessorAsync runs the whole batch one record at a time: ten contacts' jobs
 * would wait for each other.
 */
function inGroupOrder(
  processRecord: (record: SQSRecord) => Promise<void>,
  retryAfter: (record: SQSRecord, afterSeconds: number) => Promise<void>,
  outOfTime: (record: SQSRecord) => boolean,
): (record: SQSRecord) => Promise<void> {
  /** Per group: undefined while its records succeed; once one failed, its come-back delay. */
  const tails = new Map<string, Promise<{ afterSeconds?: number } | undefined>>();
  return (record) => {
    const group = record.attributes?.MessageGroupId ?? "";
    const first = !tails.has(group);
    const previous = tails.get(group) ?? Promise.resolve(undefined);
    const run = previous.then(async (failed) => {
      if (!failed && (first || !outOfTime(record))) return processRecord(record);
      if (!failed) {
        // Visible again at once (with redelivery): SQS hands the group back in order when its
        // records are back.
        await retryAfter(record, 0);
        throw new RecordComesBack("not started: too little of the invocation left", 0);
      }
      // FIFO hands the group back only when all its in-flight records are visible again: the
      // skipped ones come back with the failed one's delay, not after the full visibility timeout.
      if (failed.afterSeconds !== undefined) await retryAfter(record, failed.afterSeconds);
      throw new RecordComesBack(
        "an earlier message of its group failed in this batch",
        failed.afterSeconds,
      );
    });
    tails.set(
      group,
      run.then(
        () => undefined,
        (error: unknown) => ({
          afterSeconds: error instanceof RecordComesBack ? error.afterSeconds : undefined,
        }),
      ),
    );
    return run;
  };
}

/** The record's ApproximateReceiveCount (1 on the first delivery). */
export function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count > 0 ? count : 1;
}
