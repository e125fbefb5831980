import { request } from "node:http";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { ReceiverHandler } from "../../lambdas/functions/receiver.js";
import {
  isTextContentType,
  LOCAL_FUNCTION_URL_ID,
  type RunningHttpApiAdapter,
  startHttpApiAdapter,
} from "../../local/httpApiAdapter.js";

/** A fake receiver: records what it got and answers whatever the test queued. */
const seen: { event: APIGatewayProxyEventV2; context: Context }[] = [];
let answer: (event: APIGatewayProxyEventV2) => ReturnType<ReceiverHandler> = async () => ({
  statusCode: 200,
  body: JSON.stringify({ status: "accepted" }),
});
const logLines: string[] = [];
let api: RunningHttpApiAdapter;

beforeAll(async () => {
  // Most of this file is the HTTP API's behaviour; the function URL's differences are below.
  api = await startHttpApiAdapter({
    ingress: "httpApi",
    routes: [
      {
        method: "POST",
        path: "/webhooks/whatsapp",
        functionName: "receiver",
        handler: async (event, context) => {
          seen.push({ event, context });
          return answer(event);
        },
      },
    ],
    timeoutMs: 300,
    log: (line) => logLines.push(line),
  });
});
afterAll(async () => {
  await api.stop();
});
afterEach(() => {
  seen.length = 0;
  logLines.length = 0;
  answer = async () => ({ statusCode: 200, body: JSON.stringify({ status: "accepted" }) });
});

const webhookUrl = () => `${api.url}/webhooks/whatsapp`;
const lastEvent = () => seen.at(-1)?.event as APIGatewayProxyEventV2;

/** A raw request through node:http, so duplicate headers reach the server as separate lines. */
function rawRequest(
  method: string,
  path: string,
  headers: string[],
  body?: Buffer | string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const host = ["Host", new URL(api.url).host]; // array headers replace the defaults
    const req = request(`${api.url}${path}`, { method, headers: [...host, ...headers] }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("startHttpApiAdapter request mapping", () => {
  it("builds a payload 2.0 event with route, raw path and raw query string", async () => {
    await fetch(`${webhookUrl()}?a=1&b=x%20y&a=2`, {
      method: "POST",
      headers: { "content-type": "application/json", "User-Agent": "vendor/1.0" },
      body: '{"hello":"world"}',
    });
    const event = lastEvent();
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: "POST /webhooks/whatsapp",
      rawPath: "/webhooks/whatsapp",
      rawQueryString: "a=1&b=x%20y&a=2",
      queryStringParameters: { a: "1,2", b: "x y" },
      body: '{"hello":"world"}',
      isBase64Encoded: false,
    });
    expect(event.requestContext).toMatchObject({
      routeKey: "POST /webhooks/whatsapp",
      stage: "$default",
      http: {
        method: "POST",
        path: "/webhooks/whatsapp",
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "vendor/1.0",
      },
      requestId: expect.any(String),
      time: expect.stringMatching(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/),
      timeEpoch: expect.any(Number),
    });
  });

  it("lower-cases header names and comma-joins repeated headers", async () => {
    await rawRequest(
      "POST",
      "/webhooks/whatsapp",
      ["X-Webhook-Signature", "abc", "X-Dup", "one", "x-dup", "two", "Content-Type", "text/plain"],
      "hi",
    );
    const { headers } = lastEvent();
    expect(headers["x-webhook-signature"]).toBe("abc");
    expect(headers["x-dup"]).toBe("one,two");
    expect(Object.keys(headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it("moves cookies from the Cookie header into the cookies list", async () => {
    await rawRequest("POST", "/webhooks/whatsapp", ["Cookie", "a=1; b=2", "Cookie", "c=3"]);
    const event = lastEvent();
    expect(event.cookies).toEqual(["a=1", "b=2", "c=3"]);
    expect(event.headers.cookie).toBeUndefined();
  });

  it("leaves out the body, cookies and query parameters when the request has none", async () => {
    await fetch(webhookUrl(), { method: "POST" });
    const event = lastEvent();
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
    expect(event.cookies).toBeUndefined();
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.rawQueryString).toBe("");
  });

  it.each([
    ["text/plain; charset=utf-8"],
    ["application/json"],
    ["application/xml"],
    ["application/javascript"],
  ])("passes a %s body as a UTF-8 string", async (contentType) => {
    await fetch(webhookUrl(), {
      method: "POST",
      headers: { "content-type": contentType },
      body: "héllo",
    });
    expect(lastEvent()).toMatchObject({ body: "héllo", isBase64Encoded: false });
  });

  it.each([["application/octet-stream"], ["application/x-www-form-urlencoded"], ["image/png"]])(
    "passes a %s body base64-encoded",
    async (contentType) => {
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      await fetch(webhookUrl(), {
        method: "POST",
        headers: { "content-type": contentType },
        body: bytes,
      });
      expect(lastEvent()).toMatchObject({ body: bytes.toString("base64"), isBase64Encoded: true });
    },
  );

  it("passes a body without Content-Type base64-encoded", async () => {
    await rawRequest("POST", "/webhooks/whatsapp", [], '{"a":1}');
    expect(lastEvent()).toMatchObject({
      body: Buffer.from('{"a":1}').toString("base64"),
      isBase64Encoded: true,
    });
  });

  it("gives the handler a Lambda context with its function name and remaining time", async () => {
    await fetch(webhookUrl(), { method: "POST" });
    const { context } = seen[0] as { context: Context };
    expect(context.functionName).toBe("receiver");
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(300);
  });
});

describe("startHttpApiAdapter response mapping", () => {
  it("answers the structured result's status, headers, cookies and body", async () => {
    answer = async () => ({
      statusCode: 202,
      headers: { "X-Custom": "yes", "content-type": "text/plain" },
      cookies: ["s=1; Path=/", "t=2"],
      body: "queued",
    });
    const res = await fetch(webhookUrl(), { method: "POST" });
    expect(res.status).toBe(202);
    expect(res.headers.get("x-custom")).toBe("yes");
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.getSetCookie()).toEqual(["s=1; Path=/", "t=2"]);
    expect(res.headers.get("apigw-requestid")).toBe(lastEvent().requestContext.requestId);
    expect(await res.text()).toBe("queued");
  });

  it("decodes a base64 response body", async () => {
    const bytes = Buffer.from([1, 2, 3, 255]);
    answer = async () => ({
      statusCode: 200,
      headers: { "content-type": "application/octet-stream" },
      body: bytes.toString("base64"),
      isBase64Encoded: true,
    });
    const res = await fetch(webhookUrl(), { method: "POST" });
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
  });

  it("defaults the response Content-Type to application/json", async () => {
    const res = await fetch(webhookUrl(), { method: "POST" });
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ status: "accepted" });
  });

  it("infers a 200 JSON response from a result without statusCode", async () => {
    // The receiver never does this, but the gateway accepts it from any function.
    answer = async () => ({ status: "accepted" }) as unknown as APIGatewayProxyStructuredResultV2;
    const res = await fetch(webhookUrl(), { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "accepted" });
  });

  it("answers 500 Internal Server Error when the handler throws, and keeps serving", async () => {
    answer = async () => {
      throw new Error("kaboom");
    };
    const failed = await fetch(webhookUrl(), { method: "POST" });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ message: "Internal Server Error" });
    expect(logLines.some((l) => l.includes("kaboom"))).toBe(true);
    answer = async () => ({ statusCode: 200, body: "{}" });
    expect((await fetch(webhookUrl(), { method: "POST" })).status).toBe(200);
  });

  it("answers 500 when the handler returns an unusable status code", async () => {
    answer = async () => ({ statusCode: 99 });
    const res = await fetch(webhookUrl(), { method: "POST" });
    expect(res.status).toBe(500);
  });

  it("answers 503 Service Unavailable when the handler runs past the timeout", async () => {
    answer = () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 1000));
    const res = await fetch(webhookUrl(), { method: "POST" });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ message: "Service Unavailable" });
  });
});

