import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import MANAGEMENT from "../test/fixtures/vendor/management-api.json" with { type: "json" };
import SEND from "../test/fixtures/vendor/send-api.json" with { type: "json" };

/**
 * A local stand-in for the WhatsAble/Notifyer vendor (docs/vendor.md): the legacy Notifier send
 * API ("Send API") and the Notifyer webhook management API ("Management API"), with hooks for
 * tests to script failures, flip the per-number message limit, edit registrations out of band and
 * serve the list as older rows look. Its answers are the vendor fixtures in test/fixtures/vendor/
 * (send-api.json, management-api.json), which the adapter and provider tests use too.
 * Hand-written on node:http: it is a fake of one vendor's undocumented API, no library models it.
 */

/** One successful send, as `GET /_sent` lists it. */
export interface SentRecord {
  phone: string;
  text: string;
  attachment: string | null;
  filename: string | null;
  /** ISO time the simulator received the call. */
  at: string;
  /**
   * Present when the caller hung up (its timeout) before the simulator's answer went out: the
   * vendor has the message and the sender does not know it, so the sender's retry sends it again
   * (docs/reliability.md, promise 8a).
   */
  unanswered?: true;
}

/** A canned answer for the next call (status, optional JSON body, optional delay before answering). */
interface ScriptedResponse {
  status: number;
  body?: unknown;
  delayMs?: number;
  /**
   * Handle the call as usual instead (the message is recorded and answered as usual, `status` and
   * `body` unused), only `delayMs` late: a vendor that took the message but answered slowly.
   */
  accept?: boolean;
}

/** A row of the vendor's "dev" webhook table, as its management API returns it. */
interface VendorWebhookRow {
  id: number;
  created_at: number;
  user_id: string;
  webhooks: string;
  status: boolean;
  incoming: boolean;
  outgoing: boolean;
  schedule_activity: boolean;
  waiting_duration: number;
  active_signature: boolean;
  signature_secret: string | null;
}

export interface VendorSimulatorOptions {
  /** Port on 127.0.0.1; default 0 = any free port. */
  port?: number;
  /** When set, every API call must carry `Authorization: ${authPrefix}${token}`, else 401. */
  token?: string;
  /** Default "Bearer ". */
  authPrefix?: string;
}

export interface VendorSimulator {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Successful sends in arrival order (same as GET /_sent). */
  sent(): SentRecord[];
  /**
   * The next send calls answer these responses in order (nothing recorded for them, except for
   * an `accept` response).
   */
  scriptSendResponses(responses: ScriptedResponse[]): void;
  /** Sends to this phone answer the vendor's message-limit error while `reached` is true. */
  setMessageLimitReached(phone: string, reached: boolean): void;
  /** The next management-API calls answer these responses in order (no state change for them). */
  scriptManagementResponses(responses: ScriptedResponse[]): void;
  /** Current registrations (with signature_secret as issued). */
  webhooks(): VendorWebhookRow[];
  /** Out-of-band edits, as a user clicking in the vendor dashboard (drift tests). */
  editWebhook(id: number, patch: Partial<VendorWebhookRow>): void;
  /**
   * The list (GET /webhook/dev) leaves these fields out of every row from now on, as it does for
   * older rows (management-api.json `legacyListRow` has no `active_signature`); `[]` lists all.
   */
  omitFromList(fields: (keyof VendorWebhookRow)[]): void;
  removeWebhook(id: number): void;
  /** Counters of calls received, e.g. { send: 3, "webhook.create": 1 } (benchmarks). */
  callCounts(): Record<string, number>;
  /** Forgets sends, webhooks, scripts, message limits and counters. */
  reset(): void;
  stop(): Promise<void>;
}

/** Paths of the two vendor API groups the project talks to. */
export const VENDOR_PATHS = {
  send: "/api:-GWQv5aM/send",
  management: "/api:qh9OQ3OW",
  sent: "/_sent",
} as const;

/** The Origin the vendor's management API insists on (its CORS check). */
export const VENDOR_CONSOLE_ORIGIN = "https://console.notifyer-systems.com";

const MAX_REQUEST_BYTES = 1024 * 1024;

/** Fields a webhook row is created from; `outgoing` is optional on create, as the docs say. */
const BOOLEAN_FIELDS = [
  "status",
  "incoming",
  "outgoing",
  "schedule_activity",
  "active_signature",
] as const;

type RowFields = Omit<VendorWebhookRow, "id" | "created_at" | "user_id" | "signature_secret">;
/** A validated create/update body; `active_signature` may be absent on update only. */
type RowInput = Omit<RowFields, "active_signature"> & { active_signature?: boolean };

/** A reply the router decided on. `body: undefined` means an empty body. */
interface Reply {
  status: number;
  body?: unknown;
  delayMs?: number;
}

class InputError extends Error {}

const json = (status: number, body: unknown): Reply => ({ status, body });
const inputError = (message: string): Reply =>
  json(400, { code: MANAGEMENT.duplicateUrl.body.code, message });
