/**
 * The AWS side of CI, as pure policy documents (tested against AWS's IAM reference data in
 * test/infra/bootstrap): GitHub's OIDC tokens may assume one deploy role per environment, trusted
 * only for that environment's claim, and one read-only role per environment for previews and the
 * drift check. The state lives in a self-managed S3 backend (PULUMI_BACKEND_URL); each role reaches
 * only its own stack's state objects. See infra/bootstrap/index.ts and docs/operations.md.
 */

export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
/** The project name of the main program (Pulumi.yaml): its stacks' state lives under it. */
export const PROJECT = "whatsable-replies";

export interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

/** The GitHub environment whose jobs may assume a role: `<stack>` deploys, `<stack>-preview` reads. */
export function githubEnvironment(stack: string, purpose: "deploy" | "preview"): string {
  return purpose === "deploy" ? stack : `${stack}-preview`;
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

/** The state objects of one stack in a self-managed backend (pulumi's `.pulumi/` layout). */
export function stateObjects(s: StackScope): string[] {
  const bucket = `arn:${s.partition}:s3:::${s.stateBucket}/.pulumi`;
  return [
    `${bucket}/stacks/${PROJECT}/${s.stack}.json*`,
    `${bucket}/locks/${PROJECT}/${s.stack}/*`,
    `${bucket}/history/${PROJECT}/${s.stack}/*`,
    `${bucket}/backups/${PROJECT}/${s.stack}/*`,
  ];
}

const stateBucketArn = (s: StackScope) => `arn:${s.partition}:s3:::${s.stateBucket}`;
/** Both roles list the bucket: the backend looks up stacks by listing. */
const listStateBucket = (s: StackScope): Statement => ({
  Sid: "ListStateBucket",
  Effect: "Allow",
  Action: ["s3:ListBucket"],
  Resource: [stateBucketArn(s)],
});
const metaObject = (s: StackScope) => `${stateBucketArn(s)}/.pulumi/meta.yaml`;

/**
 * Read-only, for `pulumi preview` and the nightly drift check (`preview --refresh`, which keeps
 * the refreshed state in memory): the stack's state, and reads of what the program manages.
 * AWS's ReadOnlyAccess managed policy is attached beside it for the providers' describe calls;
 * this document adds the two reads it leaves out: the stack's state objects, and the values of
 * the stack's Secrets Manager secrets (a refresh compares SecretVersion values).
 */
export function previewPolicy(s: StackScope): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      listStateBucket(s),
      {
        Sid: "ReadOwnState",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [metaObject(s), ...stateObjects(s)],
      },
      {
        Sid: "RefreshOwnSecretVersions",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [`arn:${s.partition}:secretsmanager:${s.region}:${s.account}:secret:*`],
        Condition: { StringEquals: { "aws:ResourceTag/stack": s.stack } },
      },
    ],
  };
}

/** The services the program manages, and the ARN space of each in the stack's account and region. */
function managedResources(s: StackScope): Record<string, string[]> {
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
    // Far replies' schedule group (the schedules themselves are the responder's, at run time).
    scheduler: [arn("scheduler", "schedule-group/*")],
    kms: [arn("kms", "key/*")],
    apigateway: [`arn:${s.partition}:apigateway:${s.region}::/*`],
  };
}

/**
 * What `pulumi up` of one stack needs: its state objects, the program's services in the stack's
 * account and region, the functions' roles (and handing them to Lambda only). One AWS account per
 * stack is the boundary between stacks (docs/operations.md); inside an account the deploy role is
 * limited to the services the program uses.
 */
export function deployPolicy(s: StackScope): PolicyDocument {
  const services = managedResources(s);
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
        Sid: "CreateKeysAndDescribeAnything",
        Effect: "Allow",
        // Actions AWS authorises on "*" only (no resource ARN exists before the call).
        Action: [
          "kms:CreateKey",
          "sqs:ListQueues",
          "lambda:CreateEventSourceMapping",
          "lambda:ListEventSourceMappings",
          "logs:DescribeLogGroups",
          "cloudwatch:DescribeAlarms",
          "sts:GetCallerIdentity",
        ],
        Resource: ["*"],
      },
      {
        Sid: "ManageFunctionRoles",
        Effect: "Allow",
        Action: [
          "iam:CreateRole",
          "iam:DeleteRole",
          "iam:GetRole",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:UpdateAssumeRolePolicy",
          "iam:PutRolePolicy",
          "iam:GetRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
        ],
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
