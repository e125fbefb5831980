/**
 * The AWS side of CI, as pure policy documents (tested against AWS's IAM reference data in
 * test/infra/bootstrap): GitHub's OIDC tokens may assume one deploy role per environment, trusted
 * only for that environment's claim, and one read-only role per environment for previews and the
 * drift check. The state lives in a self-managed S3 backend (PULUMI_BACKEND_URL); each role reaches
 * only its own stack's state objects. See infra/bootstrap/index.ts and docs/operations.md.
 */

import { actionsFor, DATA_READS, WILDCARD_ONLY_ACTIONS } from "./permissions.js";

export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
/** The project name of the main program (Pulumi.yaml): its stacks' state lives under it. */
export const PROJECT = "whatsable-replies";

interface Statement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

/** What a role of a stack is for (its GitHub environment, its policy). */
export type RolePurpose = "deploy" | "preview" | "replay";

/**
 * The GitHub environment whose jobs may assume a role: `<stack>` deploys, `<stack>-preview` reads
 * the stack's resources, `<stack>-replay` reads its conversation table for the rules replay.
 */
export function githubEnvironment(stack: string, purpose: RolePurpose): string {
  return purpose === "deploy" ? stack : `${stack}-${purpose}`;
}

/**
 * Trust for GitHub Actions jobs of one repository running in one GitHub environment, nothing else:
 * not a branch, not a pull request, not another environment (the `sub` claim names it).
 */
export function githubTrustPolicy(args: {
  oidcProviderArn: string;
  repository: string;
  environment: string;
}) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GitHubEnvironmentOnly",
        Effect: "Allow",
        Principal: { Federated: args.oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com",
            [`${GITHUB_OIDC_HOST}:sub`]: `repo:${args.repository}:environment:${args.environment}`,
          },
        },
      },
    ],
  } as const;
}

export interface StackScope {
  partition: string;
  region: string;
  account: string;
  stateBucket: string;
  stack: string;
}

/**
 * The state objects of one stack in the self-managed backend's project layout (the bootstrap
 * writes `.pulumi/meta.yaml` with `version: 1`, so the backend never falls back to the legacy
 * layout). Pulumi's own key layout, from its source, is test data in
 * test/fixtures/contracts/pulumi-diy-backend/: the checkpoint and its backups and compressed
 * variants (`<stack>.json`, `<stack>.json.*`), the stack's tags, history, backups, journal, and
 * its locks, whose directory is the stack's fully qualified name `organization/<project>/<stack>`.
 */
export function stateObjects(s: StackScope): string[] {
  const root = `arn:${s.partition}:s3:::${s.stateBucket}/.pulumi`;
  return [
    `${root}/stacks/${PROJECT}/${s.stack}.json`,
    `${root}/stacks/${PROJECT}/${s.stack}.json.*`,
    `${root}/stacks/${PROJECT}/${s.stack}.pulumi-tags`,
    `${root}/history/${PROJECT}/${s.stack}/*`,
    `${root}/backups/${PROJECT}/${s.stack}/*`,
    `${root}/journal/${PROJECT}/${s.stack}/*`,
    `${root}/locks/organization/${PROJECT}/${s.stack}/*`,
  ];
}

const stateBucketArn = (s: StackScope) => `arn:${s.partition}:s3:::${s.stateBucket}`;
/** Both roles list the bucket: the backend looks up stacks, locks and history by listing. */
const listStateBucket = (s: StackScope): Statement => ({
  Sid: "ListStateBucket",
  Effect: "Allow",
  Action: ["s3:ListBucket"],
  Resource: [stateBucketArn(s)],
});
/** The backend's layout marker, written once by the bootstrap; the roles only read it. */
export const META_KEY = ".pulumi/meta.yaml";
const metaObject = (s: StackScope) => `${stateBucketArn(s)}/${META_KEY}`;
/** Reading the stack's state as `pulumi preview` and `pulumi stack output` do, writing nothing. */
const readOwnState = (s: StackScope): Statement => ({
  Sid: "ReadOwnState",
  Effect: "Allow",
  Action: ["s3:GetObject"],
  Resource: [metaObject(s), ...stateObjects(s)],
});

/**
 * Read-only, for `pulumi preview` on pull requests and the nightly drift check (`pulumi refresh
 * --preview-only`, secret versions excluded): the stack's state objects, and the describe/list
 * calls the refresh of each resource type makes (RESOURCE_PERMISSIONS' `read`). No table item,
 * queue message, log event or secret value: those reads are denied outright (DATA_READS), so a
 * pull request's code, which runs with this role, reads no customer data and no secret.
 */
