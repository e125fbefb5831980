import { createHash, createHmac, randomUUID } from "node:crypto";
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { LOG_METRICS, requestLogPattern } from "../../../infra/components/PipelineAlarms.js";
import { SqsMessageQueue } from "../../../lambdas/adapters/SqsMessageQueue.js";
import { ENV, RECEIVER_REQUEST_LOG } from "../../../lambdas/contract.js";
import { ConfigurationError } from "../../../lambdas/core/errors.js";
import type { WebhookJob } from "../../../lambdas/core/messages.js";
import { parseWebhook } from "../../../lambdas/core/parseWebhook.js";
import { idempotencyKey } from "../../../lambdas/core/receiveWebhook.js";
import {
  createReceiverHandler,
  type ReceiverHandler,
  readReceiverConfig,
  receiverDeps,
} from "../../../lambdas/functions/receiver.js";
import { createLogger } from "../../../lambdas/runtime/lambda.js";
import {
  type RunningSecretsManager,
  startSecretsManager,
} from "../../../local/services/secretsManagerStandIn.js";
import {
  type EventOptions,
  lambdaContext,
  httpEvent as requestEvent,
} from "../../support/events.js";
import { provisionForTest } from "../../support/localAws.js";
import { matchesFilter } from "../../support/metricFilter.js";
import { drainQueue, localSqsClient } from "../../support/queues.js";

const SECRET = "Zk9xR2lT-currentSigningSecret_0123456789";
const MAX_BODY_BYTES = 8192;
const context = lambdaContext();

const sign = (body: Buffer | string, secret = SECRET) =>
  createHmac("sha256", secret).update(body).digest("hex");

/** A payload-2.0 event for the receiver, signed with SECRET unless `signature` says otherwise. */
function httpEvent(
  body: Buffer | string,
  options: Omit<EventOptions, "signature"> & { signature?: string | null } = {},
): APIGatewayProxyEventV2 {
  const { signature, ...rest } = options;
  return requestEvent(body, {
    ...rest,
    signature: signature === null ? undefined : (signature ?? sign(body)),
  });
}

/** A distinct incoming message each call (so tests do not dedupe each other). */
function payload(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    last_messages: JSON.stringify([
      { type: "user", content: "hello", timestamp: new Date().toISOString(), content_type: "text" },
    ]),
    phone_number: 14155552671,
    user_id: "9232fcef-a570-4a2c-b46b-6cab53aec304",
    last_message_of_user: `hello ${randomUUID()}`,
    last_message_of_bot: "",
    message_type: "text",
    user_last_message_time: Math.floor(Date.now() / 1000),
    bot_last_message_time: 0,
    attachment_url: null,
    labels: "sales",
    ...overrides,
  });
}

const json = (response: APIGatewayProxyStructuredResultV2) => JSON.parse(String(response.body));

