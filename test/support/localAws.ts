import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { type ProvisionOptions, provisionLocalResources } from "../../local/provision.js";

/**
 * Gives a test file its own tables, queues and secrets on the shared local stand-ins. Build
 * clients with the returned `awsEnv` (e.g. createDocumentClient(awsEnv)).
 */
export async function provisionForTest(
  options: Partial<Omit<ProvisionOptions, "awsEnv" | "prefix">> = {},
) {
  const awsEnv = inject("awsEnv");
  const prefix = `t${randomBytes(4).toString("hex")}-`;
  const resources = await provisionLocalResources({
    awsEnv,
    prefix,
    signingSecret: options.signingSecret ?? JSON.stringify({ current: "test-signing-secret" }),
    vendorToken: options.vendorToken ?? "test-vendor-token",
    ...options,
  });
  return { awsEnv, prefix, ...resources };
}
