import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
} from "aws-lambda";
import { DEFAULT_INGRESS, type IngressKind } from "../lambdas/contract.js";
import type { ReceiverHandler } from "../lambdas/functions/receiver.js";
import { createLambdaContext, describeError, invokeWithTimeout } from "./lambdaInvoke.js";
import { listenOnLoopback } from "./services/freePort.js";

/**
 * A local stand-in for the pipeline's HTTP entrance, in either of its kinds (infra
 * WebhookIngress): an API Gateway HTTP API with Lambda proxy integrations (the default, as
 * deployed by default) or a Lambda function URL. Both send payload format 2.0: each request becomes the event the real
 * entrance sends, and the handler's result the response, with the entrance's own answers for
 * oversize bodies, handler errors and timeouts, and (HTTP API only) unknown routes. A function URL
 * has no routes: every path and method reaches the function, with routeKey "$default".
 * Hand-written: `lambda-local` and friends are not faithful to payload 2.0, and serverless-offline
 * needs the Serverless Framework.
 */

interface HttpApiRoute {
  method: string;
  /** Exact path, e.g. "/webhooks/whatsapp". */
  path: string;
  functionName: string;
  /** The one function an entrance of this pipeline fronts is the receiver. */
  handler: ReceiverHandler;
}

export interface HttpApiAdapterOptions {
  /** Port on 127.0.0.1; default 0 = any free port. */
  port?: number;
  /** The entrance to imitate; default DEFAULT_INGRESS (the HTTP API), as stacks deploy by default. */
  ingress?: IngressKind;
  /** With an HTTP API its routes; with a function URL exactly one, whose function gets every
   * request (its method and path name the webhook, they do not filter). */
  routes: HttpApiRoute[];
  /** Invocation timeout; default the entrance's maximum (ENTRANCE_LIMITS). */
  timeoutMs?: number;
  /** Largest request body; default the entrance's payload quota (ENTRANCE_LIMITS). */
  maxBodyBytes?: number;
  /** Where handler failures are reported; default stderr. */
  log?: (line: string) => void;
}

export interface RunningHttpApiAdapter {
  /** http://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

/** The quotas the adapter enforces, per entrance: an HTTP API's 10 MB payload and 30 s
 * integration timeout; a function URL's 6 MB (Lambda's synchronous invocation payload) and the
 * function's own timeout, at most Lambda's 900 s. */
const ENTRANCE_LIMITS = {
  httpApi: { maxBodyBytes: 10 * 1024 * 1024, timeoutMs: 30_000 },
  functionUrl: { maxBodyBytes: 6 * 1024 * 1024, timeoutMs: 900_000 },
} as const satisfies Record<IngressKind, { maxBodyBytes: number; timeoutMs: number }>;

/** The URL id a local function URL's events carry (a real one is 32 characters of [a-z0-9]). */
export const LOCAL_FUNCTION_URL_ID = "local0function0url0id00000000000";

/**
 * Whether an HTTP API passes a body of this Content-Type as a UTF-8 string. Real HTTP APIs do so
 * only for these types; everything else, a missing type included, arrives base64-encoded
 * (verified against AWS in the public ministackorg/ministack#766).
 */
export function isTextContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return (
    type.startsWith("text/") ||
    type === "application/json" ||
    type === "application/xml" ||
    type === "application/javascript"
  );
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** requestContext.time format: "12/Mar/2020:19:03:58 +0000". */
function gatewayTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Lower-cased headers with duplicates comma-joined; cookies go to their own list, as on AWS. */
function collectHeaders(rawHeaders: string[]) {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name === "cookie") {
      cookies.push(
        ...value
          .split(";")
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

function collectQuery(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    query[key] = key in query ? `${query[key]},${value}` : value;
  }
  return query;
}

/**
 * Builds the payload-2.0 event for a request: through an HTTP API for the route it matched
 * (`routeKey`), or through a function URL (routeKey "$default", an anonymous caller, the URL id as
 * apiId and domain prefix; Lambda Developer Guide, "Invoking Lambda function URLs", payloads).
 */
function toPayloadV2Event(
  req: IncomingMessage,
  body: Buffer,
  routeKey: string,
  requestId: string,
  ingress: IngressKind = "httpApi",
): APIGatewayProxyEventV2 {
  const target = req.url ?? "/";
  const queryAt = target.indexOf("?");
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? "" : target.slice(queryAt + 1);
  const { headers, cookies } = collectHeaders(req.rawHeaders);
  const queryStringParameters = collectQuery(rawQueryString);
  const now = new Date();
  const text = isTextContentType(headers["content-type"]);
  const host = headers.host ?? "127.0.0.1";
  const viaUrl = ingress === "functionUrl";
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: viaUrl ? "$default" : routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: viaUrl ? "anonymous" : "000000000000",
      apiId: viaUrl ? LOCAL_FUNCTION_URL_ID : "local",
      domainName: host,
      domainPrefix: viaUrl ? LOCAL_FUNCTION_URL_ID : (host.split(".")[0] ?? host),
      http: {
        method: req.method ?? "GET",
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: viaUrl ? "$default" : routeKey,
      stage: "$default",
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (body.length > 0) {
    event.body = text ? body.toString("utf8") : body.toString("base64");
    event.isBase64Encoded = !text;
  }
  return event;
}

/** A response the adapter writes. */
interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

const gatewayMessage = (statusCode: number, message: string, headers = {}): GatewayResponse => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  cookies: [],
  body: Buffer.from(JSON.stringify({ message })),
});

/**
 * Maps a handler result to a response the way payload 2.0 does: a structured result (with
 * statusCode) is used as given; anything else is inferred as a 200 JSON body. Returns undefined
 * for a structured result the gateway could not use (it answers 500 then).
 */
function fromHandlerResult(result: APIGatewayProxyResultV2): GatewayResponse | undefined {
  const structured =
    typeof result === "object" && result !== null && "statusCode" in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : undefined;
  if (!structured) {
    const body = typeof result === "string" ? result : JSON.stringify(result ?? null);
    return {
      statusCode: 200,
      headers: { "content-type": "application/json" },
      cookies: [],
      body: Buffer.from(body),
    };
  }
  const { statusCode } = structured;
  if (typeof statusCode !== "number" || !Number.isInteger(statusCode)) return undefined;
  if (statusCode < 100 || statusCode > 599) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) {
    headers[name.toLowerCase()] = String(value);
  }
  headers["content-type"] ??= "application/json";
  const rawBody = structured.body ?? "";
  return {
    statusCode,
    headers,
    cookies: structured.cookies ?? [],
    body: Buffer.from(rawBody, structured.isBase64Encoded ? "base64" : "utf8"),
  };
}

