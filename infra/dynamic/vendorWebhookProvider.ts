import type { dynamic } from "@pulumi/pulumi";

/**
 * The Pulumi dynamic provider for one webhook registration at the vendor's management API
 * (research/vendor.md §2): `POST {base}/webhook/dev/create`, `GET {base}/webhook/dev`,
 * `PATCH|DELETE {base}/webhook/dev/{id}`.
 *
 * Pulumi serialises the provider object (and everything it references) into the state, and runs
 * that text in a separate provider process. So this file is deliberately self-contained and a
 * little longer than usual: it imports nothing at run time (only types), uses only globals
 * (fetch, AbortSignal, setTimeout, URL), and keeps no credential in anything it captures. The
 * vendor token arrives at run time through `configure` (stack config) or the environment.
 */

/** Bump when this file changes behaviour: the new value forces an update, which stores the new
 * provider code in state before a later refresh or delete runs it (pulumi/pulumi#6238). */
export const VENDOR_WEBHOOK_PROVIDER_VERSION = "1";

/** Default management API base URL (the "dev" webhook group of the Notifyer console API). */
export const DEFAULT_MANAGEMENT_BASE_URL = "https://api.insightssystem.com/api:qh9OQ3OW";

/** The `waiting_duration` values the vendor dashboard offers (seconds; 15 s to 60 days). */
export const WAITING_DURATION_PRESETS: readonly number[] = [
  15, 30, 60, 1800, 3600, 18000, 36000, 86400, 172800, 259200, 432000, 604800, 1209600, 2592000,
  5184000,
];

/** Stack config keys (project namespace) and environment variables the token is read from. */
export const VENDOR_TOKEN_SOURCES = {
  managementConfigKey: "vendorManagementToken",
  configKey: "vendorToken",
  managementEnv: "WHATSABLE_MANAGEMENT_TOKEN",
  env: "WHATSABLE_VENDOR_TOKEN",
} as const;

/** Checked inputs of a VendorWebhook: every field has its default filled in. */
export interface VendorWebhookInputs {
  /** The HTTPS URL the vendor delivers to (the vendor's `webhooks` field). */
  url: string;
  /** Vendor `status`: deliveries on or off. */
  enabled: boolean;
  /** Deliver messages the customer sends. */
  incoming: boolean;
  /** Deliver messages the business sends. */
  outgoing: boolean;
  scheduleActivity: boolean;
  /** 0 when scheduleActivity is off, else one of WAITING_DURATION_PRESETS. */
  waitingDurationSeconds: number;
  /** Ask the vendor to sign deliveries; it then issues a one-time signing secret at create. */
  activeSignature: boolean;
  /** On create, take over an existing registration with the same URL instead of failing. */
  adopt: boolean;
  managementBaseUrl: string;
  createPath: string;
  listPath: string;
  /** Path of one registration; `{id}` is replaced by the webhook id. */
  itemPath: string;
  /** Authorization header prefix, e.g. "Bearer " (or "" for a raw token). */
  authPrefix: string;
  /** The management API answers 403 unless this Origin header is sent. */
  origin: string;
  requestTimeoutMs: number;
  /** Attempts per call, including the first (retries on 429, 5xx, timeouts). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt (jittered, capped), or the server's Retry-After. */
  retryBaseDelayMs: number;
  providerVersion: string;
}

/** What the state holds: the inputs plus what the vendor assigned. */
export interface VendorWebhookOutputs extends VendorWebhookInputs {
  webhookId: number;
  /** Creation time at the vendor, epoch milliseconds. */
  createdAt: number;
  /** One-time signing secret from create; null when unknown (adopted) or not requested. */
  signingSecret: string | null;
}

/** A VendorWebhook provider with its run-time configuration hook. */
export type VendorWebhookProvider = dynamic.ResourceProvider<
  VendorWebhookInputs,
  VendorWebhookOutputs
> & {
  configure: (req: dynamic.ConfigureRequest) => Promise<void>;
};

