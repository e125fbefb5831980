import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { z } from "zod";
import { messageOf, OpsError } from "./errors.js";
import type { StackOutputs } from "./outputs.js";

/**
 * The webhook registrations as the vendor reports them: its management API's list call, with the
 * token read from Secrets Manager. The token never leaves this module: not in a result, not in
 * an error message (errors name the status and the vendor's own message only).
 */

/** The vendor's 10 s is its own delivery limit; a list call that takes longer is not coming. */
const LIST_TIMEOUT_MS = 10_000;

const rowSchema = z.looseObject({
  id: z.coerce.number(),
  webhooks: z.string(),
  status: z.boolean(),
  incoming: z.optional(z.boolean()),
  outgoing: z.optional(z.boolean()),
  active_signature: z.optional(z.boolean()),
});

export interface Registration {
  generation: string | null;
  id: number;
  /** Whether the row exists at the vendor at all. */
  found: boolean;
  enabled: boolean | null;
  url: string | null;
  signature: boolean | null;
  incoming: boolean | null;
  outgoing: boolean | null;
  /** The URL points at this stack's endpoint. */
  pointsAtStack: boolean | null;
}

type Needed = Required<
  Pick<StackOutputs, "endpointUrl" | "webhookIds" | "secretArns" | "vendorManagement">
>;

export async function listRegistrations(
  outputs: Needed,
  secretsManager: SecretsManagerClient,
): Promise<Registration[]> {
  const { vendorManagement: api, secretArns } = outputs;
  const secretId = secretArns.managementToken ?? secretArns.vendorToken;
  let token: string | undefined;
  try {
    token = (await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })))
      .SecretString;
  } catch (error) {
    throw new OpsError(`cannot read the vendor token (${secretId}): ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (!token) throw new OpsError(`the vendor token secret ${secretId} has no string value`);

  const url = `${api.baseUrl.replace(/\/+$/, "")}${api.listPath}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `${api.authPrefix}${token}`, origin: api.origin },
      signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new OpsError(`vendor management API ${url}: ${messageOf(error)}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = "";
    try {
      const body = JSON.parse(text) as { message?: unknown };
      // The vendor's own words, cut short, and without the token should it ever echo it.
      if (typeof body.message === "string") {
        detail = ` "${body.message.slice(0, 200).replaceAll(token, "[token]")}"`;
      }
    } catch {}
    const hint = response.status === 401 ? " (wrong token for the management API?)" : "";
    throw new OpsError(`vendor management API answered ${response.status}${detail}${hint}`);
  }
  let rows: z.infer<typeof rowSchema>[];
  try {
    rows = z.array(rowSchema).parse(JSON.parse(text));
  } catch (error) {
    throw new OpsError("vendor management API: the list is not the expected JSON array", {
      cause: error,
    });
  }

  const pointsAtStack = (rowUrl: string) => rowUrl.startsWith(outputs.endpointUrl);
  const expected = Object.entries(outputs.webhookIds).sort(([a], [b]) => Number(b) - Number(a));
  const registrations: Registration[] = expected.map(([generation, id]) => {
    const row = rows.find((r) => r.id === id);
    return {
      generation,
      id,
      found: row !== undefined,
      enabled: row?.status ?? null,
      url: row?.webhooks ?? null,
      signature: row?.active_signature ?? null,
      incoming: row?.incoming ?? null,
      outgoing: row?.outgoing ?? null,
      pointsAtStack: row ? pointsAtStack(row.webhooks) : null,
    };
  });
  // Registrations of this endpoint that the stack does not know (made by hand, or left behind).
  const known = new Set(Object.values(outputs.webhookIds));
  for (const row of rows) {
    if (known.has(row.id) || !pointsAtStack(row.webhooks)) continue;
    registrations.push({
      generation: null,
      id: row.id,
      found: true,
      enabled: row.status,
      url: row.webhooks,
      signature: row.active_signature ?? null,
      incoming: row.incoming ?? null,
      outgoing: row.outgoing ?? null,
      pointsAtStack: true,
    });
  }
  return registrations;
}