describe("startHttpApiAdapter routing and limits", () => {
  it("answers 404 Not Found for other paths without invoking the handler", async () => {
    for (const path of ["/", "/webhooks", "/webhooks/whatsapp/", "/other"]) {
      const res = await fetch(`${api.url}${path}`, { method: "POST" });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: "Not Found" });
    }
    expect(seen).toEqual([]);
  });

  it.each([["GET"], ["PUT"], ["DELETE"]])(
    "answers 405 with an Allow header for %s on the webhook path",
    async (method) => {
      const res = await fetch(webhookUrl(), { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(await res.json()).toEqual({ message: "Method Not Allowed" });
      expect(seen).toEqual([]);
    },
  );

  it("answers 413 without invoking the handler when the body exceeds 10 MB", async () => {
    const res = await fetch(webhookUrl(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: "Request Entity Too Large" });
    expect(seen).toEqual([]);
  });

  it("passes a body of exactly the limit", async () => {
    const small = await startHttpApiAdapter({
      ingress: "httpApi",
      routes: [
        {
          method: "POST",
          path: "/x",
          functionName: "f",
          handler: async (event) => ({ statusCode: 200, body: String(event.body?.length) }),
        },
      ],
      maxBodyBytes: 16,
    });
    try {
      const ok = await fetch(`${small.url}/x`, { method: "POST", body: "a".repeat(16) });
      const tooBig = await fetch(`${small.url}/x`, { method: "POST", body: "a".repeat(17) });
      expect([ok.status, tooBig.status]).toEqual([200, 413]);
    } finally {
      await small.stop();
    }
  });
});