/** The engine's placeholder for a value not known during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const DEFAULTS: Omit<VendorWebhookInputs, "url"> = {
  enabled: true,
  incoming: true,
  outgoing: false,
  scheduleActivity: false,
  waitingDurationSeconds: 0,
  activeSignature: true,
  adopt: false,
  managementBaseUrl: DEFAULT_MANAGEMENT_BASE_URL,
  createPath: "/webhook/dev/create",
  listPath: "/webhook/dev",
  itemPath: "/webhook/dev/{id}",
  authPrefix: "Bearer ",
  origin: "https://console.notifyer-systems.com",
  requestTimeoutMs: 10_000,
  maxAttempts: 4,
  retryBaseDelayMs: 500,
  providerVersion: VENDOR_WEBHOOK_PROVIDER_VERSION,
};

/** Fields the vendor stores; a change is an in-place PATCH (of the full record). */
const VENDOR_FIELDS = [
  "url",
  "enabled",
  "incoming",
  "outgoing",
  "scheduleActivity",
  "waitingDurationSeconds",
] as const;

/** Fields that need a new registration: PATCH cannot switch signing, and an id is only
 * meaningful at the API that issued it. */
const REPLACE_FIELDS = ["activeSignature", "managementBaseUrl"] as const;

/** Fields only this provider reads (how to call the API); a change touches the state only. */
const SETTINGS_FIELDS = [
  "adopt",
  "createPath",
  "listPath",
  "itemPath",
  "authPrefix",
  "origin",
  "requestTimeoutMs",
  "maxAttempts",
  "retryBaseDelayMs",
  "providerVersion",
] as const;

/** Creates a provider instance. Each instance keeps the token `configure` gives it to itself. */
export function createVendorWebhookProvider(): VendorWebhookProvider {
  // Filled in the provider process by `configure`; empty when Pulumi serialises the provider
  // in the program process, so no token can reach the state.
  const runtime: { token?: string } = {};
  const token = () => resolveVendorToken(runtime.token);

  return {
    async configure(req) {
      runtime.token =
        req.config.get(VENDOR_TOKEN_SOURCES.managementConfigKey) ??
        req.config.get(VENDOR_TOKEN_SOURCES.configKey);
    },

    async check(_olds, news) {
      return checkVendorWebhookInputs(news as unknown as Record<string, unknown>);
    },

    async diff(_id, olds, news) {
      return diffVendorWebhook(olds, news);
    },

    async create(inputs) {
      const api = vendorApi(inputs, token());
      if (inputs.adopt) {
        const existing = (await api.list()).find((row) => sameUrl(row.url, inputs.url));
        if (existing) {
          if (existing.activeSignature !== inputs.activeSignature) {
            // PATCH cannot switch signing; adopting would leave a registration that differs
            // from its state, and the next `up` would replace it.
            throw new Error(
              `VendorWebhook: cannot adopt registration ${existing.id} for ${inputs.url}: its signing ` +
                `is ${existing.activeSignature ? "on" : "off"}, the configuration wants it ` +
                `${inputs.activeSignature ? "on" : "off"}, and the vendor cannot change that in place. ` +
                "Delete that registration (vendor dashboard) and run `pulumi up` to create a new one, " +
                "or set activeSignature to match.",
            );
          }
          const row = await api.patch(existing.id, inputs);
          return { id: String(row.id), outs: toOutputs(inputs, row, null) };
        }
      }
      const created = await api.create(inputs);
      return { id: String(created.id), outs: toOutputs(inputs, created, created.signingSecret) };
    },

    async read(id, props) {
      if (!props)
        throw new Error(`VendorWebhook read ${id}: no state to read with (import is unsupported)`);
      const live = (await vendorApi(props, token()).list()).find((row) => String(row.id) === id);
      if (!live) return {}; // gone out of band: refresh drops it from state
      const outs = toOutputs({ ...props, ...liveInputs(live) }, live, props.signingSecret ?? null);
      return { id, props: outs, inputs: inputsOf(outs) };
    },

    async update(id, olds, news) {
      const signingSecret = olds.signingSecret ?? null;
      const oldRow = { id: Number(id), createdAt: olds.createdAt };
      if (VENDOR_FIELDS.every((field) => olds[field] === news[field])) {
        return { outs: toOutputs(news, oldRow, signingSecret) };
      }
      const row = await vendorApi(news, token()).patch(Number(id), news);
      return {
        outs: toOutputs(
          news,
          { ...row, createdAt: row.createdAt || olds.createdAt },
          signingSecret,
        ),
      };
    },

    async delete(id, props) {
      await vendorApi(props, token()).remove(Number(id));
    },
  };
}

