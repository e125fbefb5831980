/**
 * What AWS needs of the deploy role, per resource type the main program can create: the IAM
 * actions of each type's create, read, update and delete, with where the list comes from. The
 * bootstrap's policies are built from this table (policies.ts), and test/infra/bootstrap/ checks
 * it by IAM simulation against AWS's reference data, and against the program: every `aws:` type
 * the program registers (every stack file, both entrances) and every `new aws.…` in
 * infra/components/ must have an entry here.
 *
 * How far each list is verified: the LogGroup lists are the CloudFormation schema's handlers as
 * read, the SecretVersion lists the provider's own source, the stage's log delivery AWS's HTTP API
 * logging page (test/fixtures/contracts/aws/); the others name the API operations of each type's
 * create, read, update and delete after the linked references. Every action is checked to exist in
 * AWS's reference data, and to be granted, by simulation.
 *
 * Adding a resource type: one entry keyed by its Pulumi type token, with the actions from the
 * type's CloudFormation resource schema (`handlers.<op>.permissions`) or the AWS API reference, and
 * the URLs in `sources`. If its service is new, add the service's ARN space to
 * `SERVICE_ARN_SPACES` in policies.ts. Actions AWS authorises on "*" only need nothing more: the
 * deploy policy grants every such action of this table on "*" (WILDCARD_ONLY_ACTIONS below,
 * kept equal to AWS's reference data by a test).
 */

export interface ResourcePermissions {
  /** URLs of the AWS documents (or provider source) the action lists come from. */
  sources: readonly string[];
  create: readonly string[];
  /** What `refresh` (and so the nightly drift check) calls. */
  read: readonly string[];
  update: readonly string[];
  delete: readonly string[];
}

const CFN = (file: string) =>
  `https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/${file}`;
const SAR = (service: string) =>
  `https://docs.aws.amazon.com/service-authorization/latest/reference/list_${service}.html`;

const TAGS_DDB = ["dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource"];
const TAGS_SQS = ["sqs:TagQueue", "sqs:UntagQueue", "sqs:ListQueueTags"];
const TAGS_LAMBDA = ["lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"];
// API Gateway authorises by HTTP verb on the resource path; tags are POST/DELETE on /tags/<arn>.
const TAGS_APIGW = ["apigateway:POST", "apigateway:DELETE", "apigateway:GET"];

/** An HTTP API stage's access logs: AWS's "Configuring logging for an HTTP API", on "*". */
const HTTP_API_LOG_DELIVERY = [
  "logs:CreateLogDelivery",
  "logs:PutResourcePolicy",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:GetLogDelivery",
  "logs:ListLogDeliveries",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
];