export function previewPolicy(s: StackScope): PolicyDocument {
  const dataReads = new Set(DATA_READS);
  return {
    Version: "2012-10-17",
    Statement: [
      listStateBucket(s),
      readOwnState(s),
      {
        Sid: "DescribeManagedResources",
        Effect: "Allow",
        Action: actionsFor(["read"]).filter((action) => !dataReads.has(action)),
        Resource: ["*"],
      },
      {
        Sid: "NoDataNoSecretValues",
        Effect: "Deny",
        Action: [...DATA_READS],
        Resource: ["*"],
      },
    ],
  };
}

/** A DynamoDB table name (CreateTable's TableName: 3-255 of letters, digits, `_`, `-`, `.`). */
export const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

/**
 * For the rules replay a pull request runs (`npm run ops -- replay --stack <stack>`, in the
 * `<stack>-replay` GitHub environment): the stack's outputs (its state, read as the preview role
 * reads it) and a Scan/Query of its conversation table, which the replay reads. Nothing else:
 * no other table, no secret (the replay in CI asks no HTTP policy), no write. The table's name is
 * the stack's output `tableNames.conversation`: Pulumi names it with a random suffix, so the
 * bootstrap is told it (bootstrap config `replayRoles`) rather than guessing a pattern that would
 * match another stack's table in the same account.
 */
export function replayPolicy(s: StackScope & { conversationTable: string }): PolicyDocument {
  if (!TABLE_NAME.test(s.conversationTable)) {
    throw new Error(
      `replayRoles.${s.stack}: "${s.conversationTable}" is not a DynamoDB table name (the stack's output tableNames.conversation)`,
    );
  }
  return {
    Version: "2012-10-17",
    Statement: [
      listStateBucket(s),
      readOwnState(s),
      {
        Sid: "ReadConversationTable",
        Effect: "Allow",
        Action: ["dynamodb:Scan", "dynamodb:Query"],
        Resource: [
          `arn:${s.partition}:dynamodb:${s.region}:${s.account}:table/${s.conversationTable}`,
        ],
      },
    ],
  };
}

/**
 * The services the program manages, and the ARN space of each in the stack's account and region.
 * A resource type of a new service needs its service here (and its actions in permissions.ts).
 */
function serviceArnSpaces(s: StackScope): Record<string, string[]> {
  const arn = (service: string, resource: string) =>
    `arn:${s.partition}:${service}:${s.region}:${s.account}:${resource}`;
  return {
    dynamodb: [arn("dynamodb", "table/*")],
    sqs: [arn("sqs", "*")],
    secretsmanager: [arn("secretsmanager", "secret:*")],
    lambda: [arn("lambda", "function:*"), arn("lambda", "event-source-mapping:*")],
    logs: [arn("logs", "log-group:*")],
    cloudwatch: [
      arn("cloudwatch", "alarm:*"),
      `arn:${s.partition}:cloudwatch::${s.account}:dashboard/*`,
    ],
    sns: [arn("sns", "*")],
    // Far replies' schedule group, and the schedules left in it when the group is deleted.
    scheduler: [arn("scheduler", "schedule-group/*"), arn("scheduler", "schedule/*")],
    kms: [arn("kms", "key/*")],
    apigateway: [`arn:${s.partition}:apigateway:${s.region}::/*`],
  };
}

/**
 * What `pulumi up`, `refresh` and `destroy` of one stack need: its state objects (locks
 * included), the program's services in the stack's account and region, the actions AWS
 * authorises on "*" only, the functions' roles (only the IAM actions the table names) and
 * handing them to Lambda only. One AWS account per stack is the boundary between stacks
 * (docs/operations.md); inside an account the deploy role is limited to the services the program
 * uses.
 */
export function deployPolicy(s: StackScope): PolicyDocument {
  const services = serviceArnSpaces(s);
  const everything = actionsFor(["create", "read", "update", "delete"]);
  const iamActions = everything.filter((a) => a.startsWith("iam:") && a !== "iam:PassRole");
  return {
    Version: "2012-10-17",
    Statement: [
      listStateBucket(s),
      {
        Sid: "ReadStateMeta",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [metaObject(s)],
      },
      {
        Sid: "WriteOwnState",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: stateObjects(s),
      },
      ...Object.entries(services).map(([service, resources]) => ({
        Sid: `Manage${service[0]?.toUpperCase()}${service.slice(1)}`,
        Effect: "Allow" as const,
        Action: [`${service}:*`],
        Resource: resources,
      })),
      {
        Sid: "WildcardOnlyActions",
        Effect: "Allow",
        Action: [...WILDCARD_ONLY_ACTIONS, "sts:GetCallerIdentity"],
        Resource: ["*"],
      },
      {
        Sid: "ManageFunctionRoles",
        Effect: "Allow",
        Action: iamActions,
        Resource: [`arn:${s.partition}:iam::${s.account}:role/*`],
      },
      {
        Sid: "PassFunctionRolesToLambdaOnly",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [`arn:${s.partition}:iam::${s.account}:role/*`],
        Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
      },
    ],
  };
}