describe("receiver handler (fauxqs FIFO jobs queue, Secrets Manager stand-in)", () => {
  let handler: ReceiverHandler;
  let sqs: SQSClient;
  let jobsQueueUrl: string;
  let secretsService: RunningSecretsManager;
  let secretsClient: SecretsManagerClient;
  let signingSecretId: string;
  let logLines: string[] = [];
  /** The function's environment, as infra would set it. */
  let env: Record<string, string>;
  /** A fresh execution environment (cold start) over `env`. */
  const coldStart = (): ReceiverHandler =>
    createReceiverHandler(receiverDeps(readReceiverConfig(env)));
  const realWrite = process.stdout.write.bind(process.stdout);
  const realErrorWrite = process.stderr.write.bind(process.stderr);

  /** Receives every job currently on the jobs queue (and deletes them). */
  const drainJobs = () => drainQueue<WebhookJob>(sqs, jobsQueueUrl);

  beforeAll(async () => {
    const resources = await provisionForTest({ signingSecret: "unused-by-this-file" });
    jobsQueueUrl = resources.queues.jobs;
    // This file's own Secrets Manager stand-in, so it can be made unavailable without
    // disturbing other test files.
    secretsService = await startSecretsManager();
    secretsClient = new SecretsManagerClient({
      endpoint: secretsService.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const created = await secretsClient.send(
      new CreateSecretCommand({
        Name: `${resources.prefix}signing-secret`,
        SecretString: JSON.stringify({ current: SECRET }),
      }),
    );
    signingSecretId = String(created.ARN);
    env = {
      ...resources.awsEnv,
      ...resources.env,
      [ENV.signingSecretId]: signingSecretId,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsService.endpoint,
      [ENV.signatureScheme]: "auto",
      [ENV.maxBodyBytes]: String(MAX_BODY_BYTES),
      [ENV.secretCacheSeconds]: "300",
      [ENV.logLevel]: "INFO",
    };
    sqs = localSqsClient(resources.awsEnv.AWS_ENDPOINT_URL_SQS);
    // Powertools writes info to stdout and warn/error to stderr: capture both (kept out of the
    // test output, which CI reads for the runner's summary line).
    process.stdout.write = ((chunk: string | Uint8Array) => {
      logLines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      logLines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    handler = coldStart();
  });

  afterAll(async () => {
    process.stdout.write = realWrite;
    process.stderr.write = realErrorWrite;
    sqs.destroy();
    secretsClient.destroy();
    await secretsService.stop();
  });

  beforeEach(async () => {
    vi.restoreAllMocks();
    secretsService.setUnavailable(false);
    await drainJobs();
    logLines = [];
  });

  it("accepts a new webhook and queues exactly one job with the normalized webhook", async () => {
    const body = payload();
    const before = Date.now();
    const response = await handler(httpEvent(body), context);
    expect(response.statusCode).toBe(200);
    expect(json(response)).toEqual({ status: "accepted" });
    expect(response.headers?.["content-type"]).toBe("application/json");

    const jobs = await drainJobs();
    expect(jobs).toHaveLength(1);
    const webhook = parseWebhook(body);
    expect(jobs[0]).toEqual({
      kind: "webhook-job",
      version: 1,
      key: idempotencyKey(webhook),
      acceptedAt: expect.any(Number),
      webhook,
    });
    expect(jobs[0]?.acceptedAt).toBeGreaterThanOrEqual(before);
  });

  it("answers accepted for a repeat and the FIFO queue keeps one job", async () => {
    const body = payload();
    await handler(httpEvent(body), context);
    const repeat = await handler(httpEvent(body), context);
    expect(repeat.statusCode).toBe(200);
    expect(json(repeat)).toEqual({ status: "accepted" });
    expect(await drainJobs()).toHaveLength(1);
  });

  it("keeps one job for the same event re-encoded as another variant", async () => {
    const seconds = Math.floor(Date.now() / 1000);
    const text = `hello ${randomUUID()}`;
    await handler(
      httpEvent(payload({ last_message_of_user: text, user_last_message_time: seconds })),
      context,
    );
    const v0 = payload({
      last_message_of_user: text,
      phone_number: "+14155552671",
      user_last_message_time: undefined,
      user_timestamp: String(seconds * 1000),
    });
    expect(json(await handler(httpEvent(v0), context))).toEqual({ status: "accepted" });
    expect(await drainJobs()).toHaveLength(1);
  });

  it("queues each contact's jobs in its own group, keyed by the message", async () => {
    const body = payload({ phone_number: "+49 151 12345678" });
    await handler(httpEvent(body), context);
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: jobsQueueUrl,
        MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
      }),
    );
    expect(out.Messages?.[0]?.Attributes).toMatchObject({
      MessageGroupId: "4915112345678",
      MessageDeduplicationId: idempotencyKey(parseWebhook(body)),
    });
  });

  it("accepts the vendor's header form that carries the secret itself", async () => {
    const response = await handler(httpEvent(payload(), { signature: SECRET }), context);
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ["a wrong signature", sign("other body")],
    ["an HMAC keyed with another secret", sign("x", "not-the-secret")],
    ["a missing signature", null],
    ["garbage", "%%%"],
  ])("answers 401 for %s and queues nothing", async (_name, signature) => {
    const response = await handler(httpEvent(payload(), { signature }), context);
    expect(response.statusCode).toBe(401);
    expect(json(response)).toEqual({
      error: "unauthorized",
      message: "missing or invalid webhook signature",
    });
    expect(await drainJobs()).toHaveLength(0);
  });

  it("answers 400 naming the field for a missing phone_number", async () => {
    const body = JSON.stringify({ last_message_of_user: "hi" });
    const response = await handler(httpEvent(body), context);
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ error: "invalid_payload", field: "phone_number" });
  });

  it("answers 400 naming the field for a wrong type", async () => {
    const response = await handler(httpEvent(payload({ incoming_message: "perhaps" })), context);
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ field: "incoming_message" });
  });

  it("answers 400 malformed_json for a body that is not JSON", async () => {
    const response = await handler(httpEvent('{"phone_number": '), context);
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ error: "malformed_json", field: "body" });
  });

  it("answers 413 for a body over MAX_BODY_BYTES", async () => {
    const body = payload({ note: "x".repeat(MAX_BODY_BYTES) });
    const response = await handler(httpEvent(body), context);
    expect(response.statusCode).toBe(413);
    expect(json(response)).toMatchObject({
      error: "payload_too_large",
      limitBytes: MAX_BODY_BYTES,
    });
  });

  it("answers 413 early when Content-Length announces too much", async () => {
    const event = httpEvent(payload(), {
      headers: { "content-length": String(MAX_BODY_BYTES + 1) },
    });
    expect((await handler(event, context)).statusCode).toBe(413);
  });

  it("counts the decoded bytes of a base64 body against the limit", async () => {
    // ~7.5 KB of JSON is ~10 KB as base64: under the limit once decoded.
    const body = payload({ note: "x".repeat(MAX_BODY_BYTES - 1000) });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    const response = await handler(httpEvent(body, { base64: true }), context);
    expect(response.statusCode).toBe(200);
  });

  it("accepts a base64-encoded body signed over its decoded bytes", async () => {
    const body = payload({ last_message_of_user: "ünïcödé ✓" });
    const response = await handler(httpEvent(body, { base64: true }), context);
    expect(json(response)).toEqual({ status: "accepted" });
    const [job] = await drainJobs();
    expect(job?.webhook.lastMessageOfUser).toBe("ünïcödé ✓");
  });

  it("queues exactly one job for 20 concurrent identical deliveries, all answered 200 accepted", async () => {
    const body = payload();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => handler(httpEvent(body), context)),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    expect(new Set(responses.map((r) => json(r).status))).toEqual(new Set(["accepted"]));
    expect(await drainJobs()).toHaveLength(1);
  });

  it("makes one AWS call per delivery, new or repeat: the SendMessage", async () => {
    const send = vi.spyOn(SqsMessageQueue.prototype, "send");
    const body = payload();
    await handler(httpEvent(body), context);
    await handler(httpEvent(body), context);
    expect(send).toHaveBeenCalledTimes(2);
    expect(await drainJobs()).toHaveLength(1);
  });

  it("answers 503 when the enqueue fails, and accepts the retry with exactly one job", async () => {
    vi.spyOn(SqsMessageQueue.prototype, "send").mockRejectedValueOnce(new Error("SQS down"));
    const body = payload();
    const failed = await handler(httpEvent(body), context);
    expect(failed.statusCode).toBe(503);
    expect(failed.headers?.["retry-after"]).toMatch(/^\d+$/);
    expect(json(failed)).toMatchObject({ error: "unavailable" });
    const retry = await handler(httpEvent(body), context);
    expect(json(retry)).toEqual({ status: "accepted" });
    expect(await drainJobs()).toHaveLength(1);
  });

  it("picks up a rotated secret after a mismatch, and still accepts the previous one", async () => {
    // A fresh environment: earlier 401 tests used up this one's forced refresh for 10 s.
    const warm = coldStart();
    await warm(httpEvent(payload()), context); // fills the cache with the current secret
    const rotated = "rotated-signing-secret-9876543210";
    await secretsClient.send(
      new PutSecretValueCommand({
        SecretId: signingSecretId,
        SecretString: JSON.stringify({ current: rotated, previous: [SECRET] }),
      }),
    );
    const body = payload();
    const response = await warm(httpEvent(body, { signature: sign(body, rotated) }), context);
    expect(json(response)).toEqual({ status: "accepted" });
    const old = await warm(httpEvent(payload()), context);
    expect(json(old)).toEqual({ status: "accepted" });
  });

  it.each([
    ["GET", "/webhooks/whatsapp", 405],
    ["PUT", "/webhooks/whatsapp", 405],
    ["POST", "/webhooks/other", 404],
    ["POST", "/", 404],
  ])("answers %s %s with %d", async (method, path, status) => {
    const response = await handler(httpEvent(payload(), { method, path }), context);
    expect(response.statusCode).toBe(status);
    if (status === 405) expect(response.headers?.allow).toBe("POST");
  });

  it("accepts the route under a named HTTP API stage's prefix", async () => {
    const response = await handler(
      httpEvent(payload(), { path: "/prod/webhooks/whatsapp", stage: "prod" }),
      context,
    );
    expect(response.statusCode).toBe(200);
  });

  describe("behind a function URL (every path and method arrives, routeKey $default)", () => {
    it("accepts a signed delivery on the webhook path and queues one job", async () => {
      const response = await handler(httpEvent(payload(), { ingress: "functionUrl" }), context);
      expect(json(response)).toEqual({ status: "accepted" });
      expect(await drainJobs()).toHaveLength(1);
    });

    it.each([
      ["GET", "/webhooks/whatsapp", 405],
      ["DELETE", "/webhooks/whatsapp", 405],
      ["POST", "/", 404],
      ["POST", "/webhooks", 404],
      ["POST", "/prod/webhooks/whatsapp", 404],
      ["GET", "/favicon.ico", 404],
    ])("answers %s %s with %d and queues nothing", async (method, path, status) => {
      const response = await handler(
        httpEvent(payload(), { ingress: "functionUrl", method, path }),
        context,
      );
      expect(response.statusCode).toBe(status);
      expect(await drainJobs()).toHaveLength(0);
    });

    /** The captured log lines, parsed. */
    const jsonLines = () =>
      logLines
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    /** How many lines the metric filter counting requests answered `status` matches. */
    const countedAs = (lines: Record<string, unknown>[], status: number) =>
      lines.filter((l) => matchesFilter(requestLogPattern("functionUrl", status), l)).length;

    it("writes one request line per answer, which the alarms' metric filters count by status", async () => {
      const send = (body: string, options: Parameters<typeof httpEvent>[1] = {}) =>
        handler(httpEvent(body, { ingress: "functionUrl", ...options }), context);
      const answered = [
        (await send(payload())).statusCode,
        (await send(payload(), { signature: "wrong" })).statusCode,
        (await send("{not json", { signature: sign("{not json") })).statusCode,
        (await send(payload(), { method: "GET" })).statusCode,
        (await send(payload(), { path: "/elsewhere" })).statusCode,
        (await send("x".repeat(MAX_BODY_BYTES + 1))).statusCode,
      ];
      expect(answered).toEqual([200, 401, 400, 405, 404, 413]);
      const lines = jsonLines();
      const requestLines = lines.filter((l) => l.message === RECEIVER_REQUEST_LOG.message);
      expect(requestLines.map((l) => l.status)).toEqual(answered);
      for (const line of requestLines) expect(line.outcome).toEqual(expect.any(String));
      expect(countedAs(lines, LOG_METRICS.accepted.status)).toBe(1);
      expect(countedAs(lines, LOG_METRICS.unauthorized.status)).toBe(1);
      expect(countedAs(lines, LOG_METRICS.badRequests.status)).toBe(1);
    });

    it("keeps writing its request lines at a quieter logLevel, so the alarms still count them", async () => {
      // A stack with logLevel ERROR: its 200 (INFO) and 401/400 (WARN) request lines are what the
      // accepted, unauthorized and bad-request metric filters read behind a function URL.
      const quiet = createReceiverHandler(
        receiverDeps(readReceiverConfig({ ...env, [ENV.logLevel]: "ERROR" })),
      );
      const send = (body: string, options: Parameters<typeof httpEvent>[1] = {}) =>
        quiet(httpEvent(body, { ingress: "functionUrl", ...options }), context);
      await send(payload());
      await send(payload(), { signature: "wrong" });
      await send("{not json", { signature: sign("{not json") });
      const lines = jsonLines();
      expect(countedAs(lines, LOG_METRICS.accepted.status)).toBe(1);
      expect(countedAs(lines, LOG_METRICS.unauthorized.status)).toBe(1);
      expect(countedAs(lines, LOG_METRICS.badRequests.status)).toBe(1);
    });

    it("logs a request line with status 500 when something unexpected throws", async () => {
      const broken = createReceiverHandler({
        receiver: { receive: () => Promise.reject(new Error("bug")) },
        maxBodyBytes: MAX_BODY_BYTES,
        logger: createLogger({ serviceName: "receiver", logLevel: "INFO" }),
      });
      const response = await broken(httpEvent(payload(), { ingress: "functionUrl" }), context);
      expect(response.statusCode).toBe(500);
      const line = logLines
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.message === RECEIVER_REQUEST_LOG.message);
      expect(line).toMatchObject({ status: 500, outcome: "error", errorMessage: "bug" });
    });
  });

  it("logs one line per webhook: outcome, status, key prefix and masked phone; a refused one's body hash; never secrets", async () => {
    const body = payload({ phone_number: "4915112345678" });
    const signature = sign(body);
    const forged = payload({ phone_number: "4915112345678" });
    await handler(httpEvent(body, { signature }), context);
    await handler(httpEvent(forged, { signature: SECRET.slice(0, -1) }), context);
    const lines = logLines.join("").split("\n").filter(Boolean);
    const webhookLines = lines.map((l) => JSON.parse(l)).filter((l) => l.message === "webhook");
    expect(webhookLines).toHaveLength(2);
    // Exactly this: the alarms' metric filters match `message`, `status` and `outcome`; the
    // request id ties it to the invocation; the key prefix to the responder's and sender's lines.
    expect(webhookLines[0]).toEqual({
      level: "INFO",
      message: "webhook",
      timestamp: expect.any(String),
      requestId: context.awsRequestId,
      outcome: "accepted",
      status: 200,
      keyPrefix: expect.stringMatching(/^[0-9a-f]{12}$/),
      phone: "+49 •••••••5678",
    });
    // A refused delivery has no key: its size and body hash say which one it was.
    expect(webhookLines[1]).toMatchObject({
      level: "WARN",
      outcome: "unauthorized",
      status: 401,
      reason: "mismatch",
      bytes: Buffer.byteLength(forged),
      bodySha256: createHash("sha256").update(forged).digest("hex"),
    });
    expect(webhookLines[1]).not.toHaveProperty("function_arn");
    const all = lines.join("\n");
    for (const leak of [SECRET, SECRET.slice(0, -1), signature, "4915112345678", "hello "]) {
      expect(all).not.toContain(leak);
    }
  });

  describe("cold start", () => {
    it("answers 503 when Secrets Manager is unavailable and nothing is cached", async () => {
      const fresh = coldStart();
      secretsService.setUnavailable(true);
      const response = await fresh(httpEvent(payload()), context);
      expect(response.statusCode).toBe(503);
      expect(response.headers?.["retry-after"]).toBeDefined();
      expect(await drainJobs()).toHaveLength(0);
      secretsService.setUnavailable(false);
      expect((await fresh(httpEvent(payload()), context)).statusCode).toBe(200);
    });

    it("fails fast with ConfigurationError naming a bad variable", () => {
      expect(() => readReceiverConfig({ ...env, [ENV.signatureScheme]: "hmac-md5" })).toThrow(
        expect.objectContaining({
          name: "ConfigurationError",
          message: expect.stringContaining(ENV.signatureScheme),
        }),
      );
    });

    it("fails fast when a required variable is missing", () => {
      const { [ENV.jobsQueueUrl]: _, ...missing } = env;
      expect(() => readReceiverConfig(missing)).toThrow(ConfigurationError);
      expect(() => readReceiverConfig(missing)).toThrow(ENV.jobsQueueUrl);
    });

    it("fails fast when the jobs queue is not FIFO", () => {
      const standard = { ...env, [ENV.jobsQueueUrl]: jobsQueueUrl.replace(/\.fifo$/, "") };
      expect(() => readReceiverConfig(standard)).toThrow(/FIFO/);
    });
  });
});