export const RESOURCE_PERMISSIONS: Record<string, ResourcePermissions> = {
  "aws:dynamodb/table:Table": {
    sources: [CFN("aws-resource-dynamodb-table.html"), SAR("amazondynamodb")],
    create: [
      "dynamodb:CreateTable",
      "dynamodb:DescribeTable",
      "dynamodb:UpdateTimeToLive",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:DescribeContinuousBackups",
      ...TAGS_DDB,
    ],
    read: [
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:ListTagsOfResource",
    ],
    update: [
      "dynamodb:UpdateTable",
      "dynamodb:DescribeTable",
      "dynamodb:UpdateTimeToLive",
      "dynamodb:UpdateContinuousBackups",
      ...TAGS_DDB,
    ],
    delete: ["dynamodb:DeleteTable", "dynamodb:DescribeTable"],
  },
  "aws:sqs/queue:Queue": {
    sources: [CFN("aws-resource-sqs-queue.html"), SAR("amazonsqs")],
    create: ["sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", ...TAGS_SQS],
    read: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"],
    update: ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes", ...TAGS_SQS],
    delete: ["sqs:DeleteQueue", "sqs:GetQueueAttributes"],
  },
  "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": {
    // The RedriveAllowPolicy is a queue attribute (SetQueueAttributes RedriveAllowPolicy).
    sources: [
      "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html",
    ],
    create: ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"],
    read: ["sqs:GetQueueAttributes"],
    update: ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes"],
    delete: ["sqs:SetQueueAttributes"],
  },
  "aws:secretsmanager/secret:Secret": {
    sources: [CFN("aws-resource-secretsmanager-secret.html"), SAR("awssecretsmanager")],
    create: [
      "secretsmanager:CreateSecret",
      "secretsmanager:DescribeSecret",
      "secretsmanager:TagResource",
      "secretsmanager:GetResourcePolicy",
    ],
    read: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
    update: [
      "secretsmanager:UpdateSecret",
      "secretsmanager:TagResource",
      "secretsmanager:UntagResource",
      "secretsmanager:DescribeSecret",
    ],
    delete: ["secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret"],
  },
  "aws:secretsmanager/secretVersion:SecretVersion": {
    // The provider's own code: create is PutSecretValue; every read, the one after create
    // included, is GetSecretValue (secret_string_wo or not), which is why refresh and the drift
    // check leave secret versions out (docs/operations.md, "Refresh and drift").
    sources: [
      "https://github.com/hashicorp/terraform-provider-aws/blob/0042e8ea0de293c6cd8b003f89f7f4d2fb5fcf31/internal/service/secretsmanager/secret_version.go",
    ],
    create: ["secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue"],
    read: ["secretsmanager:GetSecretValue"],
    update: [
      "secretsmanager:UpdateSecretVersionStage",
      "secretsmanager:ListSecretVersionIds",
      "secretsmanager:GetSecretValue",
    ],
    delete: ["secretsmanager:UpdateSecretVersionStage", "secretsmanager:GetSecretValue"],
  },
  "aws:iam/role:Role": {
    sources: [CFN("aws-resource-iam-role.html"), SAR("awsidentityandaccessmanagementiam")],
    create: ["iam:CreateRole", "iam:GetRole", "iam:TagRole"],
    read: ["iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"],
    update: [
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:GetRole",
    ],
    delete: [
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:ListRolePolicies",
      "iam:DeleteRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
    ],
  },
  "aws:iam/rolePolicy:RolePolicy": {
    sources: [CFN("aws-resource-iam-rolepolicy.html")],
    create: ["iam:PutRolePolicy", "iam:GetRolePolicy"],
    read: ["iam:GetRolePolicy"],
    update: ["iam:PutRolePolicy", "iam:GetRolePolicy"],
    delete: ["iam:DeleteRolePolicy", "iam:GetRolePolicy"],
  },
  "aws:lambda/function:Function": {
    sources: [CFN("aws-resource-lambda-function.html"), SAR("awslambda")],
    create: [
      "lambda:CreateFunction",
      "lambda:GetFunction",
      "lambda:PutFunctionConcurrency",
      "lambda:GetFunctionCodeSigningConfig",
      "iam:PassRole",
      ...TAGS_LAMBDA,
    ],
    read: [
      "lambda:GetFunction",
      "lambda:GetFunctionConcurrency",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:ListVersionsByFunction",
      "lambda:ListTags",
    ],
    update: [
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      "lambda:PutFunctionConcurrency",
      "lambda:DeleteFunctionConcurrency",
      "lambda:GetFunction",
      "iam:PassRole",
      ...TAGS_LAMBDA,
    ],
    delete: ["lambda:DeleteFunction", "lambda:GetFunction"],
  },
  "aws:lambda/eventSourceMapping:EventSourceMapping": {
    sources: [CFN("aws-resource-lambda-eventsourcemapping.html")],
    create: [
      "lambda:CreateEventSourceMapping",
      "lambda:GetEventSourceMapping",
      "lambda:TagResource",
    ],
    read: ["lambda:GetEventSourceMapping", "lambda:ListTags"],
    update: [
      "lambda:UpdateEventSourceMapping",
      "lambda:GetEventSourceMapping",
      "lambda:TagResource",
      "lambda:UntagResource",
    ],
    delete: ["lambda:DeleteEventSourceMapping", "lambda:GetEventSourceMapping"],
  },
  "aws:lambda/permission:Permission": {
    sources: [CFN("aws-resource-lambda-permission.html")],
    create: ["lambda:AddPermission", "lambda:GetPolicy"],
    read: ["lambda:GetPolicy"],
    update: ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"],
    delete: ["lambda:RemovePermission", "lambda:GetPolicy"],
  },
  "aws:lambda/functionUrl:FunctionUrl": {
    sources: [CFN("aws-resource-lambda-url.html")],
    create: ["lambda:CreateFunctionUrlConfig", "lambda:GetFunctionUrlConfig"],
    read: ["lambda:GetFunctionUrlConfig"],
    update: ["lambda:UpdateFunctionUrlConfig", "lambda:GetFunctionUrlConfig"],
    delete: ["lambda:DeleteFunctionUrlConfig", "lambda:GetFunctionUrlConfig"],
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    // handlers.*.permissions of AWS::Logs::LogGroup, plus the newer TagResource family the
    // provider's tagging uses.
    sources: [
      "https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-logs/blob/0406d2bd4e31329bfb2b8a10b97a21cebeaf4d79/aws-logs-loggroup/aws-logs-loggroup.json",
    ],
    create: [
      "logs:DescribeLogGroups",
      "logs:CreateLogGroup",
      "logs:PutRetentionPolicy",
      "logs:TagLogGroup",
      "logs:TagResource",
    ],
    read: ["logs:DescribeLogGroups", "logs:ListTagsLogGroup", "logs:ListTagsForResource"],
    update: [
      "logs:DescribeLogGroups",
      "logs:AssociateKmsKey",
      "logs:DisassociateKmsKey",
      "logs:PutRetentionPolicy",
      "logs:DeleteRetentionPolicy",
      "logs:TagLogGroup",
      "logs:UntagLogGroup",
      "logs:TagResource",
      "logs:UntagResource",
    ],
    delete: ["logs:DescribeLogGroups", "logs:DeleteLogGroup"],
  },
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": {
    sources: [CFN("aws-resource-logs-metricfilter.html")],
    create: ["logs:PutMetricFilter", "logs:DescribeMetricFilters"],
    read: ["logs:DescribeMetricFilters"],
    update: ["logs:PutMetricFilter", "logs:DescribeMetricFilters"],
    delete: ["logs:DeleteMetricFilter", "logs:DescribeMetricFilters"],
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    sources: [CFN("aws-resource-cloudwatch-alarm.html"), SAR("amazoncloudwatch")],
    create: [
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:TagResource",
      "cloudwatch:ListTagsForResource",
    ],
    read: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
    update: [
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ],
    delete: ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"],
  },
  "aws:cloudwatch/dashboard:Dashboard": {
    sources: [CFN("aws-resource-cloudwatch-dashboard.html")],
    create: ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard"],
    read: ["cloudwatch:GetDashboard"],
    update: ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard"],
    delete: ["cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard"],
  },
  "aws:scheduler/scheduleGroup:ScheduleGroup": {
    // The handlers' permissions of the CloudFormation resource schema AWS::Scheduler::ScheduleGroup;
    // deleting a group deletes the schedules left in it.
    sources: [CFN("aws-resource-scheduler-schedulegroup.html"), SAR("amazoneventbridgescheduler")],
    create: [
      "scheduler:CreateScheduleGroup",
      "scheduler:GetScheduleGroup",
      "scheduler:TagResource",
      "scheduler:ListTagsForResource",
    ],
    read: ["scheduler:GetScheduleGroup", "scheduler:ListTagsForResource"],
    update: [
      "scheduler:TagResource",
      "scheduler:UntagResource",
      "scheduler:ListTagsForResource",
      "scheduler:GetScheduleGroup",
    ],
    delete: [
      "scheduler:DeleteScheduleGroup",
      "scheduler:GetScheduleGroup",
      "scheduler:DeleteSchedule",
    ],
  },
  "aws:sns/topic:Topic": {
    sources: [CFN("aws-resource-sns-topic.html"), SAR("amazonsns")],
    create: [
      "sns:CreateTopic",
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:TagResource",
      "kms:DescribeKey",
    ],
    read: ["sns:GetTopicAttributes", "sns:ListTagsForResource"],
    update: [
      "sns:SetTopicAttributes",
      "sns:GetTopicAttributes",
      "sns:TagResource",
      "sns:UntagResource",
      "kms:DescribeKey",
    ],
    delete: ["sns:DeleteTopic", "sns:GetTopicAttributes"],
  },
  "aws:sns/topicSubscription:TopicSubscription": {
    sources: [CFN("aws-resource-sns-subscription.html")],
    create: ["sns:Subscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes"],
    read: ["sns:GetSubscriptionAttributes"],
    update: ["sns:SetSubscriptionAttributes", "sns:GetSubscriptionAttributes"],
    delete: ["sns:Unsubscribe", "sns:GetSubscriptionAttributes"],
  },
  "aws:kms/key:Key": {
    sources: [CFN("aws-resource-kms-key.html"), SAR("awskeymanagementservice")],
    create: [
      "kms:CreateKey",
      "kms:DescribeKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:TagResource",
    ],
    read: [
      "kms:DescribeKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
    ],
    update: [
      "kms:DescribeKey",
      "kms:DisableKeyRotation",
      "kms:EnableKeyRotation",
      "kms:PutKeyPolicy",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateKeyDescription",
    ],
    delete: ["kms:DescribeKey", "kms:ScheduleKeyDeletion"],
  },
  "aws:apigatewayv2/api:Api": {
    sources: [CFN("aws-resource-apigatewayv2-api.html"), SAR("amazonapigatewaymanagementv2")],
    create: ["apigateway:POST", ...TAGS_APIGW],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH", "apigateway:PUT", ...TAGS_APIGW],
    delete: ["apigateway:DELETE", "apigateway:GET"],
  },
  "aws:apigatewayv2/stage:Stage": {
    // Access logs: "Configuring logging for an HTTP API" lists the log-delivery actions on "*".
    sources: [
      CFN("aws-resource-apigatewayv2-stage.html"),
      "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html",
    ],
    create: ["apigateway:POST", "apigateway:GET", ...HTTP_API_LOG_DELIVERY, ...TAGS_APIGW],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH", "apigateway:GET", ...HTTP_API_LOG_DELIVERY, ...TAGS_APIGW],
    delete: [
      "apigateway:DELETE",
      "apigateway:GET",
      "logs:DeleteLogDelivery",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
    ],
  },
  "aws:apigatewayv2/integration:Integration": {
    sources: [CFN("aws-resource-apigatewayv2-integration.html")],
    create: ["apigateway:POST", "apigateway:GET"],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH", "apigateway:GET"],
    delete: ["apigateway:DELETE", "apigateway:GET"],
  },
  "aws:apigatewayv2/route:Route": {
    sources: [CFN("aws-resource-apigatewayv2-route.html")],
    create: ["apigateway:POST", "apigateway:GET"],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH", "apigateway:GET"],
    delete: ["apigateway:DELETE", "apigateway:GET"],
  },
  "aws:apigatewayv2/domainName:DomainName": {
    sources: [CFN("aws-resource-apigatewayv2-domainname.html")],
    create: ["apigateway:POST", "apigateway:GET", ...TAGS_APIGW],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH", "apigateway:GET", ...TAGS_APIGW],
    delete: ["apigateway:DELETE", "apigateway:GET"],
  },
  "aws:apigatewayv2/apiMapping:ApiMapping": {
    sources: [CFN("aws-resource-apigatewayv2-apimapping.html")],
    create: ["apigateway:POST", "apigateway:GET"],
    read: ["apigateway:GET"],
    update: ["apigateway:PATCH", "apigateway:GET"],
    delete: ["apigateway:DELETE", "apigateway:GET"],
  },
};

