import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  deployPolicy,
  GITHUB_OIDC_URL,
  githubEnvironment,
  githubTrustPolicy,
  META_KEY,
  previewPolicy,
  type RolePurpose,
  replayPolicy,
  TABLE_NAME,
} from "./policies.js";

/**
 * Bootstrap: what CI needs in AWS before the main program can deploy, run once per AWS account by
 * an administrator (`cd infra/bootstrap && pulumi up`, local state: see docs/operations.md):
 * GitHub's OIDC provider, the self-managed state bucket (with the backend's layout marker), and
 * per stack a deploy role and a describe-only preview role (no table data, no secret value), and
 * where asked (`replayRoles`) a replay role reading the stack's conversation table, each trusted
 * only for its own GitHub environment. The outputs are what the GitHub environments need
 * (AWS_DEPLOY_ROLE_ARN, AWS_PREVIEW_ROLE_ARN, AWS_REPLAY_ROLE_ARN, PULUMI_BACKEND_URL).
 */

const config = new pulumi.Config();
/** owner/name of the GitHub repository whose workflows deploy. */
const repository = config.require("githubRepository");
if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) {
  throw new pulumi.RunError(
    `whatsable-bootstrap:githubRepository: "${repository}" must be owner/name`,
  );
}
/** The main program's stacks this account hosts (one account per stack is the advice). */
const stacks = config.getObject<string[]>("stacks") ?? ["dev", "staging", "prod"];
/**
 * Opt-in, none by default: the stacks whose pull requests replay rules changes against their
 * logged customer messages, each with its conversation table's name (the stack's output
 * `tableNames.conversation`), e.g. `{ dev: data-conversation-1a2b3c4 }`. Its role reads that
 * table: customer messages, so only for the stacks whose data may be read from CI.
 */
const replayRoles = config.getObject<Record<string, string>>("replayRoles") ?? {};
if (typeof replayRoles !== "object" || replayRoles === null || Array.isArray(replayRoles)) {
  throw new pulumi.RunError(
    "whatsable-bootstrap:replayRoles: must be a map of stack name to its conversation table's name (tableNames.conversation)",
  );
}
for (const [stack, table] of Object.entries(replayRoles)) {
  if (!stacks.includes(stack)) {
    throw new pulumi.RunError(
      `whatsable-bootstrap:replayRoles.${stack}: not one of the stacks (${stacks.join(", ")})`,
    );
  }
  if (typeof table !== "string" || !TABLE_NAME.test(table)) {
    throw new pulumi.RunError(
      `whatsable-bootstrap:replayRoles.${stack}: must be the stack's conversation table name (its output tableNames.conversation)`,
    );
  }
}
const stateBucketName = config.require("stateBucket");
const region = new pulumi.Config("aws").require("region");

const identity = aws.getCallerIdentityOutput();
const partition = aws.getPartitionOutput();

// An account has one provider per URL; set `createOidcProvider: false` where one exists already.
const oidcProviderArn: pulumi.Output<string> =
  config.getBoolean("createOidcProvider") === false
    ? pulumi.interpolate`arn:${partition.partition}:iam::${identity.accountId}:oidc-provider/token.actions.githubusercontent.com`
    : new aws.iam.OpenIdConnectProvider("github", {
        url: GITHUB_OIDC_URL,
        clientIdLists: ["sts.amazonaws.com"],
      }).arn;

const stateBucket = new aws.s3.Bucket(
  "state",
  { bucket: stateBucketName },
  { protect: true, retainOnDelete: true },
);
new aws.s3.BucketVersioning("state", {
  bucket: stateBucket.id,
  versioningConfiguration: { status: "Enabled" },
});
new aws.s3.BucketServerSideEncryptionConfiguration("state", {
  bucket: stateBucket.id,
  // S3 Bucket Keys: S3 asks KMS for a bucket-level key now and then instead of one data key per
  // object, so the many small state writes of an `up` (checkpoint, journal, history) make no
  // KMS call each.
  rules: [
    { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
  ],
});
// The backend's layout marker (pulumi pkg/backend/diy/meta.go): version 1 is the project layout the
// roles are scoped to. Written here because the roles may not write it: on an empty bucket the
// first `pulumi login` would try to, and fail.
new aws.s3.BucketObjectv2("pulumi-meta", {
  bucket: stateBucket.id,
  key: META_KEY,
  content: "version: 1\n",
  contentType: "application/yaml",
});
new aws.s3.BucketPublicAccessBlock("state", {
  bucket: stateBucket.id,
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
});

function role(stack: string, purpose: RolePurpose) {
  const scope = pulumi.output({
    partition: partition.partition,
    region,
    account: identity.accountId,
    stateBucket: stateBucketName,
    stack,
  });
  const created = new aws.iam.Role(`${stack}-${purpose}`, {
    description: `GitHub Actions, environment ${githubEnvironment(stack, purpose)}: ${purpose} of stack ${stack}`,
    maxSessionDuration: 3600,
    assumeRolePolicy: oidcProviderArn.apply((arn) =>
      JSON.stringify(
        githubTrustPolicy({
          oidcProviderArn: arn,
          repository,
          environment: githubEnvironment(stack, purpose),
        }),
      ),
    ),
  });
  new aws.iam.RolePolicy(`${stack}-${purpose}`, {
    role: created.id,
    policy: scope.apply((s) =>
      JSON.stringify(
        purpose === "deploy"
          ? deployPolicy(s)
          : purpose === "preview"
            ? previewPolicy(s)
            : replayPolicy({ ...s, conversationTable: replayRoles[stack] as string }),
      ),
    ),
  });
  return created.arn;
}

/**
 * Per stack: the values of its GitHub environments (`<stack>`, `<stack>-preview`, and with
 * replayRoles `<stack>-replay`).
 */
export const githubEnvironments = Object.fromEntries(
  stacks.flatMap((stack) => [
    [githubEnvironment(stack, "deploy"), { AWS_DEPLOY_ROLE_ARN: role(stack, "deploy") }],
    [githubEnvironment(stack, "preview"), { AWS_PREVIEW_ROLE_ARN: role(stack, "preview") }],
    ...(Object.hasOwn(replayRoles, stack)
      ? [[githubEnvironment(stack, "replay"), { AWS_REPLAY_ROLE_ARN: role(stack, "replay") }]]
      : []),
  ]),
);
export const pulumiBackendUrl = pulumi.interpolate`s3://${stateBucket.bucket}?region=${region}`;
