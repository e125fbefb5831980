import type { dynamic } from "@pulumi/pulumi";

/**
 * The Pulumi dynamic provider for one webhook registration at the vendor's management API
 * (docs/vendor.md, "Management API"): `POST {base}/webhook/dev/create`, `GET {base}/webhook/dev`,
 * `PATCH|DELETE {base}/webhook/dev/{id}`.
 *
 * Pulumi serialises the provider object (and everything it references) into the state, and runs
 * that text in a separate provider process. So this file is deliberately self-contained and a
 * little longer than usual: it imports nothing at run time (only types), uses only globals
 * (fetch, AbortSignal, setTimeout, URL), and keeps no credential in anything it captures. The
 * vendor token arrives at run time through `configure` (stack config) or the environment.
 */

/** Bump when this file changes behaviour: the new value forces an update, which stores the new
 * provider code in state before a later refresh or delete runs it (a refresh or delete runs the
 * provider text stored with the resource, not the program's). 2: the inputs are only what the
 * registration is; a field the vendor's list omits keeps its state value on refresh. */
export const VENDOR_WEBHOOK_PROVIDER_VERSION = "2";

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

/** Stack config key of the management API's Authorization prefix ("Bearer ", or "" for a raw
 * token); read by `configure`, so it is provider configuration, not resource state. */
const MANAGEMENT_AUTH_PREFIX_CONFIG_KEY = "managementAuthPrefix";

/** How the management API is called (docs/vendor.md, "Management API"). The same for every
 * registration, so constants of the provider rather than inputs of the resource. */
export const MANAGEMENT_API = {
  createPath: "/webhook/dev/create",
  listPath: "/webhook/dev",
  itemPath: (id: number) => `/webhook/dev/${encodeURIComponent(String(id))}`,
  defaultAuthPrefix: "Bearer ",
  /** The management API answers 403 unless this Origin header is sent. */
  origin: "https://console.notifyer-systems.com",
} as const;

/** Timeouts and retries of management calls: provider options, never resource state. */
export interface VendorWebhookTuning {
  requestTimeoutMs: number;
  /** Attempts per call, including the first (retries on 429, 5xx, timeouts). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt (jittered, capped), or the server's Retry-After. */
  retryBaseDelayMs: number;
}

const DEFAULT_TUNING: VendorWebhookTuning = {
  requestTimeoutMs: 10_000,
  maxAttempts: 4,
  retryBaseDelayMs: 500,
};

/**
 * Checked inputs of a VendorWebhook: what the registration is (the vendor's record), where it
 * lives (managementBaseUrl) and whether create may adopt an existing one. Every field has its
 * default filled in.
 */
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
  /** The management API that holds the registration (its id means something only there). */
  managementBaseUrl: string;
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

/** Fields the vendor does not store; a change touches the state only. */
const STATE_ONLY_FIELDS = ["adopt", "providerVersion"] as const;

/** Every input field; anything else given to a VendorWebhook is refused by check. */
const INPUT_FIELDS: readonly string[] = [...VENDOR_FIELDS, ...REPLACE_FIELDS, ...STATE_ONLY_FIELDS];

/**
 * Creates a provider instance. Each instance keeps the token and auth prefix `configure` gives it
 * to itself; `tuning` (timeouts, retries) is fixed when it is created, so tests can shorten it.
 */