/**
 * Actions of the table that AWS authorises on "*" only (no resource ARN exists before the call, or
 * the action names none): the deploy policy grants them on "*". A test keeps this list equal to
 * what AWS's reference data says of the table's actions.
 */
export const WILDCARD_ONLY_ACTIONS: readonly string[] = [
  "kms:CreateKey",
  "logs:CreateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:DescribeLogGroups",
  "logs:DescribeResourcePolicies",
  "logs:GetLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:UpdateLogDelivery",
  "lambda:CreateEventSourceMapping",
];

/**
 * Reads of customer data and secret values: the preview and drift roles are denied them outright
 * (an explicit Deny wins over any Allow, a managed policy attached later included). kms:Decrypt is
 * not here: S3 needs it on the caller's behalf to read the SSE-KMS state objects.
 */
export const DATA_READS: readonly string[] = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:GetRecords",
  "dynamodb:PartiQLSelect",
  "dynamodb:ExportTableToPointInTime",
  "secretsmanager:GetSecretValue",
  "secretsmanager:BatchGetSecretValue",
  "sqs:ReceiveMessage",
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
  "logs:StartQuery",
  "logs:GetQueryResults",
  "logs:StartLiveTail",
  "logs:GetLogRecord",
];

/** Every action one kind of operation needs, over the whole table (sorted, unique). */
export function actionsFor(ops: readonly ("create" | "read" | "update" | "delete")[]): string[] {
  const actions = new Set<string>();
  for (const permissions of Object.values(RESOURCE_PERMISSIONS)) {
    for (const op of ops) for (const action of permissions[op]) actions.add(action);
  }
  return [...actions].sort();
}
