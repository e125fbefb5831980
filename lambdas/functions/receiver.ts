import { createHash } from "node:crypto";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { createSecretsManagerClient, createSqsClient } from "../adapters/awsClients.js";
import { SecretsManagerSecretSource } from "../adapters/SecretsManagerSecretSource.js";
import { SqsMessageQueue } from "../adapters/SqsMessageQueue.js";
import {
  DEFAULTS,
  ENV,
  FUNCTIONS,
  JOBS_QUEUE,
  RECEIVER_REQUEST_LOG,
  SIGNATURE_HEADER,
  WEBHOOK_ROUTE,
} from "../contract.js";
import { ConfigurationError, errorFields, type PayloadError } from "../core/errors.js";
import { maskPhone } from "../core/phone.js";
import type { Logger, SecretSource } from "../core/ports.js";
import { type ReceiveOutcome, WebhookReceiver } from "../core/receiveWebhook.js";
import { SIGNATURE_SCHEMES, type SignatureScheme } from "../core/signature.js";
import {
  createLogger,
  type Env,
  type FunctionLogger,
  type FunctionSettings,
  intEnv,
  oneOfEnv,
  optionalEnv,
  readFunctionSettings,
  readSecretCacheSeconds,
  requireEnv,
} from "../runtime/lambda.js";

/** The receiver's configuration, read once at cold start (names: FUNCTION_ENV.receiver). */
export interface ReceiverConfig extends FunctionSettings {
  /** The FIFO jobs queue. */
  jobsQueueUrl: string;
  /** Empty only when the scheme is "off". */
  signingSecretId: string;
  signatureScheme: SignatureScheme;
  maxBodyBytes: number;
  secretCacheSeconds: number;
}

/** Reads and checks the env; throws ConfigurationError naming the variable (fail fast). */
export function readReceiverConfig(env: Env): ReceiverConfig {
  const scheme = oneOfEnv(ENV.signatureScheme, SIGNATURE_SCHEMES, DEFAULTS.signatureScheme, env);
  return {
    jobsQueueUrl: fifoQueueUrl(requireEnv(ENV.jobsQueueUrl, env)),
    signingSecretId:
      scheme === "off"
        ? optionalEnv(ENV.signingSecretId, "", env)
        : requireEnv(ENV.signingSecretId, env),
    signatureScheme: scheme,
    // API Gateway HTTP APIs cap payloads at 10 MB (a function URL at 6 MB, under this).
    maxBodyBytes: intEnv(
      ENV.maxBodyBytes,
      DEFAULTS.maxBodyBytes,
      { min: 1, max: 10 * 1024 * 1024 },
      env,
    ),
    secretCacheSeconds: readSecretCacheSeconds(env),
    ...readFunctionSettings(FUNCTIONS.receiver, env),
  };
}

/**
 * The jobs queue URL, checked to be FIFO: on a standard queue the deduplication id and the group
 * would be refused by SQS on every delivery (503s), so a wrong URL fails at cold start instead.
 */
function fifoQueueUrl(url: string): string {
  if (!url.endsWith(JOBS_QUEUE.fifoSuffix)) {
    throw new ConfigurationError(
      `${ENV.jobsQueueUrl} must name an SQS FIFO queue (a name ending in "${JOBS_QUEUE.fifoSuffix}")`,
    );
  }
  return url;
}

/** What the receiver handler runs on: the use case and the HTTP limits around it. */
export interface ReceiverDeps {
  receiver: Pick<WebhookReceiver, "receive">;
  maxBodyBytes: number;
  logger: FunctionLogger;
  /**
   * Writes the one "webhook" request line per answer; default `logger`. At INFO whatever the
   * stack's logLevel: behind a function URL that line is the request log the alarms' metric
   * filters count (accepted at INFO, 401 and 400 at WARN), so a quieter logLevel must not silence
   * it, as it never silenced the HTTP API's access log.
   */
  requestLog?: FunctionLogger;
}

const noSecrets: SecretSource = {
  get: () => Promise.reject(new ConfigurationError("no signing secret with scheme off")),
};

/**
 * The receiver's adapters for a config, built once per execution environment. `clock` stamps
 * acceptance (the local stack's compressed clock; Lambda: the real one).
 */
