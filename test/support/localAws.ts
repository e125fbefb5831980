import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { type ProvisionOptions, provisionLocalResources } from "../../local/provision.js";

/**
 * The SDK env of the run's shared local services (test/support/globalSetup.ts). Undefined in the
 * unit project, which starts none: say so instead of failing later on a missing endpoint.
 */
export function sharedAwsEnv(): Record<string, string> {
  const awsEnv: Record<string, string> | undefined = inject("awsEnv");
  if (!awsEnv) {
    throw new Error(
      "this test file needs the local services, but it runs in the unit project (no services): " +
        "remove it from UNIT_TESTS in test/support/projects.ts",
    );
  }
  return awsEnv;
}

/**
 * Gives a test file its own tables, queues and secrets on the shared local stand-ins. Build
 * clients with the returned `awsEnv` (e.g. createDocumentClient(awsEnv)).
 */
export async function provisionForTest(
  options: Partial<Omit<ProvisionOptions, "awsEnv" | "prefix">> = {},
) {
  const awsEnv = sharedAwsEnv();
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
