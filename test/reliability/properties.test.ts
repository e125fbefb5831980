import { createHash, createHmac } from "node:crypto";
import type { SQSClient } from "@aws-sdk/client-sqs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../lambdas/contract.js";
import { PayloadError } from "../../lambdas/core/errors.js";
import type { WebhookJob } from "../../lambdas/core/messages.js";
import { parseWebhook } from "../../lambdas/core/parseWebhook.js";
import { idempotencyKey } from "../../lambdas/core/receiveWebhook.js";
import { verifySignature } from "../../lambdas/core/signature.js";
import {
  createReceiverHandler,
  type ReceiverHandler,
  readReceiverConfig,
  receiverDeps,
} from "../../lambdas/functions/receiver.js";
import { type EventOptions, httpEvent, lambdaContext, validSignatures } from "../support/events.js";
import { provisionForTest } from "../support/localAws.js";
import { drainQueue, localSqsClient } from "../support/queues.js";
import { type CapturedOutput, captureOutput } from "./support/captureOutput.js";

/**
 * Property-based tests of the receiver's parsing and verification (docs/reliability.md): thousands of
 * generated bodies, headers and encodings through the real handler (DynamoDB Local, fauxqs and
 * the Secrets Manager stand-in behind it) and through the pure core. The receiver never throws,
 * never answers 5xx for a client's fault, never accepts a forged signature, answers every
 * refusal with a clear JSON error, and queues exactly one job per accepted delivery.
 */

/** 128 random bytes, base64url: the shape of the secret the vendor issues. */
const SECRET = createHash("sha512").update("properties-secret").digest("base64url").repeat(2);
const MAX_BODY_BYTES = 64 * 1024;
/** Fixed seed offset per property, so a CI failure replays locally (fast-check prints the seed). */
const SEED = Number(process.env.PROPERTY_SEED ?? 20261126);

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });

/** Anything a sender might put where a phone number belongs. */
const phoneValue = fc.oneof(
  { weight: 6, arbitrary: digits(7, 15) },
  digits(7, 15).map((d) => `+${d}`),
  digits(7, 15).map((d) => `+${d.slice(0, 2)} (${d.slice(2, 5)}) ${d.slice(5)}`),
  fc.integer({ min: 1_000_000, max: Number.MAX_SAFE_INTEGER }),
  digits(16, 40),
  fc.constantFrom(1e308, -5, 0, 3.5, "", " ", "+", "abc", "١٢٣٤٥٦٧٨"),
  fc.string(),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Text fields: unicode (lone surrogates included), numbers, nulls, wrong types. */
const textValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: fc.constantFrom("\ud800", "\udfff", "\u0000", "\u202e", "é", "😀", '"') }),
  fc.double(),
  fc.integer(),
  fc.constantFrom(null, "", true),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Times: seconds, milliseconds, strings, ISO, out of range, junk. */
const timeValue = fc.oneof(
  fc.integer({ min: 0, max: 2_000_000_000 }),
  fc.integer({ min: 1_000_000_000_000, max: 2_000_000_000_000 }),
  fc.integer({ min: 0, max: 2_000_000_000 }).map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(1e308, -1, 0.5, "0", "", "soon", "2026-13-45T99:99:99Z", 8.64e15 + 1),
  fc.double(),
  fc.jsonValue({ maxDepth: 1 }),
);

const historyEntry = fc.record(
  {
    type: fc.oneof(fc.constantFrom("user", "bot", "agent"), textValue),
    content: textValue,
    timestamp: fc.oneof(timeValue, fc.string()),
    content_type: fc.oneof(fc.constantFrom("text", "image", "audio"), textValue),
    media_url: textValue,
  },
  { requiredKeys: [] },
);

