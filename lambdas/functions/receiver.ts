import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import {
  type AwsEnv,
  createDocumentClient,
  createSecretsManagerClient,
  createSqsClient,
} from "../adapters/awsClients.js";
import { DynamoIdempotencyStore } from "../adapters/DynamoIdempotencyStore.js";
import { SecretsManagerSecretSource } from "../adapters/SecretsManagerSecretSource.js";
import { SqsMessageQueue } from "../adapters/SqsMessageQueue.js";
import { DEFAULTS, ENV, FUNCTIONS, SIGNATURE_HEADER } from "../contract.js";
import { ConfigurationError, errorFields, maskPhone } from "../core/errors.js";
import type { Logger, SecretSource } from "../core/ports.js";
import { type ReceiveOutcome, WebhookReceiver } from "../core/receiveWebhook.js";
import { SIGNATURE_SCHEMES, type SignatureScheme } from "../core/signature.js";
import {
  announcesTooLarge,
  type HttpResponse,
  headerValue,
  matchRoute,
  rawBody,
  respond,
  responseFor,
} from "../runtime/http.js";
import {
  createLogger,
  type Env,
  type FunctionLogger,
  intEnv,
  type LogSettings,
  oneOfEnv,
  optionalEnv,
  readLogSettings,
  requireEnv,
} from "../runtime/lambda.js";

/** How long a delivery waits for a concurrent identical one before answering 503 (vendor limit: 10 s). */
const SETTLE_WAIT_MS = 3000;
const SETTLE_POLL_MS = 50;

/** The receiver's configuration, read once at cold start (names: FUNCTION_ENV.receiver). */
export interface ReceiverConfig {
  idempotencyTable: string;
  jobsQueueUrl: string;
  /** Empty only when the scheme is "off". */
  signingSecretId: string;
  signatureScheme: SignatureScheme;
  maxBodyBytes: number;
  idempotencyTtlSeconds: number;
  inProgressTtlSeconds: number;
  secretCacheSeconds: number;
  log: LogSettings;
  /** Region, endpoints and credentials of the AWS clients. */
  aws: AwsEnv;
}

/** Reads and checks the env; throws ConfigurationError naming the variable (fail fast). */
export function readReceiverConfig(env: Env): ReceiverConfig {
  const scheme = oneOfEnv(ENV.signatureScheme, SIGNATURE_SCHEMES, DEFAULTS.signatureScheme, env);
  return {
    idempotencyTable: requireEnv(ENV.idempotencyTable, env),
    jobsQueueUrl: requireEnv(ENV.jobsQueueUrl, env),
    signingSecretId:
      scheme === "off"
        ? optionalEnv(ENV.signingSecretId, "", env)
        : requireEnv(ENV.signingSecretId, env),
    signatureScheme: scheme,
    // API Gateway HTTP APIs cap payloads at 10 MB.
    maxBodyBytes: intEnv(
      ENV.maxBodyBytes,
      DEFAULTS.maxBodyBytes,
      { min: 1, max: 10 * 1024 * 1024 },
      env,
    ),
    idempotencyTtlSeconds: intEnv(
      ENV.idempotencyTtlSeconds,
      DEFAULTS.idempotencyTtlSeconds,
      { min: 60, max: 366 * 24 * 3600 },
      env,
    ),
    inProgressTtlSeconds: intEnv(
      ENV.inProgressTtlSeconds,
      DEFAULTS.inProgressTtlSeconds,
      { min: 1, max: 900 },
      env,
    ),
    secretCacheSeconds: intEnv(
      ENV.secretCacheSeconds,
      DEFAULTS.secretCacheSeconds,
      { min: 0, max: 24 * 3600 },
      env,
    ),
    log: readLogSettings(FUNCTIONS.receiver, env),
    aws: env,
  };
}

/** What the receiver handler runs on: the use case and the HTTP limits around it. */
export interface ReceiverDeps {
  receiver: Pick<WebhookReceiver, "receive">;
  maxBodyBytes: number;
  logger: FunctionLogger;
}

const noSecrets: SecretSource = {
  get: () => Promise.reject(new ConfigurationError("no signing secret with scheme off")),
};

/** The receiver's adapters for a config, built once per execution environment. */
export function receiverDeps(config: ReceiverConfig): ReceiverDeps {
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
      idempotency: new DynamoIdempotencyStore(
        createDocumentClient(config.aws),
        config.idempotencyTable,
      ),
      jobs: new SqsMessageQueue(createSqsClient(config.aws), config.jobsQueueUrl),
      clock: { now: Date.now, sleep: (ms) => sleep(ms) },
      logger,
    },
    {
      scheme: config.signatureScheme,
      idempotencyTtlSeconds: config.idempotencyTtlSeconds,
      inProgressTtlSeconds: config.inProgressTtlSeconds,
      settleWaitMs: SETTLE_WAIT_MS,
      settlePollMs: SETTLE_POLL_MS,
    },
  );
  return { receiver, maxBodyBytes: config.maxBodyBytes, logger };
}

/** POST /webhooks/whatsapp (API Gateway HTTP API, payload 2.0). The handler never throws. */
export function createReceiverHandler(deps: ReceiverDeps) {
  const { receiver, maxBodyBytes, logger } = deps;
  return async (
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const startedAt = Date.now();
    try {
      if (context) logger.addContext(context);
      const route = matchRoute(event);
      if (route !== "ok") {
        logger.warn("webhook route refused", {
          outcome: route,
          method: event.requestContext?.http?.method,
        });
        return route === "not_found" ? respond.notFound() : respond.methodNotAllowed();
      }
      const body = announcesTooLarge(event, maxBodyBytes)
        ? "too_large"
        : rawBody(event, maxBodyBytes);
      if (body === "too_large") {
        logger.warn("webhook", { outcome: "too_large", status: 413, limitBytes: maxBodyBytes });
        return respond.payloadTooLarge(maxBodyBytes);
      }
      const outcome = await receiver.receive({
        body,
        signature: headerValue(event.headers, SIGNATURE_HEADER),
      });
      const response = responseFor(outcome);
      logOutcome(logger, outcome, response, body, Date.now() - startedAt);
      return response;
    } catch (error) {
      logger.error("webhook failed unexpectedly", errorFields(error));
      return respond.internalError();
    }
  };
}

/** One line per webhook: outcome, key prefix, masked phone, body hash and size; never secrets or bodies. */
function logOutcome(
  logger: Logger,
  outcome: ReceiveOutcome,
  response: HttpResponse,
  body: Buffer,
  durationMs: number,
): void {
  const line: Record<string, unknown> = {
    outcome: outcome.outcome,
    status: response.statusCode,
    bytes: body.length,
    bodySha256: createHash("sha256").update(body).digest("hex"),
    durationMs,
  };
  if ("key" in outcome && outcome.key) line.keyPrefix = outcome.key.slice(0, 12);
  if ("webhook" in outcome && outcome.webhook) line.phone = maskPhone(outcome.webhook.phone);
  switch (outcome.outcome) {
    case "accepted":
    case "duplicate":
      logger.info("webhook", line);
      return;
    case "unauthorized":
      logger.warn("webhook", { ...line, reason: outcome.reason });
      return;
    case "invalid":
      logger.warn("webhook", { ...line, field: outcome.error.field, code: outcome.error.code });
      return;
    case "busy":
      logger.warn("webhook", { ...line, retryAfterSeconds: outcome.retryAfterSeconds });
      return;
    case "unavailable":
      logger.error("webhook", {
        ...line,
        dependency: outcome.dependency,
        ...errorFields(outcome.error),
      });
  }
}