/** Validates and normalises raw inputs (fills defaults). Unknown preview values pass through. */
export function checkVendorWebhookInputs(
  news: Record<string, unknown>,
): dynamic.CheckResult<VendorWebhookInputs> {
  const failures: dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const inputs = { ...DEFAULTS, providerVersion: DEFAULTS.providerVersion } as Record<
    string,
    unknown
  >;
  for (const [key, value] of Object.entries(news)) {
    if (key !== "__provider" && value !== undefined && value !== null) inputs[key] = value;
  }
  const checked = inputs as unknown as VendorWebhookInputs;

  if (typeof news.url !== "string" || news.url === "") fail("url", "url is required");
  else if (!isUnknown(news.url) && !isHttpsUrl(news.url)) {
    fail("url", `url must be an absolute https:// URL (got "${news.url}")`);
  }
  if (!isUnknown(checked.managementBaseUrl) && !isApiBaseUrl(checked.managementBaseUrl)) {
    fail(
      "managementBaseUrl",
      "managementBaseUrl must be an https:// URL (http only for localhost)",
    );
  }
  for (const key of [
    "enabled",
    "incoming",
    "outgoing",
    "scheduleActivity",
    "activeSignature",
    "adopt",
  ] as const) {
    if (!isUnknown(checked[key]) && typeof checked[key] !== "boolean")
      fail(key, `${key} must be true or false`);
  }
  for (const key of ["createPath", "listPath", "itemPath"] as const) {
    if (typeof checked[key] !== "string" || !checked[key].startsWith("/"))
      fail(key, `${key} must start with "/"`);
  }
  if (typeof checked.itemPath === "string" && !checked.itemPath.includes("{id}")) {
    fail("itemPath", 'itemPath must contain "{id}"');
  }
  for (const key of ["authPrefix", "origin", "providerVersion"] as const) {
    if (typeof checked[key] !== "string") fail(key, `${key} must be a string`);
  }
  const positive: Array<[keyof VendorWebhookInputs, number, number]> = [
    ["requestTimeoutMs", 100, 120_000],
    ["maxAttempts", 1, 10],
    ["retryBaseDelayMs", 0, 60_000],
  ];
  for (const [key, min, max] of positive) {
    const value = checked[key];
    if (
      !isUnknown(value) &&
      (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
    ) {
      fail(key, `${key} must be an integer from ${min} to ${max}`);
    }
  }
  if (!checked.incoming && !checked.outgoing) {
    fail(
      "incoming",
      "at least one of incoming and outgoing must be true, else nothing is delivered",
    );
  }
  const waiting = checked.waitingDurationSeconds;
  if (!isUnknown(waiting) && !isUnknown(checked.scheduleActivity)) {
    if (checked.scheduleActivity === true && !WAITING_DURATION_PRESETS.includes(waiting)) {
      fail(
        "waitingDurationSeconds",
        `waitingDurationSeconds must be one of the vendor presets ${WAITING_DURATION_PRESETS.join(", ")} when scheduleActivity is on (got ${String(waiting)})`,
      );
    }
    if (checked.scheduleActivity === false && waiting !== 0) {
      fail(
        "waitingDurationSeconds",
        `waitingDurationSeconds must be 0 when scheduleActivity is off (got ${String(waiting)})`,
      );
    }
  }
  return { inputs: checked, failures };
}

/** What an `up` does: update in place, replace (delete first when the URL stays, since the
 * vendor rejects a second registration of one URL), or nothing. */
export function diffVendorWebhook(
  olds: VendorWebhookOutputs,
  news: VendorWebhookInputs,
): dynamic.DiffResult {
  const differs = (field: keyof VendorWebhookInputs) => olds[field] !== news[field];
  const replaces = REPLACE_FIELDS.filter(differs);
  const changes = replaces.length > 0 || [...VENDOR_FIELDS, ...SETTINGS_FIELDS].some(differs);
  const urlStays = isUnknown(news.url) || sameUrl(olds.url, news.url);
  return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && urlStays };
}

