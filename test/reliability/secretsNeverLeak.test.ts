import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkVendorWebhookInputs,
  createVendorWebhookProvider,
  type VendorWebhookInputs,
} from "../../infra/dynamic/vendorWebhookProvider.js";
import { ENV } from "../../lambdas/contract.js";
import { parseSigningSecrets } from "../../lambdas/core/signature.js";
import { HANDLER_FACTORIES } from "../../local/stack.js";
import { startVendorSimulator } from "../../local/vendorSimulator.js";
import { hmacHex } from "../support/events.js";
import { waitFor } from "../support/queues.js";
import { startTestStack, type TestStack } from "../support/testStack.js";
import { type CapturedOutput, captureOutput } from "./support/captureOutput.js";
import { post, signedWebhook } from "./support/deliveries.js";

/**
 * Secrets never leak (docs/reliability.md): every error path of the pipeline is driven with a known signing
 * secret and vendor token — forged and missing signatures, bodies that carry the secret, Secrets
 * Manager / DynamoDB / SQS down, a broken secret document, the vendor answering 401/500/limit
 * while echoing the token back, the vendor down or hanging, bad configuration, and the Pulumi
 * provider's error paths. Then neither value, nor its base64/base64url/hex/URL-encoded forms, nor
 * any 16-character piece of it, may appear in any log line, HTTP answer, error message or stack,
 * or stored item.
 */

/** Every form of `value` a careless log line could carry. */
function leakForms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms = new Set([
    value,
    bytes.toString("base64"),
    bytes.toString("base64").replace(/=+$/, ""),
    bytes.toString("base64url"),
    bytes.toString("hex"),
    bytes.toString("hex").toUpperCase(),
    encodeURIComponent(value),
  ]);
  // Pieces of the value (a truncated secret is still a leak). Only pieces with a character
  // outside [0-9a-f] count, so a random match inside a logged SHA-256 hex digest is impossible.
  for (let i = 0; i + 16 <= value.length; i++) {
    const piece = value.slice(i, i + 16);
    if (/[^0-9a-f]/.test(piece)) forms.add(piece);
  }
  return [...forms];
}

/** Asserts no form of any secret occurs in `text`; `where` names the place in the failure. */
function expectNoLeak(text: string, secrets: Record<string, string>, where: string): void {
  for (const [name, value] of Object.entries(secrets)) {
    for (const form of leakForms(value)) {
      if (text.includes(form)) {
        const at = text.indexOf(form);
        throw new Error(
          `${name} leaked into ${where} as "${form.slice(0, 4)}…": …${text
            .slice(Math.max(0, at - 80), at)
            .replaceAll(value, "<SECRET>")}<HERE>…`,
        );
      }
    }
  }
}

const errorText = (error: unknown) => {
  const e = error as { name?: string; message?: string; stack?: string } | undefined;
  return e?.message === undefined ? String(error) : `${e.name}: ${e.message}\n${e.stack ?? ""}`;
};