/** Reads the body; null when it exceeds the limit (the rest is drained, not kept). */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  return size > maxBytes ? null : Buffer.concat(chunks, size);
}

/** Starts the adapter on 127.0.0.1. */
export async function startHttpApiAdapter(
  options: HttpApiAdapterOptions,
): Promise<RunningHttpApiAdapter> {
  const ingress = options.ingress ?? DEFAULT_INGRESS;
  if (ingress === "functionUrl" && options.routes.length !== 1) {
    throw new Error(
      `a function URL invokes one function; got ${options.routes.length} routes (use ingress "httpApi" to route)`,
    );
  }
  const timeoutMs = options.timeoutMs ?? ENTRANCE_LIMITS[ingress].timeoutMs;
  const maxBodyBytes = options.maxBodyBytes ?? ENTRANCE_LIMITS[ingress].maxBodyBytes;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // What the entrance answers when the function fails: an HTTP API 500 (error) or 503 (its
  // integration timeout); a function URL 502 for either, as Lambda reports a function error.
  const failed: Record<"threw" | "timedOut", [status: number, message: string]> =
    ingress === "functionUrl"
      ? { threw: [502, "Internal Server Error"], timedOut: [502, "Internal Server Error"] }
      : { threw: [500, "Internal Server Error"], timedOut: [503, "Service Unavailable"] };

  /** The route a request reaches, or the entrance's own refusal (HTTP API routing only). */
  const routeFor = (req: IncomingMessage): HttpApiRoute | GatewayResponse => {
    if (ingress === "functionUrl") return options.routes[0] as HttpApiRoute;
    const path = (req.url ?? "/").split("?")[0];
    const onPath = options.routes.filter((r) => r.path === path);
    const route = onPath.find((r) => r.method === (req.method ?? "GET"));
    if (onPath.length === 0) return gatewayMessage(404, "Not Found");
    if (!route) {
      const allow = [...new Set(onPath.map((r) => r.method))].join(", ");
      return gatewayMessage(405, "Method Not Allowed", { allow });
    }
    return route;
  };

  const handle = async (req: IncomingMessage, requestId: string): Promise<GatewayResponse> => {
    const route = routeFor(req);
    const body = await readBody(req, maxBodyBytes);
    if (!("handler" in route)) return route;
    if (body === null) return gatewayMessage(413, "Request Entity Too Large");
    const routeKey = `${route.method} ${route.path}`;
    const event = toPayloadV2Event(req, body, routeKey, requestId, ingress);
    const context = createLambdaContext(route.functionName, timeoutMs);
    const outcome = await invokeWithTimeout(() => route.handler(event, context), timeoutMs);
    if (outcome.kind === "timed-out") {
      log(`[${route.functionName}] invocation timed out after ${timeoutMs} ms`);
      return gatewayMessage(...failed.timedOut);
    }
    if (outcome.kind === "threw") {
      log(`[${route.functionName}] invocation failed (${describeError(outcome.error)})`);
      return gatewayMessage(...failed.threw);
    }
    const response = fromHandlerResult(outcome.value);
    if (!response) {
      log(`[${route.functionName}] returned a response the gateway cannot use`);
      return gatewayMessage(...failed.threw);
    }
    return response;
  };

  const write = (res: ServerResponse, response: GatewayResponse, requestId: string) => {
    if (res.destroyed) return;
    for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
    if (response.cookies.length) res.setHeader("set-cookie", response.cookies);
    res.setHeader("apigw-requestid", requestId);
    res.setHeader("content-length", response.body.length);
    res.writeHead(response.statusCode);
    res.end(response.body);
  };

  const server = createServer((req, res) => {
    const requestId = randomBytes(12).toString("base64");
    handle(req, requestId)
      .then((response) => write(res, response, requestId))
      .catch((error) => {
        log(`[http-api] request failed (${describeError(error)})`);
        write(res, gatewayMessage(500, "Internal Server Error"), requestId);
      });
  });
  const { endpoint, close } = await listenOnLoopback(server, options.port ?? 0);
  return { url: endpoint, stop: close };
}