/** The token for management calls: stack config via `configure`, else the environment. */
function resolveVendorToken(configured: string | undefined): string {
  const token =
    configured ||
    process.env[VENDOR_TOKEN_SOURCES.managementEnv] ||
    process.env[VENDOR_TOKEN_SOURCES.env];
  if (!token) {
    throw new Error(
      `VendorWebhook: no vendor token. Set it with \`pulumi config set --secret ${VENDOR_TOKEN_SOURCES.configKey} <token>\` ` +
        `(or ${VENDOR_TOKEN_SOURCES.managementConfigKey} when the management API needs a different one), ` +
        `or export ${VENDOR_TOKEN_SOURCES.env}.`,
    );
  }
  return token;
}

/** A registration as this provider sees it (camelCase, tolerant of older field names). */
interface VendorRow {
  id: number;
  url: string;
  enabled: boolean;
  incoming: boolean;
  outgoing: boolean;
  scheduleActivity: boolean;
  waitingDurationSeconds: number;
  activeSignature: boolean;
  createdAt: number;
  signingSecret: string | null;
}

function vendorApi(settings: VendorWebhookInputs, token: string) {
  const itemPath = (id: number) =>
    settings.itemPath.replace("{id}", encodeURIComponent(String(id)));
  const list = async (): Promise<VendorRow[]> => {
    const body = await vendorCall(settings, token, "GET", settings.listPath);
    const rows = Array.isArray(body) ? body : (asRecord(body).items ?? asRecord(body).data);
    if (!Array.isArray(rows)) {
      throw new Error(`VendorWebhook: GET ${settings.listPath} did not answer a list`);
    }
    return rows.map(parseRow);
  };
  const create = async (inputs: VendorWebhookInputs): Promise<VendorRow> => {
    try {
      const body = await vendorCall(
        settings,
        token,
        "POST",
        settings.createPath,
        vendorRecord(inputs),
      );
      return parseRow(body);
    } catch (error) {
      if (!isDuplicateUrlError(error)) throw error;
      const existing = await list().then(
        (rows) => rows.find((row) => sameUrl(row.url, inputs.url)),
        () => undefined, // the lookup only improves the message
      );
      throw duplicateUrlError(inputs.url, existing && itemPath(existing.id), error);
    }
  };
  const patch = async (id: number, inputs: VendorWebhookInputs): Promise<VendorRow> => {
    try {
      const body = await vendorCall(settings, token, "PATCH", itemPath(id), vendorRecord(inputs));
      return parseRow({ id, ...asRecord(body) });
    } catch (error) {
      if (statusOf(error) === 404) {
        throw new Error(
          `VendorWebhook: webhook ${id} no longer exists at the vendor (deleted out of band). ` +
            "Run `pulumi refresh` to drop it from the state, then `pulumi up` to register it again.",
          { cause: error },
        );
      }
      if (isDuplicateUrlError(error)) {
        throw new Error(
          `VendorWebhook: cannot move webhook ${id} to ${inputs.url}: the vendor already has another ` +
            'registration for that URL ("Same webhook exist"). Delete that registration in the vendor ' +
            "dashboard (Developer → Incoming Webhooks), or choose another URL, and run `pulumi up` again.",
          { cause: error },
        );
      }
      throw error;
    }
  };
  const remove = async (id: number): Promise<void> => {
    try {
      await vendorCall(settings, token, "DELETE", itemPath(id));
    } catch (error) {
      if (statusOf(error) !== 404) throw error; // 404: already gone, which is what delete wants
    }
  };
  return { list, create, patch, remove };
}