describe("secrets never leak", { timeout: 90_000 }, () => {
  let pipeline: TestStack;
  let output: CapturedOutput;
  let secrets: Record<string, string>;
  /** Every HTTP answer text and every error message/stack seen by the test. */
  const seen: string[] = [];
  const record = (text: string) => {
    seen.push(text);
    return text;
  };
  const RULES = [{ match: ".*", messages: [{ text: "thanks", delay: 0 }] }];
  let phoneCounter = 0;
  const nextPhone = () => `1415557${String(phoneCounter++).padStart(4, "0")}`;
  /** Phones (with "+") whose reply must reach the vendor before the vendor is scripted. */
  const awaited: string[] = [];

  async function deliver(body: string, signature: string | undefined) {
    const answer = await post(pipeline.receiverUrl, { body, signature });
    record(JSON.stringify(answer.headers));
    record(answer.text);
    return answer;
  }

  /** A valid signed delivery for a fresh phone; returns the phone (with "+"). */
  async function acceptedDelivery(): Promise<string> {
    const phone = nextPhone();
    const webhook = signedWebhook(pipeline.signingSecret, { phone, text: "hi", at: Date.now() });
    const answer = await deliver(webhook.body, webhook.signature);
    expect(answer.body).toEqual({ status: "accepted" });
    awaited.push(`+${phone}`);
    return `+${phone}`;
  }

  const sentTo = (phone: string) => pipeline.vendor.sent().filter((s) => s.phone === phone);

  beforeAll(async () => {
    output = captureOutput();
    pipeline = await startTestStack({
      faultProxies: true,
      logLevel: "INFO",
      rules: RULES,
      timing: { visibilityTimeoutSeconds: 2, vendorTimeoutMs: 800 },
      // Read the secrets on every delivery, so a changed secret document is seen at once.
      env: { [ENV.secretCacheSeconds]: "0" },
      // The sender reads its token at INIT; let that read fail, so the first test finds nothing
      // cached (otherwise it races the test's own outage and may cache the token first).
      downDuringInit: ["secretsManager"],
    });
    secrets = { "signing secret": pipeline.signingSecret, "vendor token": pipeline.vendorToken };
  });

  afterAll(async () => {
    await pipeline?.stop();
    output?.restore();
  });

  it("drives Secrets Manager down before anything is cached (receiver and sender)", async () => {
    const webhook = signedWebhook(pipeline.signingSecret, {
      phone: nextPhone(),
      text: "hi",
      at: Date.now(),
    });
    await pipeline.proxies.secretsManager.setMode("refuse");
    try {
      expect((await deliver(webhook.body, webhook.signature)).status).toBe(503);
    } finally {
      await pipeline.proxies.secretsManager.setMode("up");
    }
    expect((await deliver(webhook.body, webhook.signature)).body).toEqual({ status: "accepted" });
    // Down again when the sender reads the vendor token for the first time.
    await pipeline.proxies.secretsManager.setMode("reset");
    try {
      pipeline.startWorker("responder");
      pipeline.startWorker("sender");
      await waitFor("a send attempt that could not read the token", () =>
        output.text().includes("scheduled reply failed; it will be retried") ? true : undefined,
      );
    } finally {
      await pipeline.proxies.secretsManager.setMode("up");
    }
    await waitFor("the reply after recovery", () =>
      pipeline.vendor.sent().length === 1 ? true : undefined,
    );
  });

  it("drives every signature failure", async () => {
    const body = signedWebhook(pipeline.signingSecret, {
      phone: nextPhone(),
      text: "hi",
      at: Date.now(),
    }).body;
    const s = pipeline.signingSecret;
    for (const signature of [
      undefined,
      "",
      hmacHex(body, "some-other-secret"),
      hmacHex(`${body} `, s),
      `${s}x`,
      s.slice(0, -1),
      `sha512=${hmacHex(body, s)}`,
      `${s},${s.slice(1)}`.repeat(40),
    ]) {
      expect((await deliver(body, signature)).status).toBe(401);
    }
  });

  it("drives malformed and invalid bodies that carry the secret and the token", async () => {
    const s = pipeline.signingSecret;
    const t = pipeline.vendorToken;
    const bodies = [
      `{"note":"${s}", "phone_number": `,
      `${t}`,
      `{"phone_number":"${s}","last_message_of_user":"x"}`,
      `{"phone_number":"14155550000","last_message_of_user":{"${t}":1}}`,
      `{"phone_number":"14155550000","incoming_message":{"x":"${t}"},"last_message_of_user":"x"}`,
      `{"phone_number":"14155550000","user_last_message_time":"${t}","last_message_of_user":"x"}`,
      `[${JSON.stringify(s)}]`,
      `{"event":"${t}","data":{"phone_number":"${s}"}}`,
    ];
    for (const body of bodies) {
      // Signed with the secret itself (the "secret" form of the header) and as an HMAC.
      expect((await deliver(body, s)).status).toBe(400);
      expect((await deliver(body, hmacHex(body, s))).status).toBe(400);
    }
  });

  it("drives DynamoDB and SQS down during a delivery", async () => {
    // SQS is the receiver's one call (503); DynamoDB is not on its path (still 200).
    for (const [proxy, status] of [
      [pipeline.proxies.dynamodb, 200],
      [pipeline.proxies.sqs, 503],
    ] as const) {
      const webhook = signedWebhook(pipeline.signingSecret, {
        phone: nextPhone(),
        text: "hi",
        at: Date.now(),
      });
      await proxy.setMode("refuse");
      try {
        expect((await deliver(webhook.body, webhook.signature)).status).toBe(status);
      } finally {
        await proxy.setMode("up");
      }
    }
  });

  it("drives a broken signing secret document that contains the secret", async () => {
    const client = new SecretsManagerClient({
      endpoint: pipeline.awsEnv.AWS_ENDPOINT_URL_SECRETS_MANAGER,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const secretId = pipeline.resources.secrets.signing;
    const good = JSON.stringify({ current: pipeline.signingSecret });
    const broken = [
      JSON.stringify({ current: 42, previous: [pipeline.signingSecret] }),
      JSON.stringify({ current: pipeline.signingSecret, previous: [7, pipeline.vendorToken] }),
      "   ",
    ];
    try {
      for (const value of broken) {
        expect(() => parseSigningSecrets(value)).toThrow();
        try {
          parseSigningSecrets(value);
        } catch (error) {
          record(errorText(error));
        }
        await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
        // A recent failed read keeps the last good secret in use for a few seconds; then 503.
        await waitFor(
          "the receiver to refuse deliveries with the broken document",
          async () => {
            const phone = nextPhone();
            const webhook = signedWebhook(pipeline.signingSecret, {
              phone,
              text: "hi",
              at: Date.now(),
            });
            const answer = await deliver(webhook.body, webhook.signature);
            if (answer.status === 200) awaited.push(`+${phone}`);
            return answer.status === 503 ? true : undefined;
          },
          { timeoutMs: 15_000, intervalMs: 500 },
        );
      }
    } finally {
      await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: good }));
      client.destroy();
    }
    await acceptedDelivery();
    await waitFor("every accepted delivery's reply", () =>
      awaited.every((phone) => sentTo(phone).length > 0) ? true : undefined,
    );
  });

  it("drives vendor 401, 500 and message-limit answers that echo the token", async () => {
    const t = pipeline.vendorToken;
    // 401 and 500 are retried; the retry succeeds.
    for (const scripted of [
      { status: 401, body: { message: `Unauthorized: token ${t} is not valid` } },
      { status: 500, body: { error: { code: "E500", message: `upstream said Bearer ${t}` } } },
      { status: 429, body: { message: `slow down ${t}` } },
    ]) {
      pipeline.vendor.scriptSendResponses([scripted]);
      const phone = await acceptedDelivery();
      await waitFor(`the reply after a ${scripted.status}`, () =>
        sentTo(phone).length ? true : undefined,
      );
    }
    // The message limit is permanent: nothing is sent, the reply item says FAILED.
    pipeline.vendor.scriptSendResponses([
      {
        status: 400,
        body: {
          message: `Message sending failed | Reason: Message limit for this number reached. ${t}`,
        },
      },
    ]);
    const before = output.lines().length;
    const phone = await acceptedDelivery();
    await waitFor("the refusal to be logged", () =>
      output
        .lines()
        .slice(before)
        .some((l) => l.includes("vendor refused the reply"))
        ? true
        : undefined,
    );
    expect(sentTo(phone)).toEqual([]);
  });

  it("drives the vendor down and hanging", async () => {
    for (const mode of ["refuse", "hang"] as const) {
      await pipeline.proxies.vendor.setMode(mode);
      const before = pipeline.proxies.vendor.connections();
      const phone = await acceptedDelivery();
      await waitFor(`a failed send attempt (${mode})`, () =>
        output.text().includes("send failed; retrying with backoff") &&
        (mode === "refuse" || pipeline.proxies.vendor.connections() > before)
          ? true
          : undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, mode === "hang" ? 1200 : 200));
      await pipeline.proxies.vendor.setMode("up");
      await waitFor(
        `the reply after the vendor was ${mode}`,
        () => (sentTo(phone).length ? true : undefined),
        { timeoutMs: 30_000 },
      );
    }
  });

  it("drives bad configuration of every function", () => {
    const cases: [keyof typeof HANDLER_FACTORIES, Record<string, string>][] = [
      ["receiver", { [ENV.signatureScheme]: `bogus-${pipeline.signingSecret.slice(0, 3)}` }],
      ["receiver", { [ENV.maxBodyBytes]: "-1" }],
      ["responder", { [ENV.replyRules]: `[{"match":"(","messages":[]}]` }],
      ["sender", { [ENV.vendorBaseUrl]: "not a url" }],
      ["sender", { [ENV.vendorPhoneFormat]: "morse" }],
    ];
    for (const [fn, env] of cases) {
      // A cold start of the function with this env (what its entry module runs at INIT).
      let error: unknown;
      try {
        HANDLER_FACTORIES[fn]({ ...pipeline.handlerEnv, ...env });
      } catch (thrown) {
        error = thrown;
      }
      expect(String((error as Error | undefined)?.message), `${fn} ${JSON.stringify(env)}`).toMatch(
        /environment variable|must|REPLY_RULES/i,
      );
      record(errorText(error));
    }
  });

  it("keeps the token out of the Pulumi VendorWebhook provider's errors when the vendor echoes it", async () => {
    const vendor = await startVendorSimulator({ token: pipeline.vendorToken });
    const t = pipeline.vendorToken;
    try {
      const provider = createVendorWebhookProvider({
        retryBaseDelayMs: 5,
        maxAttempts: 1,
        requestTimeoutMs: 1000,
      });
      // Stack config as the engine passes it (keys without the project namespace).
      await provider.configure?.({
        config: {
          get: (key: string) => (key === "vendorToken" ? t : undefined),
          require: (key: string) => (key === "vendorToken" ? t : ""),
        },
      } as never);
      const inputs = checkVendorWebhookInputs({
        url: "https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/whatsapp",
        managementBaseUrl: `${vendor.url}/api:qh9OQ3OW`,
      }).inputs as VendorWebhookInputs;
      for (const scripted of [
        { status: 401, body: { code: "ERROR_CODE_UNAUTHORIZED", message: `bad token ${t}` } },
        { status: 500, body: { message: `Authorization: Bearer ${t}` } },
        { status: 400, body: { code: "ERROR_CODE_INPUT_ERROR", message: `token=${t}` } },
      ]) {
        vendor.scriptManagementResponses([scripted]);
        const error = await provider.create?.(inputs).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(String((error as Error).message)).toContain(`answered ${scripted.status}`);
        // These errors reach the `pulumi up` output and CI logs.
        expectNoLeak(errorText(error), secrets, `the provider's error for a ${scripted.status}`);
      }
    } finally {
      await vendor.stop();
    }
  });

  it("leaked neither value into any log line", () => {
    expect(output.lines().length).toBeGreaterThan(50);
    expectNoLeak(output.text(), secrets, "the logs");
    expectNoLeak(pipeline.stackLog.join("\n"), secrets, "the local stack's own lines");
  });

  it("wrote no full phone number and no Lambda context beyond the request id into any log line", () => {
    const lines = output
      .lines()
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(50);
    for (const line of lines) {
      expect(Object.keys(line).slice(0, 3)).toEqual(["level", "message", "timestamp"]);
      for (const key of ["function_arn", "function_name", "function_memory_size", "service"]) {
        expect(line).not.toHaveProperty(key);
      }
    }
    // Every per-webhook line says which invocation wrote it.
    const perWebhook = ["webhook", "reply plan scheduled", "reply sent"];
    const happy = lines.filter((l) => perWebhook.includes(String(l.message)));
    expect(new Set(happy.map((l) => l.message))).toEqual(new Set(perWebhook));
    for (const line of happy) expect(line.requestId).toEqual(expect.any(String));
    const text = output.text();
    for (let i = 0; i < phoneCounter; i++) {
      expect(text).not.toContain(`1415557${String(i).padStart(4, "0")}`);
    }
  });

  it("leaked neither value into any HTTP answer, error message or stack", () => {
    for (const text of seen) expectNoLeak(text, secrets, "an answer or error");
  });

  it("stored neither value in any table (idempotency claims, conversations, reply items)", async () => {
    const ddb = new DynamoDBClient({
      endpoint: pipeline.awsEnv.AWS_ENDPOINT_URL_DYNAMODB,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    try {
      for (const table of Object.values(pipeline.resources.tables)) {
        const items = await ddb.send(new ScanCommand({ TableName: table }));
        expect(items.Count).toBeGreaterThan(0);
        expectNoLeak(JSON.stringify(items.Items), secrets, `table ${table}`);
      }
    } finally {
      ddb.destroy();
    }
  });
});
