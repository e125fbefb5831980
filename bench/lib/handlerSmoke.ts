import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { SIGNATURE_HEADER, WEBHOOK_ROUTE } from "../../lambdas/contract.js";
import { runInFreshNode } from "./freshNode.js";

/**
 * Proves a receiver bundle works, not only that it loads: a fresh `node` imports it with env
 * pointing at the local stand-ins and invokes its handler with payload 2.0 events (a new
 * delivery, then the same one again). Used for the bundle-size options, which swap or drop
 * dependencies.
 */

const MARKER = "BENCH_SMOKE ";

const SCRIPT = `
const events = JSON.parse(process.env.BENCH_SMOKE_EVENTS);
const { handler } = await import(process.argv[1]);
const results = [];
for (const event of events) {
  const context = {
    functionName: "receiver", functionVersion: "$LATEST", awsRequestId: crypto.randomUUID(),
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:receiver",
    memoryLimitInMB: "512", logGroupName: "/aws/lambda/receiver", logStreamName: "bench",
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 10000,
  };
  const response = await handler(event, context);
  results.push({ statusCode: response.statusCode, body: response.body });
}
process.stdout.write("\\n${MARKER}" + JSON.stringify(results) + "\\n");
process.exit(0);
`;

/** A payload 2.0 event for a signed POST to the webhook route. */
export function webhookEvent(body: string, signature: string): APIGatewayProxyEventV2 {
  const now = Date.now();
  return {
    version: "2.0",
    routeKey: `${WEBHOOK_ROUTE.method} ${WEBHOOK_ROUTE.path}`,
    rawPath: WEBHOOK_ROUTE.path,
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      [SIGNATURE_HEADER]: signature,
    },
    requestContext: {
      accountId: "000000000000",
      apiId: "bench",
      domainName: "127.0.0.1",
      domainPrefix: "bench",
      http: {
        method: WEBHOOK_ROUTE.method,
        path: WEBHOOK_ROUTE.path,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "bench",
      },
      requestId: randomUUID(),
      routeKey: `${WEBHOOK_ROUTE.method} ${WEBHOOK_ROUTE.path}`,
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
}

/** Invokes the bundle's handler with each event in a fresh process; resolves the answers. */
export function smokeReceiver(
  file: string,
  env: Record<string, string>,
  events: APIGatewayProxyEventV2[],
  timeoutMs = 30_000,
): Promise<{ statusCode: number; body: string }[]> {
  return runInFreshNode<{ statusCode: number; body: string }[]>({
    script: SCRIPT,
    marker: MARKER,
    file,
    env: { ...env, BENCH_SMOKE_EVENTS: JSON.stringify(events) },
    timeoutMs,
  });
}