const historyValue = fc.oneof(
  fc.array(historyEntry, { maxLength: 4 }),
  fc.array(historyEntry, { maxLength: 4 }).map((entries) => JSON.stringify(entries)),
  fc.string(),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A flat (V0–V3, Zapier) payload whose every field may have any type; keys may be missing. */
const flatPayload = fc
  .record(
    {
      phone_number: phoneValue,
      user_id: fc.oneof(fc.uuid(), textValue),
      recipient_name: textValue,
      last_message_of_user: textValue,
      last_message_of_bot: textValue,
      message_type: textValue,
      user_last_message_time: timeValue,
      bot_last_message_time: timeValue,
      user_timestamp: timeValue,
      last_messages: historyValue,
      conversation_paragraph: textValue,
      attachment_url: fc.oneof(fc.webUrl(), textValue),
      note: textValue,
      labels: fc.oneof(fc.string(), fc.array(textValue, { maxLength: 3 }), textValue),
      incoming_message: fc.oneof(fc.boolean(), fc.constantFrom("true", "false", "1", 0), textValue),
      send_by: textValue,
      was_message_by_human: fc.oneof(fc.boolean(), textValue),
      referral: fc.oneof(fc.object({ maxDepth: 1 }), textValue),
    },
    { requiredKeys: [] },
  )
  .chain((fields) =>
    fc
      .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 })
      .map((extra) => ({ ...extra, ...fields })),
  );

/** A flat payload that is valid, so only the signature decides (used for forgeries). */
const validPayload = fc.record({
  phone_number: digits(7, 15),
  user_id: fc.uuid(),
  last_message_of_user: fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
  user_last_message_time: fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }),
  incoming_message: fc.constant(true),
});

/** The V1 envelope and the generic `{event, data}` envelope around a flat payload. */
const envelopePayload = fc.record({
  event_type: fc.constantFrom("incoming_message", "outgoing_message", "message.received"),
  timestamp: timeValue,
  data: fc.record(
    {
      phone_number: phoneValue,
      message: fc.oneof(
        fc.record(
          { content: textValue, type: textValue, timestamp: timeValue, media: textValue },
          { requiredKeys: [] },
        ),
        textValue,
      ),
      conversation_context: fc.oneof(
        fc.record(
          { last_user_message: textValue, last_bot_message: textValue, user_timestamp: timeValue },
          { requiredKeys: [] },
        ),
        textValue,
      ),
      conversation_history: historyValue,
    },
    { requiredKeys: [] },
  ),
});

/** Raw bodies: JSON of every shape, wrong top-level types, broken and odd encodings. */
const bodyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: flatPayload.map((p) => Buffer.from(JSON.stringify(p))) },
  { weight: 2, arbitrary: envelopePayload.map((p) => Buffer.from(JSON.stringify(p))) },
  fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 200 }).map((text) => Buffer.from(text)),
  flatPayload.map((p) => Buffer.from(`\ufeff${JSON.stringify(p)}`)),
  flatPayload.map((p) => Buffer.from(JSON.stringify(p), "utf16le")),
  flatPayload.map((p) => Buffer.from(JSON.stringify(p)).subarray(0, 20)),
  flatPayload.map((p) => Buffer.from(` \n\t${JSON.stringify(p, null, 2)}\r\n`)),
  // Integer literals JSON.parse cannot hold exactly, and numbers beyond a double.
  digits(16, 60).map((d) => Buffer.from(`{"phone_number":${d},"last_message_of_user":"hi"}`)),
  digits(1, 3).map((e) => Buffer.from(`{"phone_number":1e${e}0,"last_message_of_user":"hi"}`)),
  fc
    .constantFrom("", " ", "null", "[]", "{}", '""', "0", "{", '{"a":1}garbage')
    .map((t) => Buffer.from(t)),
);

/**
 * Deep nesting inside an unknown field of an otherwise valid payload (bounded by the body limit).
 * Generated as parameters, so a failure report shows them rather than kilobytes of brackets.
 */
const deepNesting = fc.record({
  depth: fc.integer({ min: 1, max: 20_000 }),
  kind: fc.constantFrom("array" as const, "object" as const),
  payload: validPayload,
});

