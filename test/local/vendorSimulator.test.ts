import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startVendorSimulator,
  VENDOR_CONSOLE_ORIGIN,
  VENDOR_PATHS,
  type VendorSimulator,
} from "../../local/vendorSimulator.js";
import MANAGEMENT from "../fixtures/vendor/management-api.json" with { type: "json" };
import { waitFor } from "../support/queues.js";

const TOKEN = "sim-token";
let sim: VendorSimulator;

beforeAll(async () => {
  sim = await startVendorSimulator({ token: TOKEN });
});
afterAll(async () => {
  await sim.stop();
});
afterEach(() => {
  sim.reset();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

const auth = { authorization: `Bearer ${TOKEN}` };
const consoleHeaders = { ...auth, origin: VENDOR_CONSOLE_ORIGIN };
const sendMessage = (body: unknown, headers: Record<string, string> = auth) =>
  call("POST", VENDOR_PATHS.send, body, headers);
const management = (
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = consoleHeaders,
) => call(method, `${VENDOR_PATHS.management}${path}`, body, headers);
const newWebhook = (overrides: Record<string, unknown> = {}) => ({
  webhooks: "https://example.test/webhooks/whatsapp",
  status: true,
  incoming: true,
  outgoing: false,
  schedule_activity: true,
  waiting_duration: 3600,
  active_signature: true,
  ...overrides,
});

describe("startVendorSimulator", () => {
  it("listens on 127.0.0.1", () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe("vendor simulator send API", () => {
  it("answers 200 and records the message when the call is valid", async () => {
    const res = await sendMessage({ phone: "+14155552671", text: "hello\nthere" });
    expect(res).toMatchObject({ status: 200, body: { message: "Message sent successfully" } });
    expect(sim.sent()).toEqual([
      {
        phone: "+14155552671",
        text: "hello\nthere",
        attachment: null,
        filename: null,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
  });

  it("records attachment and filename when given", async () => {
    await sendMessage({
      phone: "14155552671",
      text: "doc",
      attachment: "https://files.test/a.pdf",
      filename: "a.pdf",
    });
    expect(sim.sent()[0]).toMatchObject({
      phone: "14155552671",
      attachment: "https://files.test/a.pdf",
      filename: "a.pdf",
    });
  });

  it("lists sends in arrival order at GET /_sent without a token", async () => {
    await sendMessage({ phone: "+14155550001", text: "first" });
    await sendMessage({ phone: "+14155550002", text: "second" });
    const res = await call("GET", VENDOR_PATHS.sent);
    expect(res.status).toBe(200);
    expect((res.body as { text: string }[]).map((r) => r.text)).toEqual(["first", "second"]);
    expect(res.body).toEqual(sim.sent());
  });

  it("answers 401 and records nothing when the token is missing or wrong", async () => {
    const missing = await sendMessage({ phone: "+14155552671", text: "x" }, {});
    const wrong = await sendMessage(
      { phone: "+14155552671", text: "x" },
      { authorization: "Bearer nope" },
    );
    expect(missing).toMatchObject({ status: 401, body: { message: "Unauthorized" } });
    expect(wrong.status).toBe(401);
    expect(sim.sent()).toEqual([]);
  });

  it.each([["12345"], ["+1 415 555 2671"], ["abc"], [14155552671]])(
    "answers 400 invalid phone when phone is %j",
    async (phone) => {
      const res = await sendMessage({ phone, text: "x" });
      expect(res).toMatchObject({
        status: 400,
        body: { message: "Message sending failed | Reason: Invalid phone number." },
      });
    },
  );

  it("answers 400 text required when text is missing", async () => {
    const res = await sendMessage({ phone: "+14155552671" });
    expect(res).toMatchObject({
      status: 400,
      body: { message: "Message sending failed | Reason: Text is required." },
    });
  });

  it("answers 400 when the body is not JSON", async () => {
    const res = await sendMessage("{nope");
    expect(res.status).toBe(400);
    expect(sim.sent()).toEqual([]);
  });

  it("answers the message-limit error for a number while its limit is reached", async () => {
    sim.setMessageLimitReached("+14155552671", true);
    const limited = await sendMessage({ phone: "14155552671", text: "x" });
    const other = await sendMessage({ phone: "+14155550000", text: "y" });
    sim.setMessageLimitReached("14155552671", false);
    const again = await sendMessage({ phone: "+14155552671", text: "z" });
    expect(limited).toMatchObject({
      status: 400,
      body: { message: "Message sending failed | Reason: Message limit for this number reached." },
    });
    expect(other.status).toBe(200);
    expect(again.status).toBe(200);
    expect(sim.sent().map((r) => r.text)).toEqual(["y", "z"]);
  });

  it("answers scripted responses in order without recording them, then behaves normally", async () => {
    sim.scriptSendResponses([
      { status: 500, body: { message: "boom" } },
      { status: 429, body: { message: "slow down" } },
    ]);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await sendMessage({ phone: "+14155552671", text: `m${i}` })).status);
    }
    expect(statuses).toEqual([500, 429, 200]);
    expect(sim.sent().map((r) => r.text)).toEqual(["m2"]);
  });

  it("delays a scripted response by delayMs", async () => {
    sim.scriptSendResponses([{ status: 200, body: { message: "late" }, delayMs: 300 }]);
    const aborted = await fetch(`${sim.url}${VENDOR_PATHS.send}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ phone: "+14155552671", text: "x" }),
      signal: AbortSignal.timeout(100),
    }).then(
      () => "answered",
      () => "timed out",
    );
    expect(aborted).toBe("timed out");
  });

  it("records an accepted send answered late, and marks it unanswered when the caller hangs up", async () => {
    sim.scriptSendResponses([{ status: 200, accept: true, delayMs: 60_000 }]);
    const caller = new AbortController();
    const call = fetch(`${sim.url}${VENDOR_PATHS.send}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ phone: "+14155552671", text: "taken" }),
      signal: caller.signal,
    }).catch(() => "hung up");
    // The vendor has the message before it answers; the caller then gives up waiting.
    await waitFor("the recorded send", () => sim.sent().length === 1);
    expect(sim.sent().map((r) => [r.text, r.unanswered])).toEqual([["taken", undefined]]);
    caller.abort();
    expect(await call).toBe("hung up");
    await waitFor("the unanswered mark", () => sim.sent()[0]?.unanswered);
    // A send answered in time is not marked.
    await sendMessage({ phone: "+14155552671", text: "answered" });
    expect(sim.sent()[1]).not.toHaveProperty("unanswered");
  });

  it("counts calls by kind", async () => {
    await sendMessage({ phone: "+14155552671", text: "x" });
    await sendMessage({ phone: "bad", text: "x" });
    await management("GET", "/webhook/dev");
    expect(sim.callCounts()).toEqual({ send: 2, "webhook.list": 1 });
  });
});

describe("vendor simulator webhook management API", () => {
  it("creates a row and returns the one-time 128-byte base64url signature secret", async () => {
    const before = Date.now();
    const res = await management("POST", "/webhook/dev/create", newWebhook());
    const row = res.body as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(row).toMatchObject({
      id: expect.any(Number),
      user_id: expect.any(String),
      webhooks: "https://example.test/webhooks/whatsapp",
      status: true,
      incoming: true,
      outgoing: false,
      schedule_activity: true,
      waiting_duration: 3600,
      active_signature: true,
    });
    expect(row.created_at).toBeGreaterThanOrEqual(before);
    expect(row.signature_secret).toMatch(/^[A-Za-z0-9_-]{171}$/);
    expect(sim.webhooks()[0]?.signature_secret).toBe(row.signature_secret);
  });

  it("issues no signature secret when active_signature is false", async () => {
    const res = await management(
      "POST",
      "/webhook/dev/create",
      newWebhook({ active_signature: false }),
    );
    expect((res.body as { signature_secret: unknown }).signature_secret).toBeNull();
  });

  it("lists rows as a bare array with the signature secret hidden", async () => {
    await management("POST", "/webhook/dev/create", newWebhook());
    const res = await management("GET", "/webhook/dev");
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ ...sim.webhooks()[0], signature_secret: null }]);
  });

  it("lists rows without the fields it was told to omit, as older rows come, until reset", async () => {
    await management("POST", "/webhook/dev/create", newWebhook());
    sim.omitFromList(["active_signature", "outgoing"]);

    const omitted = (await management("GET", "/webhook/dev")).body as Record<string, unknown>[];
    sim.omitFromList([]);
    const full = (await management("GET", "/webhook/dev")).body as Record<string, unknown>[];

    expect(omitted[0]).not.toHaveProperty("active_signature");
    expect(omitted[0]).not.toHaveProperty("outgoing");
    expect(omitted[0]).toHaveProperty("incoming", true);
    expect(full[0]).toHaveProperty("active_signature", true);
  });

  it("answers with the shared vendor fixtures' error bodies", async () => {
    await management("POST", "/webhook/dev/create", newWebhook());
    const duplicate = await management("POST", "/webhook/dev/create", newWebhook());
    const missing = await management("DELETE", "/webhook/dev/999999");
    expect(duplicate).toMatchObject(MANAGEMENT.duplicateUrl);
    expect(missing).toMatchObject(MANAGEMENT.notFound);
  });

  it("answers 400 'Same webhook exist' when the URL is already registered", async () => {
    await management("POST", "/webhook/dev/create", newWebhook());
    const res = await management("POST", "/webhook/dev/create", newWebhook({ status: false }));
    expect(res).toMatchObject({
      status: 400,
      body: { code: "ERROR_CODE_INPUT_ERROR", message: "Same webhook exist" },
    });
    expect(sim.webhooks()).toHaveLength(1);
  });

  it.each([
    ["webhooks", { webhooks: undefined }],
    ["webhooks", { webhooks: "not a url" }],
    ["status", { status: "yes" }],
    ["incoming", { incoming: undefined }],
    ["waiting_duration", { waiting_duration: -1 }],
    ["active_signature", { active_signature: undefined }],
  ])("answers 400 naming %s when it is missing or malformed", async (field, overrides) => {
    const res = await management("POST", "/webhook/dev/create", newWebhook(overrides));
    expect(res.status).toBe(400);
    expect((res.body as { code: string; message: string }).code).toBe("ERROR_CODE_INPUT_ERROR");
    expect((res.body as { message: string }).message).toMatch(new RegExp(`^${field} `));
  });

  it("creates with outgoing false when outgoing is omitted", async () => {
    const res = await management("POST", "/webhook/dev/create", {
      ...newWebhook(),
      outgoing: undefined,
    });
    expect(res.status).toBe(200);
    expect((res.body as { outgoing: boolean }).outgoing).toBe(false);
  });

  it("updates a row from the full record and keeps its issued secret", async () => {
    const created = (await management("POST", "/webhook/dev/create", newWebhook())).body as {
      id: number;
      signature_secret: string;
    };
    const res = await management(
      "PATCH",
      `/webhook/dev/${created.id}`,
      newWebhook({ id: created.id, status: false, waiting_duration: 60 }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: created.id,
      status: false,
      waiting_duration: 60,
      signature_secret: null,
    });
    expect(sim.webhooks()[0]).toMatchObject({
      status: false,
      signature_secret: created.signature_secret,
    });
  });

  it("accepts an update without active_signature, as the vendor's edit step does not take it", async () => {
    const { id } = (await management("POST", "/webhook/dev/create", newWebhook())).body as {
      id: number;
    };
    const res = await management("PATCH", `/webhook/dev/${id}`, {
      ...newWebhook(),
      active_signature: undefined,
    });
    expect(res.status).toBe(200);
    expect(sim.webhooks()[0]?.active_signature).toBe(true);
  });

  it("answers 400 and changes nothing when an update misses a field", async () => {
    const { id } = (await management("POST", "/webhook/dev/create", newWebhook())).body as {
      id: number;
    };
    const res = await management("PATCH", `/webhook/dev/${id}`, {
      webhooks: "https://example.test/other",
      status: false,
    });
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toMatch(/^incoming /);
    expect(sim.webhooks()[0]?.webhooks).toBe("https://example.test/webhooks/whatsapp");
  });

  it("answers 400 'Same webhook exist' when an update takes another row's URL", async () => {
    await management("POST", "/webhook/dev/create", newWebhook());
    const second = (
      await management(
        "POST",
        "/webhook/dev/create",
        newWebhook({ webhooks: "https://example.test/two" }),
      )
    ).body as { id: number };
    const res = await management("PATCH", `/webhook/dev/${second.id}`, newWebhook());
    expect(res).toMatchObject({ status: 400, body: { message: "Same webhook exist" } });
  });

  it("answers 404 for an update or delete of an unknown id", async () => {
    const patch = await management("PATCH", "/webhook/dev/999999", newWebhook());
    const del = await management("DELETE", "/webhook/dev/999999");
    for (const res of [patch, del]) {
      expect(res).toMatchObject({
        status: 404,
        body: { code: "ERROR_CODE_NOT_FOUND", message: "Not Found." },
      });
    }
  });

  it("deletes a row with 200 and an empty body", async () => {
    const { id } = (await management("POST", "/webhook/dev/create", newWebhook())).body as {
      id: number;
    };
    const res = await management("DELETE", `/webhook/dev/${id}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    expect(sim.webhooks()).toEqual([]);
  });

  it("answers 403 access denied when the Origin header is missing or foreign", async () => {
    const missing = await management("GET", "/webhook/dev", undefined, auth);
    const foreign = await management("GET", "/webhook/dev", undefined, {
      ...auth,
      origin: "https://evil.test",
    });
    for (const res of [missing, foreign]) {
      expect(res).toMatchObject({
        status: 403,
        body: { code: "ERROR_CODE_ACCESS_DENIED", message: "Origin not allowed." },
      });
    }
  });

  it("answers 401 when the token is wrong", async () => {
    const res = await management("POST", "/webhook/dev/create", newWebhook(), {
      origin: VENDOR_CONSOLE_ORIGIN,
      authorization: "Bearer wrong",
    });
    expect(res.status).toBe(401);
    expect(sim.webhooks()).toEqual([]);
  });

  it("answers scripted responses in order without changing state", async () => {
    sim.scriptManagementResponses([{ status: 500, body: { message: "flaky" } }]);
    const first = await management("POST", "/webhook/dev/create", newWebhook());
    const second = await management("POST", "/webhook/dev/create", newWebhook());
    expect([first.status, second.status]).toEqual([500, 200]);
    expect(sim.webhooks()).toHaveLength(1);
    expect(sim.callCounts()["webhook.create"]).toBe(2);
  });

  it("reflects out-of-band edits and removals in the API", async () => {
    const { id } = (await management("POST", "/webhook/dev/create", newWebhook())).body as {
      id: number;
    };
    sim.editWebhook(id, { status: false, waiting_duration: 15 });
    expect((await management("GET", "/webhook/dev")).body).toMatchObject([
      { id, status: false, waiting_duration: 15 },
    ]);
    sim.removeWebhook(id);
    expect((await management("GET", "/webhook/dev")).body).toEqual([]);
  });

  it("throws when an out-of-band edit names an unknown id", () => {
    expect(() => sim.editWebhook(424242, { status: false })).toThrow(/424242/);
  });

  it("answers 404 for unknown management routes", async () => {
    const res = await management("GET", "/webhook/nope");
    expect(res.status).toBe(404);
  });
});

describe("vendor simulator without a token", () => {
  it("accepts calls without an Authorization header", async () => {
    const open = await startVendorSimulator();
    try {
      const res = await fetch(`${open.url}${VENDOR_PATHS.send}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phone: "+14155552671", text: "x" }),
      });
      expect(res.status).toBe(200);
      expect(open.sent()).toHaveLength(1);
    } finally {
      await open.stop();
    }
  });
});