export function createVendorWebhookProvider(
  tuning: Partial<VendorWebhookTuning> = {},
): VendorWebhookProvider {
  // Filled in the provider process by `configure`; empty when Pulumi serialises the provider
  // in the program process, so no token can reach the state.
  const runtime: { token?: string; authPrefix?: string } = {};
  const settings = { ...DEFAULT_TUNING, ...tuning };
  const api = (inputs: Pick<VendorWebhookInputs, "managementBaseUrl">) =>
    vendorApi({
      ...settings,
      managementBaseUrl: inputs.managementBaseUrl,
      authPrefix: runtime.authPrefix ?? MANAGEMENT_API.defaultAuthPrefix,
      token: resolveVendorToken(runtime.token),
    });

  return {
    async configure(req) {
      runtime.token =
        req.config.get(VENDOR_TOKEN_SOURCES.managementConfigKey) ??
        req.config.get(VENDOR_TOKEN_SOURCES.configKey);
      runtime.authPrefix = req.config.get(MANAGEMENT_AUTH_PREFIX_CONFIG_KEY);
    },

    async check(_olds, news) {
      return checkVendorWebhookInputs(news as unknown as Record<string, unknown>);
    },

    async diff(_id, olds, news) {
      return diffVendorWebhook(olds, news);
    },

    async create(inputs) {
      const vendor = api(inputs);
      if (inputs.adopt) {
        const existing = (await vendor.list()).find(
          (row) => row.url !== undefined && sameUrl(row.url, inputs.url),
        );
        if (existing) {
          // A row that does not say whether it signs cannot be checked here; the inputs decide.
          if (
            existing.activeSignature !== undefined &&
            existing.activeSignature !== inputs.activeSignature
          ) {
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
          const row = await vendor.patch(existing.id, inputs);
          return {
            id: String(row.id),
            outs: toOutputs(inputs, { id: row.id, createdAt: existing.createdAt ?? 0 }, null),
          };
        }
      }
      const created = await vendor.create(inputs);
      return {
        id: String(created.id),
        outs: toOutputs(
          inputs,
          { id: created.id, createdAt: created.createdAt ?? 0 },
          created.signingSecret ?? null,
        ),
      };
    },

    async read(id, props) {
      if (!props)
        throw new Error(`VendorWebhook read ${id}: no state to read with (import is unsupported)`);
      // The state may come from an older provider version: fill what it lacks from the defaults.
      const state = { ...DEFAULTS, ...props } as VendorWebhookOutputs;
      const live = (await api(state).list()).find((row) => String(row.id) === id);
      if (!live) return {}; // gone out of band: refresh drops it from state
      // Only what the vendor reported overrides the state: a field its list omits (older rows
      // lack some) keeps the state's value, so a refresh never invents drift, least of all in
      // activeSignature, which would replace the registration and rotate its secret.
      const outs = toOutputs(
        { ...state, ...liveInputs(live) },
        { id: Number(id), createdAt: live.createdAt ?? state.createdAt },
        state.signingSecret ?? null,
      );
      return { id, props: outs, inputs: inputsOf(outs) };
    },

    async update(id, olds, news) {
      const signingSecret = olds.signingSecret ?? null;
      const oldRow = { id: Number(id), createdAt: olds.createdAt };
      if (VENDOR_FIELDS.every((field) => olds[field] === news[field])) {
        return { outs: toOutputs(news, oldRow, signingSecret) };
      }
      await api(news).patch(Number(id), news);
      return { outs: toOutputs(news, oldRow, signingSecret) };
    },

    async delete(id, props) {
      await api({ ...DEFAULTS, ...props }).remove(Number(id));
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
    // __provider is the engine's copy of the serialised provider, not an input.
    if (key === "__provider" || value === undefined || value === null) continue;
    if (!INPUT_FIELDS.includes(key)) {
      fail(key, `${key} is not an input of a VendorWebhook (inputs: ${INPUT_FIELDS.join(", ")})`);
      continue;
    }
    inputs[key] = value;
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
  if (typeof checked.providerVersion !== "string") {
    fail("providerVersion", "providerVersion must be a string");
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
  const changes = replaces.length > 0 || [...VENDOR_FIELDS, ...STATE_ONLY_FIELDS].some(differs);
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

/**
 * A registration as this provider sees it (camelCase, tolerant of older field names). A field the
 * vendor did not send (or sent with another type) is undefined, never a guessed default: the list
 * response of older rows lacks some (docs/vendor.md, "Management API").
 */
interface VendorRow {
  id: number;
  url?: string;
  enabled?: boolean;
  incoming?: boolean;
  outgoing?: boolean;
  scheduleActivity?: boolean;
  waitingDurationSeconds?: number;
  activeSignature?: boolean;
  createdAt?: number;
  signingSecret?: string;
}

/** How to reach the management API: the registration's base URL plus provider settings. */
interface CallSettings extends VendorWebhookTuning {
  managementBaseUrl: string;
  authPrefix: string;
  token: string;
}

function vendorApi(settings: CallSettings) {
  const { createPath, listPath, itemPath } = MANAGEMENT_API;
  const list = async (): Promise<VendorRow[]> => {
    const body = await vendorCall(settings, "GET", listPath);
    const rows = Array.isArray(body) ? body : (asRecord(body).items ?? asRecord(body).data);
    if (!Array.isArray(rows)) {
      throw new Error(`VendorWebhook: GET ${listPath} did not answer a list`);
    }
    return rows.map(parseRow);
  };
  const create = async (inputs: VendorWebhookInputs): Promise<VendorRow> => {
    try {
      return parseRow(await vendorCall(settings, "POST", createPath, vendorRecord(inputs)));
    } catch (error) {
      if (!isDuplicateUrlError(error)) throw error;
      const existing = await list().then(
        (rows) => rows.find((row) => row.url !== undefined && sameUrl(row.url, inputs.url)),
        () => undefined, // the lookup only improves the message
      );
      throw duplicateUrlError(inputs.url, existing && itemPath(existing.id), error);
    }
  };
  const patch = async (id: number, inputs: VendorWebhookInputs): Promise<VendorRow> => {
    try {
      const body = await vendorCall(settings, "PATCH", itemPath(id), vendorRecord(inputs));
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
      await vendorCall(settings, "DELETE", itemPath(id));
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
  const flag = (value: unknown) => (typeof value === "boolean" ? value : undefined);
  const number = (value: unknown) => {
    const parsed = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    return typeof parsed === "number" && Number.isFinite(parsed) ? parsed : undefined;
  };
  const url = row.webhooks ?? row.webhook;
  // Older rows carry one is_incoming_outgoing(_enable) flag instead of incoming/outgoing.
  const legacyBoth = row.is_incoming_outgoing_enable ?? row.is_incoming_outgoing;
  const secret = row.signature_secret;
  return {
    id,
    url: typeof url === "string" && url !== "" ? url : undefined,
    enabled: flag(row.status),
    incoming: flag(row.incoming ?? legacyBoth),
    outgoing: flag(row.outgoing ?? legacyBoth),
    scheduleActivity: flag(row.schedule_activity),
    waitingDurationSeconds: number(row.waiting_duration),
    activeSignature: flag(row.active_signature),
    createdAt: number(row.created_at),
    signingSecret: typeof secret === "string" && secret !== "" ? secret : undefined,
  };
}

/** Live vendor values in input form (what drift looks like to the next diff): only the fields
 * the vendor reported. */
function liveInputs(row: VendorRow): Partial<VendorWebhookInputs> {
  const live: Partial<VendorWebhookInputs> = {
    url: row.url,
    enabled: row.enabled,
    incoming: row.incoming,
    outgoing: row.outgoing,
    scheduleActivity: row.scheduleActivity,
    waitingDurationSeconds: row.waitingDurationSeconds,
    activeSignature: row.activeSignature,
  };
  return Object.fromEntries(Object.entries(live).filter(([, value]) => value !== undefined));
}

function toOutputs(
  inputs: VendorWebhookInputs,
  row: { id: number; createdAt: number },
  signingSecret: string | null,
): VendorWebhookOutputs {
  const outs: Record<string, unknown> = {};
  for (const key of INPUT_FIELDS) outs[key] = inputs[key as keyof VendorWebhookInputs];
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
  settings: CallSettings,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = `${settings.managementBaseUrl.replace(/\/+$/, "")}${path}`;
  const headers: Record<string, string> = {
    Authorization: `${settings.authPrefix}${settings.token}`,
    Origin: MANAGEMENT_API.origin,
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
      // Not `||=`: a host without its own typescript serializes this provider with the
      // TypeScript 3.8 @pulumi/pulumi vendors, which cannot parse logical assignment.
      ambiguous = ambiguous || response.status >= 500;
      await sleep(
        backoffMs(settings.retryBaseDelayMs, attempt, response.headers.get("retry-after")),
      );
      continue;
    }
    const vendor = vendorMessage(parseJson(text), settings.token);
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