function deeplyNestedBody({
  depth,
  kind,
  payload,
}: {
  depth: number;
  kind: "array" | "object";
  payload: object;
}): Buffer {
  const [open, close] = kind === "array" ? ["[", "]"] : ['{"k":', "}"];
  const json = JSON.stringify(payload);
  return Buffer.from(`${json.slice(0, -1)},"nested":${open.repeat(depth)}1${close.repeat(depth)}}`);
}

/** Header maps with random names, values and casing; sometimes a misleading Content-Length. */
const extraHeaders = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      "content-type",
      "Content-Type",
      "content-length",
      "content-encoding",
      "x-forwarded-for",
    ),
    fc.string({
      unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz-"),
      minLength: 1,
      maxLength: 12,
    }),
  ),
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.nat().map(String),
    fc.constantFrom("gzip", "application/json; charset=utf-16", "text/plain", "-1", "99999999999"),
  ),
  { maxKeys: 4 },
);

/** A signature header that was not produced with SECRET over these bytes. */
function forgedSignature(body: Uint8Array): fc.Arbitrary<string> {
  const otherSecret = fc
    .string({ minLength: 1, maxLength: 200 })
    .filter((s) => s.trim() !== SECRET && !s.split(",").some((p) => p.trim() === SECRET));
  const good = createHmac("sha256", SECRET).update(body).digest("hex");
  return fc.oneof(
    otherSecret,
    otherSecret.map((s) => createHmac("sha256", s).update(body).digest("hex")),
    otherSecret.map((s) => createHmac("sha512", s).update(body).digest("base64")),
    // Correct secret, different bytes (one byte appended or the body re-serialised with a space).
    fc.uint8Array({ minLength: 1, maxLength: 4 }).map((extra) =>
      createHmac("sha256", SECRET)
        .update(Buffer.concat([body, extra]))
        .digest("hex"),
    ),
    fc.constant(
      createHmac("sha256", SECRET)
        .update(Buffer.concat([body, Buffer.from(" ")]))
        .digest("hex"),
    ),
    // Near misses of the real values.
    fc.nat({ max: good.length - 1 }).map((i) => flipChar(good, i)),
    fc.nat({ max: SECRET.length - 1 }).map((i) => flipChar(SECRET, i)),
    fc.nat({ max: good.length - 1 }).map((i) => good.slice(0, i)),
    fc.constant(SECRET.slice(0, -1)),
    fc.constant(`sha512=${good}`),
    fc.constant(""),
    fc.constant("   "),
    fc.constant("x".repeat(5000)),
    fc.constant(`${"a,".repeat(50)}${good.slice(1)}`),
  );
}

function announcesTooLarge(headers: Record<string, string>): boolean {
  const length = Object.entries(headers).find(([name]) => name.toLowerCase() === "content-length");
  return (
    length !== undefined && /^\s*\d+\s*$/.test(length[1]) && Number(length[1]) > MAX_BODY_BYTES
  );
}

