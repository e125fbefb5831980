import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpReplyPolicyClient } from "../../../lambdas/adapters/HttpReplyPolicyClient.js";
import type { SecretSource } from "../../../lambdas/core/ports.js";
import {
  MAX_POLICY_ANSWER_BYTES,
  type PolicyQuestion,
  policyRequestId,
  ReplyPolicyAnswerError,
  ReplyPolicyConfigError,
  ReplyPolicyError,
  ReplyPolicyUnavailableError,
} from "../../../lambdas/core/replyPolicy.js";
import { freePort } from "../../../local/services/freePort.js";
import { waitFor } from "../../support/queues.js";
import { aJob } from "../../support/replyFixtures.js";
import { rejected } from "../../support/thrown.js";

/**
 * The HTTP reply policy against a real local endpoint that verifies every request with the
 * `standardwebhooks` package: an implementation independent of the client's own signing.
 */

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;

interface Received {
  headers: Record<string, string>;
  body: string;
  /** What the independent verifier made of the request: the parsed payload, or its error. */
  verified: { ok: true; payload: unknown } | { ok: false; error: string };
}

type Answer = (request: IncomingMessage, response: ServerResponse, body: string) => void;

let server: Server;
let url: string;
let received: Received[];
let answer: Answer;

const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(JSON.stringify(value));
  };
};

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = request.headers as Record<string, string>;
      let verified: Received["verified"];
      try {
        verified = { ok: true, payload: new Webhook(SECRET).verify(body, headers) };
      } catch (error) {
        verified = { ok: false, error: (error as Error).message };
      }
      received.push({ headers, body, verified });
      answer(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reply`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  answer = json(200, { messages: [] });
});

function secretSource(value = SECRET) {
  const source = {
    value,
    forced: 0,
    get: async (options: { forceRefresh?: boolean } = {}) => {
      if (options.forceRefresh) source.forced += 1;
      return source.value;
    },
  };
  return source satisfies SecretSource & Record<string, unknown>;
}

function client(
  overrides: Partial<ConstructorParameters<typeof HttpReplyPolicyClient>[0]> = {},
  secret: SecretSource = secretSource(),
) {
  return new HttpReplyPolicyClient({ url, timeoutMs: 2000, ...overrides }, secret);
}

const job = aJob();
const question: PolicyQuestion = {
  id: policyRequestId(job.key),
  webhook: job.webhook,
  history: [
    {
      role: "user",
      content: "hello there",
      contentType: "text",
      mediaUrl: null,
      at: "2026-11-20T10:00:00.000Z",
    },
  ],
  acceptedAt: job.acceptedAt,
};

const failure = (promise: Promise<unknown>) => rejected(ReplyPolicyError, promise);

describe("HttpReplyPolicyClient", () => {
  it("signs the request so that a Standard Webhooks verifier accepts it", async () => {
    await client().ask(question);
    expect(received).toHaveLength(1);
    expect(received[0]?.verified).toMatchObject({ ok: true });
  });

  it("posts the normalized webhook, the history and the acceptance time as JSON", async () => {
    await client().ask(question);
    const [request] = received;
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.verified).toEqual({
      ok: true,
      payload: {
        webhook: JSON.parse(JSON.stringify(job.webhook)),
        history: question.history,
        acceptedAt: new Date(job.acceptedAt).toISOString(),
      },
    });
  });

  it("sends the same webhook-id on every attempt of a job, with the attempt's own timestamp", async () => {
    let now = Date.now() - 60_000;
    const policy = client({ now: () => now });
    await policy.ask(question);
    now += 30_000;
    await policy.ask(question);
    const [first, second] = received;
    expect(first?.headers["webhook-id"]).toBe(second?.headers["webhook-id"]);
    expect(first?.headers["webhook-id"]).toBe(policyRequestId(job.key));
    expect(Number(second?.headers["webhook-timestamp"])).toBe(
      Number(first?.headers["webhook-timestamp"]) + 30,
    );
    expect(received.every((r) => r.verified.ok)).toBe(true);
  });

  it("gives another job another webhook-id", () => {
    expect(policyRequestId("idem_other")).not.toBe(policyRequestId(job.key));
  });

  it("is refused by the verifier when signed with another secret (the check can fail)", async () => {
    await client({}, secretSource(`whsec_${randomBytes(32).toString("base64")}`)).ask(question);
    expect(received[0]?.verified).toEqual({ ok: false, error: "No matching signature found" });
  });

  it("returns the answered messages as a reply plan", async () => {
    answer = json(200, {
      messages: [
        { text: "Hi Ada!", delay: 0 },
        {
          text: "Here is the menu",
          delay: 1500,
          attachment: "https://x.test/m.pdf",
          filename: "m.pdf",
        },
      ],
    });
    expect(await client().ask(question)).toEqual([
      { text: "Hi Ada!", delayMs: 0 },
      {
        text: "Here is the menu",
        delayMs: 1500,
        attachment: "https://x.test/m.pdf",
        filename: "m.pdf",
      },
    ]);
  });

  it.each([
    ["an empty message list", json(200, { messages: [] })],
    ["a bare empty list", json(200, [])],
    ["204 No Content", ((_q, response) => response.writeHead(204).end()) as Answer],
  ])("takes %s as no reply", async (_, reply) => {
    answer = reply;
    expect(await client().ask(question)).toEqual([]);
  });

  it("refuses an invalid message, naming the field", async () => {
    answer = json(200, {
      messages: [
        { text: "Hi", delay: 0 },
        { text: "Bye", delay: -1 },
      ],
    });
    const error = await failure(client().ask(question));
    expect(error).toBeInstanceOf(ReplyPolicyAnswerError);
    expect(error.retryable).toBe(false);
    expect((error as ReplyPolicyAnswerError).field).toBe("messages[1].delay");
    expect(error.message).toBe(
      "the reply policy answer is invalid: messages[1].delay must not be negative",
    );
  });

  it("refuses a misspelt field in an answer", async () => {
    answer = json(200, { messages: [{ text: "Hi", delay: 0, attachement: "https://x.test/a" }] });
    const error = await failure(client().ask(question));
    expect((error as ReplyPolicyAnswerError).field).toBe("messages[0].attachement");
  });

  it("refuses delays beyond the webhook's waiting window", async () => {
    answer = json(200, { messages: [{ text: "Later", delay: 61_000 }] });
    const error = await failure(client({ waitingDurationSeconds: 60 }).ask(question));
    expect(error.message).toMatch(
      /messages\[0\]\.delay \(61000 ms\) is beyond the webhook's waiting_duration of 60 s/,
    );
  });

  it("refuses an answer that is not JSON", async () => {
    answer = (_request, response) => response.writeHead(200).end("OK");
    const error = await failure(client().ask(question));
    expect(error).toBeInstanceOf(ReplyPolicyAnswerError);
    expect((error as ReplyPolicyAnswerError).field).toBe("body");
  });

  it("refuses an answer without messages", async () => {
    answer = json(200, { reply: "Hi" });
    expect(((await failure(client().ask(question))) as ReplyPolicyAnswerError).field).toBe(
      "messages",
    );
  });

  it("refuses an endless answer without reading all of it", async () => {
    answer = (_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(`{"messages":[{"text":"${"x".repeat(MAX_POLICY_ANSWER_BYTES)}","delay":0}]}`);
    };
    const error = await failure(client().ask(question));
    expect(error.message).toBe(
      `the reply policy answer is larger than ${MAX_POLICY_ANSWER_BYTES} bytes`,
    );
  });

  it.each([500, 502, 503])("reports HTTP %i as worth retrying", async (status) => {
    answer = json(status, { error: "down" });
    const error = await failure(client().ask(question));
    expect(error).toBeInstanceOf(ReplyPolicyUnavailableError);
    expect(error.retryable).toBe(true);
    expect((error as ReplyPolicyUnavailableError).status).toBe(status);
  });

  it("reports 429 as worth retrying, after the endpoint's Retry-After", async () => {
    answer = json(429, {}, { "retry-after": "7" });
    const error = (await failure(client().ask(question))) as ReplyPolicyUnavailableError;
    expect(error.retryable).toBe(true);
    expect(error.retryAfterSeconds).toBe(7);
  });

  it("reports a timeout as worth retrying", async () => {
    answer = () => undefined; // never answers
    const error = await failure(client({ timeoutMs: 200 }).ask(question));
    expect(error).toBeInstanceOf(ReplyPolicyUnavailableError);
    expect(error.message).toBe("the reply policy did not answer in time");
  });

  it("reports an endpoint that is down as worth retrying", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(client({ url: `http://127.0.0.1:${port}/reply` }).ask(question));
    expect(error).toBeInstanceOf(ReplyPolicyUnavailableError);
    expect(error.message).toMatch(/could not be reached: ECONNREFUSED/);
  });

  it("reports a 4xx as an answer not worth retrying, without quoting its body", async () => {
    answer = json(422, { error: "unknown contact +34 600 111 222" });
    const error = await failure(client().ask(question));
    expect(error).toBeInstanceOf(ReplyPolicyAnswerError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/^the reply policy answered HTTP 422 \(\d+ bytes, sha256 /);
    expect(error.message).not.toContain("unknown contact");
  });

  it("does not follow a redirect", async () => {
    answer = (_request, response) => response.writeHead(302, { location: "https://x.test/" }).end();
    const error = await failure(client().ask(question));
    expect(error.message).toBe("the reply policy answered HTTP 302");
    expect(received).toHaveLength(1);
  });

  it("re-reads the secret after the endpoint refuses the signature (it may have been rotated)", async () => {
    const secret = secretSource();
    answer = json(401, {});
    await failure(client({}, secret).ask(question));
    expect(secret.forced).toBe(1);
  });

  it("never puts the secret in a header or an error", async () => {
    answer = json(500, {});
    const error = await failure(client().ask(question));
    const base64 = SECRET.slice("whsec_".length);
    expect(JSON.stringify(received[0]?.headers)).not.toContain(base64);
    expect(`${error.message} ${String(error.cause)}`).not.toContain(base64);
  });

  it.each([
    [
      "without the whsec_ prefix",
      randomBytes(32).toString("base64"),
      /must look like whsec_<base64>/,
    ],
    ["that is not base64", "whsec_not*base64!", /must be standard base64/],
    ["that is too short", `whsec_${randomBytes(8).toString("base64")}`, /24 to 64 bytes, got 8/],
  ])("refuses a secret %s, without repeating it", async (_, value, message) => {
    const error = await failure(client({}, secretSource(value)).ask(question));
    expect(error).toBeInstanceOf(ReplyPolicyConfigError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(value.replace(/^whsec_/, ""));
    expect(received).toHaveLength(0);
  });

  it.each([
    ["plain http to another host", "http://policy.example.com/reply", /must be https/],
    [
      "credentials in the URL",
      "https://user:pass@policy.example.com/",
      /must not carry credentials/,
    ],
    ["not a URL", "policy.example.com", /absolute URL/],
  ])("refuses %s at construction", (_, value, message) => {
    expect(() => client({ url: value })).toThrow(message);
  });
});