/** The full record the vendor wants on create and on PATCH (PATCH replaces the row). */
function vendorRecord(inputs: VendorWebhookInputs) {
  return {
    webhooks: inputs.url,
    status: inputs.enabled,
    incoming: inputs.incoming,
    outgoing: inputs.outgoing,
    schedule_activity: inputs.scheduleActivity,
    waiting_duration: inputs.scheduleActivity ? inputs.waitingDurationSeconds : 0,
    active_signature: inputs.activeSignature,
  };
}

function parseRow(raw: unknown): VendorRow {
  const row = asRecord(raw);
  const id = Number(row.id);
  if (!Number.isInteger(id))
    throw new Error("VendorWebhook: the vendor answered a webhook without a numeric id");
  const flag = (value: unknown, fallback: boolean) =>
    typeof value === "boolean" ? value : fallback;
  // Older rows carry one is_incoming_outgoing(_enable) flag instead of incoming/outgoing.
  const legacyBoth = row.is_incoming_outgoing_enable ?? row.is_incoming_outgoing;
  return {
    id,
    url: String(row.webhooks ?? row.webhook ?? ""),
    enabled: flag(row.status, true),
    incoming: flag(row.incoming ?? legacyBoth, true),
    outgoing: flag(row.outgoing ?? legacyBoth, false),
    scheduleActivity: flag(row.schedule_activity, false),
    waitingDurationSeconds: Number(row.waiting_duration ?? 0) || 0,
    activeSignature: flag(row.active_signature, false),
    createdAt: Number(row.created_at ?? 0) || 0,
    signingSecret:
      typeof row.signature_secret === "string" && row.signature_secret !== ""
        ? row.signature_secret
        : null,
  };
}

/** Live vendor values in input form (what drift looks like to the next diff). */
function liveInputs(row: VendorRow): Partial<VendorWebhookInputs> {
  return {
    url: row.url,
    enabled: row.enabled,
    incoming: row.incoming,
    outgoing: row.outgoing,
    scheduleActivity: row.scheduleActivity,
    waitingDurationSeconds: row.waitingDurationSeconds,
    activeSignature: row.activeSignature,
  };
}

function toOutputs(
  inputs: VendorWebhookInputs,
  row: { id: number; createdAt: number },
  signingSecret: string | null,
): VendorWebhookOutputs {
  const outs: Record<string, unknown> = {};
  for (const key of [...VENDOR_FIELDS, ...REPLACE_FIELDS, ...SETTINGS_FIELDS])
    outs[key] = inputs[key];
  return {
    ...(outs as unknown as VendorWebhookInputs),
    webhookId: row.id,
    createdAt: row.createdAt,
    signingSecret,
  };
}

function inputsOf(outs: VendorWebhookOutputs): VendorWebhookOutputs {
  const { webhookId: _id, createdAt: _at, signingSecret: _secret, ...inputs } = outs;
  return inputs as VendorWebhookOutputs;
}

/**
 * One management API call with bounded retries: 429, 5xx, timeouts and network errors are
 * retried with jittered exponential backoff (or the server's Retry-After). Errors name the method,
 * path and status and quote only the vendor's `code`/`message`, never headers or bodies.
 */
