import { createHmac, randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, Context, SQSRecord } from "aws-lambda";
import { SIGNATURE_HEADER, WEBHOOK_ROUTE } from "../../lambdas/contract.js";

/** A Lambda context with plenty of time left. */
export function lambdaContext(functionName = "receiver"): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "reliability",
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface EventOptions {
  /** The X-Webhook-Signature value; omitted when undefined. */
  signature?: string;
  /** Send the body base64-encoded, as API Gateway does for non-text content types. */
  base64?: boolean;
  /** Extra headers (names as given: API Gateway lower-cases them, adapters may not). */
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  /**
   * The entrance the event comes through: an HTTP API (default here) names the matched route, a
   * function URL passes every request with routeKey "$default" and its own requestContext.
   */
  ingress?: "httpApi" | "functionUrl";
  /** An HTTP API stage name (default "$default"; a named stage prefixes the path). */
  stage?: string;
}

/** A payload-2.0 event for a request to the webhook route (or another method/path). */
export function httpEvent(
  body: Uint8Array | string,
  options: EventOptions = {},
): APIGatewayProxyEventV2 {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  const method = options.method ?? WEBHOOK_ROUTE.method;
  const path = options.path ?? WEBHOOK_ROUTE.path;
  const headers: Record<string, string> = {
    "content-type": options.base64 ? "application/octet-stream" : "application/json",
    "user-agent": "reliability-test",
    ...options.headers,
  };
  if (options.signature !== undefined) headers[SIGNATURE_HEADER] = options.signature;
  const viaUrl = options.ingress === "functionUrl";
  const stage = options.stage ?? "$default";
  // API Gateway names the matched route; anything else reaches a Lambda only via $default, as
  // does every request to a function URL (it has no routes).
  const routeKey =
    !viaUrl &&
    method === WEBHOOK_ROUTE.method &&
    path === (stage === "$default" ? "" : `/${stage}`) + WEBHOOK_ROUTE.path
      ? `${WEBHOOK_ROUTE.method} ${WEBHOOK_ROUTE.path}`
      : "$default";
  // A function URL's requestContext: anonymous caller, the URL id as apiId and domain prefix.
  const urlId = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6";
  return {
    version: "2.0",
    routeKey,
    rawPath: path,
    rawQueryString: "",
    headers,
    requestContext: {
      accountId: viaUrl ? "anonymous" : "000000000000",
      apiId: viaUrl ? urlId : "local",
      domainName: viaUrl ? `${urlId}.lambda-url.us-east-1.on.aws` : "127.0.0.1",
      domainPrefix: viaUrl ? urlId : "127",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "vendor" },
      requestId: randomUUID(),
      routeKey,
      stage,
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    body: options.base64 ? bytes.toString("base64") : bytes.toString("utf8"),
    isBase64Encoded: options.base64 ?? false,
  };
}

/** Every signature encoding the receiver's "auto" scheme accepts for `body` under `secret`. */
export function validSignatures(body: Uint8Array | string, secret: string): string[] {
  const out: string[] = [secret];
  for (const hash of ["sha256", "sha512"] as const) {
    const digest = createHmac(hash, secret).update(body).digest();
    const hex = digest.toString("hex");
    out.push(
      hex,
      hex.toUpperCase(),
      digest.toString("base64"),
      digest.toString("base64").replace(/=+$/, ""),
      digest.toString("base64url"),
      `${hash}=${hex}`,
    );
  }
  return out;
}

/** The hex HMAC-SHA256 of the body (what the sample vendor deliveries carry). */
export function hmacHex(body: Uint8Array | string, secret: string, hash = "sha256"): string {
  return createHmac(hash, secret).update(body).digest("hex");
}

/**
 * A record of a FIFO queue as Lambda passes it (a hand-built batch can hold several records of one
 * group, as on AWS; the local event source mapping delivers one per group per receive).
 */
export function fifoRecord(body: string, groupId: string, deduplicationId: string): SQSRecord {
  return {
    messageId: `id-${deduplicationId}`,
    receiptHandle: `rh-${deduplicationId}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "0",
      SenderId: "x",
      ApproximateFirstReceiveTimestamp: "0",
      MessageGroupId: groupId,
      MessageDeduplicationId: deduplicationId,
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:jobs.fifo",
    awsRegion: "us-east-1",
  };
}