describe("the README's ten-line policy endpoint", () => {
  const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
  let endpoint: ChildProcess;
  let endpointUrl: string;

  beforeAll(async () => {
    const readme = readFileSync(`${REPO_ROOT}README.md`, "utf8");
    const code = /<!-- policy-endpoint -->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!code) throw new Error("README.md has no policy endpoint block");
    const port = await freePort();
    endpointUrl = `http://127.0.0.1:${port}/`;
    // Run as the README says, from the repository (where `standardwebhooks` resolves).
    endpoint = spawn(process.execPath, ["--input-type=module", "--eval", code], {
      cwd: REPO_ROOT,
      env: { ...process.env, REPLY_POLICY_SECRET: SECRET, PORT: String(port) },
      stdio: "ignore",
    });
    await waitFor("the endpoint listening", () =>
      fetch(endpointUrl, { method: "POST" }).then(
        (r) => r.status === 401,
        () => false,
      ),
    );
  }, 30_000);

  afterAll(() => {
    endpoint?.kill("SIGKILL");
  });

  it("verifies the responder's request and answers a plan the client accepts", async () => {
    const messages = await client({ url: endpointUrl }).ask(question);
    expect(messages).toEqual([
      {
        text: `Thanks for "${job.webhook.lastMessageOfUser}". A person will answer soon.`,
        delayMs: 1000,
      },
    ]);
  });

  it("refuses a request signed with another secret", async () => {
    const other = secretSource(`whsec_${randomBytes(32).toString("base64")}`);
    const error = await failure(client({ url: endpointUrl }, other).ask(question));
    expect(error).toMatchObject({ status: 401, retryable: false });
  });
});