/** A fixture's answer (status and body) as the simulator's reply. */
const fixture = (reply: { status: number; body?: unknown }): Reply =>
  json(reply.status, reply.body);

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * Validates a create/update body. PATCH needs the full record (the vendor's "Add Or Edit Record"
 * step), except `active_signature`, which that step does not take; create may omit `outgoing`
 * (optional in the vendor docs, defaults to false).
 */
function readRowInput(body: unknown, mode: "create" | "update"): RowInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InputError("body must be a JSON object");
  }
  const input = body as Record<string, unknown>;
  const webhooks = input.webhooks;
  if (webhooks === undefined || webhooks === null || webhooks === "") {
    throw new InputError("webhooks is required");
  }
  if (typeof webhooks !== "string" || !isHttpUrl(webhooks)) {
    throw new InputError("webhooks must be an http(s) URL");
  }
  const flags: Record<string, boolean> = {};
  for (const field of BOOLEAN_FIELDS) {
    const value = input[field];
    const optional =
      (mode === "create" && field === "outgoing") ||
      (mode === "update" && field === "active_signature");
    if (value === undefined && optional) continue;
    if (value === undefined) throw new InputError(`${field} is required`);
    if (typeof value !== "boolean") throw new InputError(`${field} must be a boolean`);
    flags[field] = value;
  }
  const waiting = input.waiting_duration;
  if (waiting === undefined) throw new InputError("waiting_duration is required");
  if (typeof waiting !== "number" || !Number.isInteger(waiting) || waiting < 0) {
    throw new InputError("waiting_duration must be a whole number of seconds");
  }
  return {
    webhooks,
    status: flags.status as boolean,
    incoming: flags.incoming as boolean,
    outgoing: flags.outgoing ?? false,
    schedule_activity: flags.schedule_activity as boolean,
    waiting_duration: waiting,
    active_signature: flags.active_signature,
  };
}

/** Reads the request body; null when it is larger than the simulator accepts. */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) tooLarge = true;
    if (!tooLarge) chunks.push(chunk as Buffer);
  }
  return tooLarge ? null : Buffer.concat(chunks);
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new InputError("body is not valid JSON");
  }
}

const digitsOf = (phone: string) => phone.replace(/\D/g, "");