export function receiverDeps(
  config: ReceiverConfig,
  clock: { now(): number } = { now: Date.now },
): ReceiverDeps {
  const logger = createLogger(config.log);
  if (config.signatureScheme === "off") {
    logger.warn("webhook signature verification is OFF (SIGNATURE_SCHEME=off)");
  }
  const receiver = new WebhookReceiver(
    {
      secrets: config.signingSecretId
        ? new SecretsManagerSecretSource(
            createSecretsManagerClient(config.aws),
            config.signingSecretId,
            { maxAgeSeconds: config.secretCacheSeconds },
          )
        : noSecrets,
      jobs: new SqsMessageQueue(createSqsClient(config.aws), config.jobsQueueUrl),
      clock,
    },
    { scheme: config.signatureScheme },
  );
  return {
    receiver,
    maxBodyBytes: config.maxBodyBytes,
    logger,
    requestLog: createLogger({ ...config.log, logLevel: "INFO" }),
  };
}

/**
 * The receiver Lambda's handler: a payload 2.0 event in (from a function URL or an HTTP API, or
 * their local stand-in local/httpApiAdapter.ts), a structured response out.
 */
export type ReceiverHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * POST /webhooks/whatsapp behind a Lambda function URL or an API Gateway HTTP API (both payload
 * 2.0). The handler never throws, and logs one "webhook" line with the `status` it answers for
 * every request it answers: behind a function URL that line is the request log the alarms count
 * (PipelineAlarms requestLogPattern).
 */
export function createReceiverHandler(deps: ReceiverDeps): ReceiverHandler {
  const { receiver, maxBodyBytes, logger } = deps;
  const requestLog = deps.requestLog ?? logger;
  return async (event, context) => {
    try {
      if (context) {
        logger.addContext(context);
        if (requestLog !== logger) requestLog.addContext(context);
      }
      const route = matchRoute(event);
      if (route !== "ok") {
        const response = route === "not_found" ? respond.notFound() : respond.methodNotAllowed();
        requestLog.warn(RECEIVER_REQUEST_LOG.message, {
          outcome: route,
          status: response.statusCode,
          method: event.requestContext?.http?.method,
        });
        return response;
      }
      const body = announcesTooLarge(event, maxBodyBytes)
        ? "too_large"
        : rawBody(event, maxBodyBytes);
      if (body === "too_large") {
        const response = respond.payloadTooLarge(maxBodyBytes);
        requestLog.warn(RECEIVER_REQUEST_LOG.message, {
          outcome: "too_large",
          status: response.statusCode,
          limitBytes: maxBodyBytes,
        });
        return response;
      }
      const outcome = await receiver.receive({
        body,
        signature: headerValue(event.headers, SIGNATURE_HEADER),
      });
      const response = responseFor(outcome);
      logOutcome(requestLog, outcome, response, body);
      return response;
    } catch (error) {
      const response = respond.internalError();
      requestLog.error(RECEIVER_REQUEST_LOG.message, {
        outcome: "error",
        status: response.statusCode,
        ...errorFields(error),
      });
      return response;
    }
  };
}

/**
 * One line per webhook, never secrets or bodies: `outcome` and `status` (the metric filters on
 * this line match both), the key prefix and masked phone that find the message in the responder's
 * and sender's lines. A delivery that is not accepted also carries its size and body hash (a
 * refused one has no key), to match it with what the vendor says it sent. How long it took is
 * Lambda's Duration metric; the line does not repeat it.
 */
function logOutcome(
  logger: Logger,
  outcome: ReceiveOutcome,
  response: HttpResponse,
  body: Buffer,
): void {
  const line: Record<string, unknown> = { outcome: outcome.outcome, status: response.statusCode };
  if ("key" in outcome && outcome.key) line.keyPrefix = outcome.key.slice(0, 12);
  if ("webhook" in outcome && outcome.webhook) line.phone = maskPhone(outcome.webhook.phone);
  const delivery = () => ({
    bytes: body.length,
    bodySha256: createHash("sha256").update(body).digest("hex"),
  });
  switch (outcome.outcome) {
    case "accepted":
      logger.info(RECEIVER_REQUEST_LOG.message, line);
      return;
    case "unauthorized":
      logger.warn(RECEIVER_REQUEST_LOG.message, { ...line, ...delivery(), reason: outcome.reason });
      return;
    case "invalid":
      logger.warn(RECEIVER_REQUEST_LOG.message, {
        ...line,
        ...delivery(),
        field: outcome.error.field,
        code: outcome.error.code,
      });
      return;
    case "unavailable":
      logger.error(RECEIVER_REQUEST_LOG.message, {
        ...line,
        ...delivery(),
        dependency: outcome.dependency,
        ...errorFields(outcome.error),
      });
  }
}

// ── HTTP ────────────────────────────────────────────────────────────────────────────────────────

/**
 * HTTP for the receiver (payload format 2.0, from a function URL or an HTTP API): the only place that knows
 * status codes and response bodies (README.md, "The local stack", lists them).
 */

export type HttpResponse = APIGatewayProxyStructuredResultV2;