/** The webhook route to a receiver that records its events (and may fail first, by `before`). */
function webhookRoute(got: APIGatewayProxyEventV2[], before = async () => {}) {
  return {
    method: "POST",
    path: "/webhooks/whatsapp",
    functionName: "receiver",
    handler: async (event: APIGatewayProxyEventV2) => {
      got.push(event);
      await before();
      return { statusCode: 200, body: "{}" };
    },
  };
}

describe("startHttpApiAdapter as a function URL (the cost option)", () => {
  const got: APIGatewayProxyEventV2[] = [];
  let url: RunningHttpApiAdapter;
  let fails: "no" | "throw" | "hang" = "no";
  beforeAll(async () => {
    url = await startHttpApiAdapter({
      ingress: "functionUrl",
      routes: [
        webhookRoute(got, async () => {
          if (fails === "throw") throw new Error("bug");
          if (fails === "hang") await new Promise((resolve) => setTimeout(resolve, 1000));
        }),
      ],
      timeoutMs: 300,
      log: () => undefined,
    });
  });
  afterAll(() => url.stop());
  afterEach(() => {
    got.length = 0;
    fails = "no";
  });

  it("passes every path and method to the function, with routeKey $default", async () => {
    for (const [method, path] of [
      ["POST", "/webhooks/whatsapp"],
      ["GET", "/webhooks/whatsapp"],
      ["POST", "/elsewhere"],
    ]) {
      const res = await fetch(`${url.url}${path}?g=2`, { method });
      expect(res.status).toBe(200);
    }
    expect(got.map((e) => [e.requestContext.http.method, e.rawPath, e.routeKey])).toEqual([
      ["POST", "/webhooks/whatsapp", "$default"],
      ["GET", "/webhooks/whatsapp", "$default"],
      ["POST", "/elsewhere", "$default"],
    ]);
    expect(got[0]?.rawQueryString).toBe("g=2");
  });

  it("fills requestContext as a function URL does: anonymous caller, the URL id", async () => {
    await fetch(`${url.url}/webhooks/whatsapp`, { method: "POST", body: "{}" });
    expect(got[0]?.requestContext).toMatchObject({
      accountId: "anonymous",
      apiId: LOCAL_FUNCTION_URL_ID,
      domainPrefix: LOCAL_FUNCTION_URL_ID,
      routeKey: "$default",
      stage: "$default",
      http: { method: "POST", path: "/webhooks/whatsapp", sourceIp: "127.0.0.1" },
    });
  });

  it.each([
    ["throws", "throw"],
    ["outlives its timeout", "hang"],
  ] as const)("answers 502 when the function %s", async (_what, how) => {
    fails = how;
    const res = await fetch(`${url.url}/webhooks/whatsapp`, { method: "POST" });
    expect(res.status).toBe(502);
  });

  it("refuses a body over Lambda's 6 MB invocation payload with 413, not invoking", async () => {
    const res = await fetch(`${url.url}/webhooks/whatsapp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Buffer.alloc(6 * 1024 * 1024 + 1, 0x20),
    });
    expect(res.status).toBe(413);
    expect(got).toEqual([]);
  });

  it("fronts exactly one function", async () => {
    const route = {
      method: "POST",
      path: "/a",
      functionName: "f",
      handler: async () => ({ statusCode: 200 }),
    };
    await expect(
      startHttpApiAdapter({ ingress: "functionUrl", routes: [route, { ...route, path: "/b" }] }),
    ).rejects.toThrow(/a function URL invokes one function; got 2 routes/);
  });
});

describe("startHttpApiAdapter unless told the entrance", () => {
  it("sends the HTTP API's events, the entrance a stack deploys by default", async () => {
    const got: APIGatewayProxyEventV2[] = [];
    const api = await startHttpApiAdapter({
      routes: [webhookRoute(got)],
      log: () => undefined,
    });
    onTestFinished(() => api.stop());
    await fetch(`${api.url}/webhooks/whatsapp`, { method: "POST", body: "{}" });
    // The HTTP API answers other routes itself (404), without invoking the receiver.
    expect((await fetch(`${api.url}/elsewhere`, { method: "POST" })).status).toBe(404);
    expect(got.map((e) => [e.routeKey, e.requestContext.routeKey])).toEqual([
      ["POST /webhooks/whatsapp", "POST /webhooks/whatsapp"],
    ]);
  });
});

describe("isTextContentType", () => {
  it.each([
    ["text/plain", true],
    ["TEXT/HTML; charset=utf-8", true],
    ["application/json; charset=utf-8", true],
    ["application/xml", true],
    ["application/javascript", true],
    ["application/x-www-form-urlencoded", false],
    ["application/octet-stream", false],
    ["application/vnd.api+json", false],
    ["", false],
    [undefined, false],
  ])("says %j is text: %s", (type, expected) => {
    expect(isTextContentType(type)).toBe(expected);
  });
});