async function vendorCall(
  settings: VendorWebhookInputs,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = `${settings.managementBaseUrl.replace(/\/+$/, "")}${path}`;
  const headers: Record<string, string> = {
    Authorization: `${settings.authPrefix}${token}`,
    Origin: settings.origin,
    Accept: "application/json",
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const attempts = Math.max(1, settings.maxAttempts);
  let ambiguous = false; // an earlier attempt may have reached the vendor
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(settings.requestTimeoutMs),
      });
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      const what = timedOut
        ? `timed out after ${settings.requestTimeoutMs} ms`
        : `failed (${describeNetworkError(error)})`;
      if (attempt >= attempts) {
        throw callError(
          `VendorWebhook: ${method} ${path} ${what}, ${attempts} attempt(s)`,
          0,
          ambiguous || timedOut,
        );
      }
      ambiguous = true;
      await sleep(backoffMs(settings.retryBaseDelayMs, attempt, null));
      continue;
    }
    const text = await response.text();
    if (response.ok) return text.trim() === "" ? {} : parseJson(text);
    const retryable = response.status === 429 || response.status >= 500;
    if (retryable && attempt < attempts) {
      ambiguous ||= response.status >= 500;
      await sleep(
        backoffMs(settings.retryBaseDelayMs, attempt, response.headers.get("retry-after")),
      );
      continue;
    }
    const vendor = vendorMessage(parseJson(text), token);
    const tries = retryable ? `, ${attempt} attempt(s)` : "";
    throw callError(
      `VendorWebhook: ${method} ${path} answered ${response.status}${vendor ? ` ${vendor}` : ""}${tries}`,
      response.status,
      ambiguous,
      vendor,
    );
  }
}

function callError(message: string, status: number, ambiguous: boolean, vendor = "") {
  return Object.assign(new Error(message), { status, ambiguous, vendorMessage: vendor });
}

function statusOf(error: unknown): number | undefined {
  return (error as { status?: number } | undefined)?.status;
}

function isDuplicateUrlError(error: unknown): boolean {
  const { status, vendorMessage } = (error ?? {}) as { status?: number; vendorMessage?: string };
  return status === 400 && /same webhook exist/i.test(vendorMessage ?? "");
}

function duplicateUrlError(url: string, existingPath: string | undefined, cause: unknown): Error {
  const which = existingPath === undefined ? "a registration" : `a registration (${existingPath})`;
  const earlier = (cause as { ambiguous?: boolean }).ambiguous
    ? " An earlier attempt of this call failed without a clear answer and may have created it."
    : "";
  const deleteIt = existingPath === undefined ? "" : ` or with DELETE ${existingPath}`;
  return new Error(
    `VendorWebhook: the vendor already has ${which} for ${url} ("Same webhook exist").${earlier} ` +
      "Way out: adopt it (stack config `webhookAdopt: true`, i.e. `adopt: true` on the VendorWebhook, then " +
      "`pulumi up`; its signing secret cannot be recovered, so rotate to a new generation afterwards), " +
      `or delete it in the vendor dashboard (Developer → Incoming Webhooks)${deleteIt} and run \`pulumi up\` again.`,
    { cause },
  );
}

/**
 * The vendor's own words from an error body (`{code, message}`, `{message}` or `{error:{…}}`),
 * with the token cut out should the vendor echo it.
 */
function vendorMessage(body: unknown, token: string): string {
  const record = asRecord(body);
  const inner = asRecord(record.error);
  const code = record.code ?? inner.code;
  const message =
    record.message ??
    inner.message ??
    (typeof record.error === "string" ? record.error : undefined);
  const parts = [code, message].filter(
    (part) => typeof part === "string" && part !== "",
  ) as string[];
  if (parts.length === 2) parts[1] = JSON.stringify(parts[1]);
  const text = parts.join(" ");
  return (token ? text.split(token).join("[redacted]") : text).slice(0, 300);
}

function backoffMs(baseMs: number, attempt: number, retryAfter: string | null): number {
  const capMs = 30_000;
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, capMs);
  }
  const exponential = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return exponential / 2 + Math.random() * (exponential / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code ?? (error instanceof Error ? error.message : "network error");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

function isApiBaseUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    return url.protocol === "https:" || (url.protocol === "http:" && loopback);
  } catch {
    return false;
  }
}