function json(
  statusCode: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

const respond = {
  /** The job is on the FIFO queue (for a repeat inside SQS's deduplication window: it was). */
  accepted: () => json(200, { status: "accepted" }),
  /** 400 naming the field: {"error":"invalid_payload"|"malformed_json","field","message"}. */
  invalid: (error: PayloadError) =>
    json(400, { error: error.code, field: error.field, message: error.message }),
  /** The same body for every signature failure; the reason is only logged. */
  unauthorized: () =>
    json(401, { error: "unauthorized", message: "missing or invalid webhook signature" }),
  notFound: () => json(404, { error: "not_found", message: "no such route" }),
  methodNotAllowed: () =>
    json(
      405,
      { error: "method_not_allowed", message: `use ${WEBHOOK_ROUTE.method}` },
      { allow: WEBHOOK_ROUTE.method },
    ),
  payloadTooLarge: (limitBytes: number) =>
    json(413, {
      error: "payload_too_large",
      message: `the body exceeds ${limitBytes} bytes`,
      limitBytes,
    }),
  /** A dependency failed (the secret, the queue): the vendor should retry. */
  unavailable: (retryAfterSeconds: number) =>
    json(
      503,
      { error: "unavailable", message: "temporarily unable to accept the webhook; retry later" },
      { "retry-after": String(retryAfterSeconds) },
    ),
  /** A bug: never expected, never the caller's fault. */
  internalError: () => json(500, { error: "internal_error", message: "unexpected error" }),
};

/** The HTTP answer for a use-case outcome. */
export function responseFor(outcome: ReceiveOutcome): HttpResponse {
  switch (outcome.outcome) {
    case "accepted":
      return respond.accepted();
    case "invalid":
      return respond.invalid(outcome.error);
    case "unauthorized":
      return respond.unauthorized();
    case "unavailable":
      return respond.unavailable(outcome.retryAfterSeconds);
  }
}

/**
 * Whether the event is the webhook route. A function URL passes every path and method to the
 * function (routeKey "$default"), so this is where other routes are refused; behind an HTTP API it
 * is the defensive second check. Only a named API Gateway stage may prefix the path
 * ("/prod/webhooks/whatsapp" on stage "prod"); a function URL and the `$default` stage have none.
 */
export function matchRoute(
  event: APIGatewayProxyEventV2,
): "ok" | "not_found" | "method_not_allowed" {
  const method = (event.requestContext?.http?.method ?? "").toUpperCase();
  const path = (event.rawPath ?? event.requestContext?.http?.path ?? "").replace(/\/+$/, "");
  const routeKeyMatches = event.routeKey?.endsWith(` ${WEBHOOK_ROUTE.path}`) ?? false;
  const stage = event.requestContext?.stage;
  const stagePrefix = stage && stage !== "$default" ? `/${stage}` : "";
  const pathMatches = path === WEBHOOK_ROUTE.path || path === `${stagePrefix}${WEBHOOK_ROUTE.path}`;
  if (!routeKeyMatches && !pathMatches) return "not_found";
  return method === WEBHOOK_ROUTE.method ? "ok" : "method_not_allowed";
}

/** A header's value, matched case-insensitively (payload 2.0 lower-cases names; adapters may not). */
export function headerValue(
  headers: Record<string, string | undefined> | undefined,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  const exact = headers[wanted];
  if (exact !== undefined) return exact;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * The raw request body bytes, base64-decoded when API Gateway encoded it (any content type other
 * than JSON/text). Returns "too_large" without decoding when the body cannot fit maxBytes.
 */
export function rawBody(event: APIGatewayProxyEventV2, maxBytes: number): Buffer | "too_large" {
  const body = event.body ?? "";
  if (event.isBase64Encoded) {
    // Decoded base64 is at most 3/4 of its length: refuse giant strings before decoding them.
    if (Math.floor((body.length * 3) / 4) > maxBytes + 2) return "too_large";
    const bytes = Buffer.from(body, "base64");
    return bytes.length > maxBytes ? "too_large" : bytes;
  }
  // A UTF-8 string has at least as many bytes as UTF-16 code units.
  if (body.length > maxBytes) return "too_large";
  const bytes = Buffer.from(body, "utf8");
  return bytes.length > maxBytes ? "too_large" : bytes;
}

/** True when a Content-Length header announces more than maxBytes (early 413). */
export function announcesTooLarge(event: APIGatewayProxyEventV2, maxBytes: number): boolean {
  const length = headerValue(event.headers, "content-length");
  if (length === undefined || !/^\s*\d+\s*$/.test(length)) return false;
  return Number(length) > maxBytes;
}