function flipChar(text: string, index: number): string {
  const c = text[index] ?? "0";
  const replacement = c === "0" ? "1" : c === "A" ? "B" : "0";
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

// ---------------------------------------------------------------------------------------------
// Response invariants
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** Asserts the answer is a well-formed JSON response and returns it parsed. */
function expectClearJson(response: Awaited<ReturnType<ReceiverHandler>>): Answer {
  expect(response.headers?.["content-type"]).toBe("application/json");
  expect(typeof response.body).toBe("string");
  const body = JSON.parse(String(response.body)) as unknown;
  expect(body).toBeTypeOf("object");
  expect(body).not.toBeNull();
  const record = body as Record<string, unknown>;
  const status = Number(response.statusCode);
  if (status === 200) {
    expect(["accepted", "duplicate"]).toContain(record.status);
  } else {
    expect(record.error).toBeTypeOf("string");
    expect(record.message).toBeTypeOf("string");
    expect(String(record.message).length).toBeGreaterThan(0);
  }
  if (status === 400) {
    expect(["invalid_payload", "malformed_json"]).toContain(record.error);
    expect(record.field).toBeTypeOf("string");
    expect(String(record.field).length).toBeGreaterThan(0);
  }
  return { status, body: record };
}

// ---------------------------------------------------------------------------------------------

describe("receiver under generated input (properties)", { timeout: 90_000 }, () => {
  let handler: ReceiverHandler;
  let sqs: SQSClient;
  let jobsQueue: string;
  let output: CapturedOutput;
  /** Message keys of every delivery answered "accepted" (a repeat inside SQS's window too). */
  const acceptedKeys: string[] = [];

  /** Invokes the handler; it must resolve (never throw) with a clear JSON answer below 500. */
  async function deliver(body: Uint8Array, options: EventOptions): Promise<Answer> {
    const response = await handler(httpEvent(body, options), lambdaContext());
    const answer = expectClearJson(response);
    if (answer.status >= 500) {
      throw new Error(
        `5xx for a client's request: ${answer.status} ${JSON.stringify(answer.body)}; ` +
          `log: ${output.lines().slice(-2).join(" | ")}`,
      );
    }
    return answer;
  }

  beforeAll(async () => {
    const resources = await provisionForTest({
      signingSecret: JSON.stringify({ current: SECRET, previous: [] }),
    });
    jobsQueue = resources.queues.jobs;
    const env = {
      ...resources.awsEnv,
      ...resources.env,
      [ENV.signatureScheme]: "auto",
      [ENV.maxBodyBytes]: String(MAX_BODY_BYTES),
      [ENV.secretCacheSeconds]: "300",
      [ENV.logLevel]: "INFO",
    };
    sqs = localSqsClient(resources.awsEnv.AWS_ENDPOINT_URL_SQS);
    output = captureOutput();
    handler = createReceiverHandler(receiverDeps(readReceiverConfig(env)));
  });

  afterAll(() => {
    output?.restore();
    sqs?.destroy();
  });

  it("answers any signed body, header set and encoding with a clear JSON answer and never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        bodyBytes,
        fc.boolean(),
        fc.nat(),
        extraHeaders,
        async (body, base64, pick, headers) => {
          const signatures = validSignatures(body, SECRET);
          const signature = signatures[pick % signatures.length] as string;
          const answer = await deliver(body, { base64, signature, headers });
          // Bytes that are not UTF-8 arrive altered as text, so only their plain-secret header holds.
          const seen = bytesSeen(body, base64);
          const altered = !seen.equals(Buffer.from(body)) && signature !== SECRET;
          if (announcesTooLarge(headers) || seen.length > MAX_BODY_BYTES) {
            expect(answer.status).toBe(413);
          } else if (altered) {
            expect(answer.status).toBe(401);
          } else {
            expect([200, 400]).toContain(answer.status);
          }
          if (answer.body.status === "accepted") acceptedKeys.push(keyOf(seen));
        },
      ),
      { numRuns: 500, seed: SEED },
    );
  });

  it("refuses every unsigned or forged signature with 401 and queues nothing for it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .oneof(
            validPayload.map((p): Uint8Array => Buffer.from(JSON.stringify(p))),
            bodyBytes,
          )
          .chain((body) => forgedSignature(body).map((signature) => ({ body, signature }))),
        fc.boolean(),
        extraHeaders,
        async ({ body, signature }, base64, headers) => {
          // A Content-Length over the limit is refused (413) before the signature is read.
          const expected = announcesTooLarge(headers) ? 413 : 401;
          const withHeader = await deliver(body, { base64, signature, headers });
          expect(withHeader.status).toBe(expected);
          if (expected === 401) {
            expect(withHeader.body).toEqual({
              error: "unauthorized",
              message: "missing or invalid webhook signature",
            });
          }
          const without = await deliver(body, { base64, headers });
          expect(without.status).toBe(expected);
        },
      ),
      { numRuns: 300, seed: SEED + 1 },
    );
  });

  it("refuses forgeries of every kind for one valid body", async () => {
    const body = Buffer.from(
      JSON.stringify({ phone_number: "14155550100", last_message_of_user: "forge me" }),
    );
    await fc.assert(
      fc.asyncProperty(forgedSignature(body), fc.boolean(), async (signature, base64) => {
        const answer = await deliver(body, { base64, signature });
        expect(answer.status).toBe(401);
      }),
      { numRuns: 300, seed: SEED + 2 },
    );
  });

  it("answers deeply nested unknown fields without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(deepNesting, async (nesting) => {
        const body = deeplyNestedBody(nesting);
        const answer = await deliver(body, { signature: validSignatures(body, SECRET)[1] });
        expect([200, 400, 413]).toContain(answer.status);
        if (answer.body.status === "accepted") acceptedKeys.push(keyOf(body));
      }),
      { numRuns: 40, seed: SEED + 3, endOnFailure: true },
    );
  });

  it("answers bodies around the size limit with 200/400 below it and 413 above it, never 5xx", async () => {
    for (const size of [
      MAX_BODY_BYTES - 1,
      MAX_BODY_BYTES,
      MAX_BODY_BYTES + 1,
      10 * MAX_BODY_BYTES,
    ]) {
      const head = `{"phone_number":"14155550199","last_message_of_user":"`;
      const tail = `"}`;
      const body = Buffer.from(`${head}${"a".repeat(size - head.length - tail.length)}${tail}`);
      for (const base64 of [false, true]) {
        const answer = await deliver(body, { base64, signature: validSignatures(body, SECRET)[1] });
        if (body.length > MAX_BODY_BYTES) expect(answer.status).toBe(413);
        else expect([200, 400]).toContain(answer.status);
        if (answer.body.status === "accepted") acceptedKeys.push(keyOf(body));
      }
    }
  });

  it("accepts messages with emoji, U+FFFE/U+FFFF and lone surrogates (characters SQS refuses raw)", async () => {
    for (const text of ["thanks 😀🙏", "odd \ufffe\uffff", "half \ud83d pair", "𝄞 music"]) {
      const body = Buffer.from(
        JSON.stringify({ phone_number: "14155550123", last_message_of_user: text }),
      );
      const answer = await deliver(body, { signature: validSignatures(body, SECRET)[1] });
      expect(answer.body).toEqual({ status: "accepted" });
      acceptedKeys.push(keyOf(body));
    }
  });

  it("answers other routes and methods with 404/405 JSON errors", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST"),
        fc.oneof(
          fc.constant("/webhooks/whatsapp"),
          fc.webPath(),
          fc.string({ maxLength: 30 }).map((s) => `/${s}`),
        ),
        fc.uint8Array({ maxLength: 50 }),
        async (method, path, body) => {
          fc.pre(!(method === "POST" && /\/webhooks\/whatsapp\/*$/.test(path)));
          const answer = await deliver(body, { method, path, signature: SECRET });
          expect(answer.status).not.toBe(200);
          expect([400, 401, 404, 405]).toContain(answer.status);
        },
      ),
      { numRuns: 200, seed: SEED + 4 },
    );
  });

  it("queued exactly one job per distinct accepted message (repeats are accepted too), none for any other", async () => {
    const jobs = await drainQueue<WebhookJob>(sqs, jobsQueue);
    expect(jobs.map((job) => job.key).sort()).toEqual([...new Set(acceptedKeys)].sort());
    expect(new Set(jobs.map((job) => job.key)).size).toBe(jobs.length);
  });

  it("logged one JSON line per delivery, none with the secret in it", () => {
    const lines = output.lines();
    expect(lines.length).toBeGreaterThan(1000);
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain(SECRET);
    }
  });
});

/** The idempotency key the receiver derives for a body that was accepted. */
function keyOf(body: Uint8Array): string {
  return idempotencyKey(parseWebhook(body));
}

/**
 * The bytes the receiver sees: API Gateway passes a JSON/text body as a UTF-8 string, so bytes
 * that are not valid UTF-8 arrive altered (and their HMAC no longer matches); base64 keeps them.
 */
function bytesSeen(body: Uint8Array, base64: boolean): Buffer {
  return base64 ? Buffer.from(body) : Buffer.from(Buffer.from(body).toString("utf8"), "utf8");
}

describe("signature verification (properties of the core)", { timeout: 90_000 }, () => {
  const secretArb = fc
    .base64String({ minLength: 8, maxLength: 172 })
    .filter((s) => s.trim() !== "");

  it("verifies every accepted encoding of the right HMAC or the secret itself", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), secretArb, (body, secret) => {
        for (const header of validSignatures(body, secret)) {
          expect(verifySignature({ scheme: "auto", header, body, secrets: [secret] }).valid).toBe(
            true,
          );
        }
      }),
      { numRuns: 150, seed: SEED + 5 },
    );
  });

  it("never verifies a signature made with a different secret", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        secretArb,
        secretArb,
        (body, secret, other) => {
          fc.pre(secret.trim() !== other.trim());
          for (const header of validSignatures(body, other)) {
            for (const scheme of ["auto", "secret", "hmac-sha256", "hmac-sha512"] as const) {
              expect(verifySignature({ scheme, header, body, secrets: [secret] }).valid).toBe(
                false,
              );
            }
          }
        },
      ),
      { numRuns: 150, seed: SEED + 6 },
    );
  });

  it("never verifies an HMAC made over different bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }),
        secretArb,
        (body, otherBody, secret) => {
          fc.pre(!Buffer.from(body).equals(Buffer.from(otherBody)));
          // The secret itself is a valid header whatever the body: leave it out here.
          for (const header of validSignatures(otherBody, secret).slice(1)) {
            for (const scheme of ["auto", "hmac-sha256", "hmac-sha512"] as const) {
              expect(verifySignature({ scheme, header, body, secrets: [secret] }).valid).toBe(
                false,
              );
            }
          }
        },
      ),
      { numRuns: 150, seed: SEED + 7 },
    );
  });

  it("never throws on any header, body or secret list", () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: "binary", maxLength: 2000 }), { nil: undefined }),
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.string({ maxLength: 50 }), { maxLength: 3 }),
        fc.constantFrom("auto", "secret", "hmac-sha256", "hmac-sha512", "off") as fc.Arbitrary<
          "auto" | "secret" | "hmac-sha256" | "hmac-sha512" | "off"
        >,
        (header, body, secrets, scheme) => {
          const verdict = verifySignature({ scheme, header, body, secrets });
          if (scheme !== "off" && secrets.every((s) => s === "")) expect(verdict.valid).toBe(false);
        },
      ),
      { numRuns: 500, seed: SEED + 8 },
    );
  });
});

describe("parseWebhook (properties of the core)", { timeout: 90_000 }, () => {
  it("returns a webhook or throws a PayloadError naming a field, for any bytes", () => {
    fc.assert(
      fc.property(
        fc.oneof({ weight: 9, arbitrary: bodyBytes }, deepNesting.map(deeplyNestedBody)),
        (body) => {
          try {
            const webhook = parseWebhook(body);
            expect(webhook.phone).toMatch(/^\d{5,20}$/);
          } catch (error) {
            expect(error).toBeInstanceOf(PayloadError);
            expect((error as PayloadError).field).not.toBe("");
            expect((error as PayloadError).message).not.toBe("");
          }
        },
      ),
      { numRuns: 800, seed: SEED + 9 },
    );
  });

  it("parses the same event to the same key whether the body arrives as text or bytes", () => {
    fc.assert(
      fc.property(validPayload, (payload) => {
        const text = JSON.stringify(payload);
        expect(keyOf(Buffer.from(text))).toBe(idempotencyKey(parseWebhook(text)));
      }),
      { numRuns: 300, seed: SEED + 10 },
    );
  });
});