/** Starts the simulator on 127.0.0.1. */
export async function startVendorSimulator(
  options: VendorSimulatorOptions = {},
): Promise<VendorSimulator> {
  const authPrefix = options.authPrefix ?? "Bearer ";
  const userId = randomUUID();
  let sent: SentRecord[] = [];
  let rows = new Map<number, VendorWebhookRow>();
  let nextId = 1201;
  let sendScript: ScriptedResponse[] = [];
  let managementScript: ScriptedResponse[] = [];
  let limitedPhones = new Set<string>();
  let counts: Record<string, number> = {};
  let omitted = new Set<string>();
  const pendingTimers = new Set<NodeJS.Timeout>();
  /** The send each request recorded, to note a caller that hangs up before the answer. */
  const recorded = new WeakMap<IncomingMessage, SentRecord>();

  const count = (name: string) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  const authorized = (req: IncomingMessage) =>
    options.token === undefined || req.headers.authorization === `${authPrefix}${options.token}`;
  const publicRow = (row: VendorWebhookRow): VendorWebhookRow => ({
    ...row,
    signature_secret: null,
  });
  const listedRow = (row: VendorWebhookRow) =>
    Object.fromEntries(Object.entries(publicRow(row)).filter(([key]) => !omitted.has(key)));
  const urlTaken = (url: string, exceptId?: number) =>
    [...rows.values()].some((row) => row.webhooks === url && row.id !== exceptId);

  const send = (req: IncomingMessage, raw: Buffer | null): Reply => {
    count("send");
    const scripted = sendScript.shift();
    if (scripted?.accept) return { ...acceptSend(req, raw), delayMs: scripted.delayMs };
    if (scripted) return scripted;
    return acceptSend(req, raw);
  };

  const acceptSend = (req: IncomingMessage, raw: Buffer | null): Reply => {
    if (!authorized(req)) return fixture(SEND.unauthorized);
    if (raw === null) return fixture(SEND.tooLarge);
    let body: unknown;
    try {
      body = parseJson(raw);
    } catch {
      return fixture(SEND.invalidJson);
    }
    const input = (typeof body === "object" && body !== null ? body : {}) as Record<
      string,
      unknown
    >;
    const { phone, text, attachment, filename } = input;
    if (typeof phone !== "string" || !/^\+?\d{7,15}$/.test(phone)) {
      return fixture(SEND.invalidNumber);
    }
    if (typeof text !== "string" || text.length === 0) return fixture(SEND.textRequired);
    if (limitedPhones.has(digitsOf(phone))) return fixture(SEND.messageLimit);
    const record: SentRecord = {
      phone,
      text,
      attachment: typeof attachment === "string" && attachment ? attachment : null,
      filename: typeof filename === "string" && filename ? filename : null,
      at: new Date().toISOString(),
    };
    sent.push(record);
    recorded.set(req, record);
    return fixture(SEND.sent);
  };

  const manage = (req: IncomingMessage, route: string, raw: Buffer | null): Reply => {
    const method = req.method ?? "GET";
    const idMatch = /^\/webhook\/dev\/(\d+)$/.exec(route);
    const operation =
      method === "POST" && route === "/webhook/dev/create"
        ? "webhook.create"
        : method === "GET" && route === "/webhook/dev"
          ? "webhook.list"
          : method === "PATCH" && idMatch
            ? "webhook.update"
            : method === "DELETE" && idMatch
              ? "webhook.delete"
              : undefined;
    if (!operation) {
      count("management.unknown");
      return fixture(MANAGEMENT.unknownRoute);
    }
    count(operation);
    const scripted = managementScript.shift();
    if (scripted) return scripted;
    if (!authorized(req)) return fixture(MANAGEMENT.unauthorized);
    if (req.headers.origin !== VENDOR_CONSOLE_ORIGIN) return fixture(MANAGEMENT.originDenied);
    if (raw === null) return inputError("body is too large");
    try {
      const id = idMatch ? Number(idMatch[1]) : undefined;
      switch (operation) {
        case "webhook.list":
          return json(200, [...rows.values()].map(listedRow));
        case "webhook.create": {
          const input = readRowInput(parseJson(raw), "create");
          if (urlTaken(input.webhooks)) return fixture(MANAGEMENT.duplicateUrl);
          const activeSignature = input.active_signature === true;
          const row: VendorWebhookRow = {
            id: nextId++,
            created_at: Date.now(),
            user_id: userId,
            ...input,
            active_signature: activeSignature,
            // 128 random bytes, base64url: the size of the vendor's documented example value.
            signature_secret: activeSignature ? randomBytes(128).toString("base64url") : null,
          };
          rows.set(row.id, row);
          return json(200, { ...row });
        }
        case "webhook.update": {
          const row = id === undefined ? undefined : rows.get(id);
          if (!row) return fixture(MANAGEMENT.notFound);
          const input = readRowInput(parseJson(raw), "update");
          if (urlTaken(input.webhooks, row.id)) return fixture(MANAGEMENT.duplicateUrl);
          Object.assign(row, input, {
            active_signature: input.active_signature ?? row.active_signature,
          });
          return json(200, publicRow(row));
        }
        case "webhook.delete": {
          if (id === undefined || !rows.delete(id)) return fixture(MANAGEMENT.notFound);
          return fixture(MANAGEMENT.deleted);
        }
      }
    } catch (err) {
      if (err instanceof InputError) return inputError(err.message);
      throw err;
    }
    return fixture(MANAGEMENT.notFound);
  };

  const route = (req: IncomingMessage, raw: Buffer | null): Reply => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === VENDOR_PATHS.send && req.method === "POST") return send(req, raw);
    if (path === VENDOR_PATHS.sent && req.method === "GET") return json(200, sent);
    if (path.startsWith(`${VENDOR_PATHS.management}/`)) {
      return manage(req, path.slice(VENDOR_PATHS.management.length), raw);
    }
    return json(404, { message: "Not Found" });
  };

  const write = (res: ServerResponse, reply: Reply) => {
    if (res.destroyed) return;
    if (reply.body === undefined) {
      res.writeHead(reply.status, { "content-length": 0 });
      res.end();
      return;
    }
    const payload = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(payload),
    });
    res.end(payload);
  };

  const server = createServer((req, res) => {
    readBody(req)
      .then((raw) => {
        const reply = route(req, raw);
        const record = recorded.get(req);
        // The caller may have hung up already, while its request was still being read.
        if (record && (res.destroyed || req.socket.destroyed)) record.unanswered = true;
        res.once("close", () => {
          if (record && !res.writableFinished) record.unanswered = true;
        });
        if (!reply.delayMs) return write(res, reply);
        const timer = setTimeout(() => {
          pendingTimers.delete(timer);
          write(res, reply);
        }, reply.delayMs);
        pendingTimers.add(timer);
      })
      .catch(() => write(res, json(500, { message: "Internal Server Error" })));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const requireRow = (id: number) => {
    const row = rows.get(id);
    if (!row) throw new Error(`vendor simulator: no webhook with id ${id}`);
    return row;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    sent: () => sent.map((record) => ({ ...record })),
    scriptSendResponses: (responses) => {
      sendScript.push(...responses);
    },
    setMessageLimitReached: (phone, reached) => {
      if (reached) limitedPhones.add(digitsOf(phone));
      else limitedPhones.delete(digitsOf(phone));
    },
    scriptManagementResponses: (responses) => {
      managementScript.push(...responses);
    },
    webhooks: () => [...rows.values()].map((row) => ({ ...row })),
    editWebhook: (id, patch) => {
      Object.assign(requireRow(id), patch, { id });
    },
    omitFromList: (fields) => {
      omitted = new Set(fields);
    },
    removeWebhook: (id) => {
      requireRow(id);
      rows.delete(id);
    },
    callCounts: () => ({ ...counts }),
    reset: () => {
      sent = [];
      rows = new Map();
      sendScript = [];
      managementScript = [];
      limitedPhones = new Set();
      counts = {};
      omitted = new Set();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        pendingTimers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
