/**
 * The AWS limits the program must respect, as one table, and the checks that hold a planned stack
 * (the resources a program run registers) against it. Mocks accept any value; AWS refuses these
 * at deploy time or, worse, at run time (a job over SQS's message size is refused on every vendor
 * retry). test/infra/awsLimits.test.ts runs the program for every Pulumi.<stack>.yaml under mocks
 * and checks each row; the program itself enforces the rows that depend on config (environment
 * bytes, body size, alarm destinations) so `pulumi preview` stops before AWS would.
 */

export interface AwsLimit {
  limit: number;
  /** What is limited, in which unit (the text problems quote). */
  what: string;
  /** The AWS documentation page that states the limit. */
  source: string;
}

const LAMBDA_QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html";
const IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";
const SQS_CREATE_QUEUE =
  "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html";
const PUT_METRIC_ALARM =
  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html";

export const AWS_LIMITS = {
  lambdaEnvironmentBytes: {
    limit: 4096,
    what: "Lambda: all environment variable names and values of a function together, in bytes (lambda/gettingstarted-limits)",
    source: LAMBDA_QUOTAS,
  },
  lambdaFunctionName: {
    limit: 64,
    what: "Lambda function name, characters",
    source: "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
  },
  lambdaTimeoutSeconds: { limit: 900, what: "Lambda timeout, seconds", source: LAMBDA_QUOTAS },
  lambdaAccountConcurrency: {
    limit: 1000,
    what: "Lambda concurrent executions per account and Region, the default quota (lambda/gettingstarted-limits; new accounts may start lower, raise it in Service Quotas)",
    source: LAMBDA_QUOTAS,
  },
  lambdaUnreservedConcurrency: {
    limit: 100,
    what: "Lambda concurrency the account must keep unreserved: reservations may total at most the account's concurrency minus this (API PutFunctionConcurrency)",
    source: "https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html",
  },
  iamRoleName: { limit: 64, what: "IAM role name, characters", source: IAM_QUOTAS },
  iamInlinePolicyBytes: {
    limit: 10_240,
    what: "IAM inline policies of one role together, characters (whitespace excluded)",
    source: IAM_QUOTAS,
  },
  sqsQueueName: { limit: 80, what: "SQS queue name, characters", source: SQS_CREATE_QUEUE },
  sqsMessageBytes: {
    limit: 1_048_576,
    what: "SQS message size, bytes (1 MiB; maxMessageSize may not exceed it)",
    source: SQS_CREATE_QUEUE,
  },
  sqsDelaySeconds: {
    limit: 900,
    what: "SQS DelaySeconds of one message",
    source:
      "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html",
  },
  sqsRetentionSeconds: {
    limit: 1_209_600,
    what: "SQS message retention (14 days)",
    source: SQS_CREATE_QUEUE,
  },
  sqsBatchingWindowSeconds: {
    limit: 300,
    what: "Lambda SQS event source batching window",
    source: "https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html",
  },
  visibilityTimeoutFactor: {
    limit: 6,
    what: "SQS visibility timeout of a Lambda's queue ≥ 6 × the function timeout + batching window (sqs-configure-lambda-function-trigger)",
    source:
      "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-lambda-function-trigger.html",
  },
  dynamodbTableName: {
    limit: 255,
    what: "DynamoDB table name, characters",
    source: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html",
  },
  logGroupName: {
    limit: 512,
    what: "CloudWatch Logs log group name, characters",
    source:
      "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
  },
  snsTopicName: {
    limit: 256,
    what: "SNS topic name, characters",
    source: "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
  },
  alarmName: { limit: 255, what: "CloudWatch alarm name, characters", source: PUT_METRIC_ALARM },
  alarmPeriodTimesEvaluations: {
    limit: 86_400,
    what: "CloudWatch alarm: period × evaluation periods, seconds (one day)",
    source: PUT_METRIC_ALARM,
  },
  secretName: {
    limit: 512,
    what: "Secrets Manager secret name, characters",
    source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
  },
  dashboardName: {
    limit: 255,
    what: "CloudWatch dashboard name, characters",
    source:
      "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
  },
} as const satisfies Record<string, AwsLimit>;

/**
 * The account's Lambda concurrency as Service Quotas names it (GetServiceQuota; the quota new
 * accounts get low, often 10, and the one to raise before reserving any concurrency).
 */
export const LAMBDA_CONCURRENCY_QUOTA = {
  serviceCode: "lambda",
  quotaCode: "L-B99A9384",
  quotaName: "Concurrent executions",
} as const;

/**
 * The most concurrency an account with this quota lets its functions reserve together: Lambda
 * refuses a reservation that leaves fewer than 100 executions unreserved (PutFunctionConcurrency;
 * test/fixtures/contracts/aws/lambda-concurrency.json), so an account at 100 or less can reserve
 * none.
 */
export function reservableConcurrency(accountConcurrency: number): number {
  return Math.max(0, accountConcurrency - AWS_LIMITS.lambdaUnreservedConcurrency.limit);
}

/**
 * Why Lambda would refuse `reserved` concurrency in an account with this quota, naming the quota
 * to raise; undefined when it fits.
 */
export function reservationProblem(
  reserved: number,
  accountConcurrency: number,
): string | undefined {
  if (reserved <= reservableConcurrency(accountConcurrency)) return undefined;
  const { quotaName, serviceCode, quotaCode } = LAMBDA_CONCURRENCY_QUOTA;
  const unreserved = AWS_LIMITS.lambdaUnreservedConcurrency.limit;
  return (
    `${reserved} reserved concurrency needs an account concurrency quota of at least ` +
    `${reserved + unreserved} (Lambda keeps ${unreserved} unreserved), but the quota is ` +
    `${accountConcurrency}: request an increase of Service Quotas "${quotaName}" (service ` +
    `${serviceCode}, quota code ${quotaCode}), or delete receiverReservedConcurrency`
  );
}

/**
 * The most concurrency the pipeline may reserve for its receiver on an account with the default
 * quota. An account with a lower quota allows less (docs/operations.md, "Throttling").
 */
export const MAX_RECEIVER_RESERVED_CONCURRENCY = reservableConcurrency(
  AWS_LIMITS.lambdaAccountConcurrency.limit,
);

/** Pulumi auto-naming appends "-" and 7 random characters to a resource's logical name. */
const AUTONAME_SUFFIX_LENGTH = 8;
/** ...and the AWS provider ".fifo" to a FIFO queue's (pulumi-aws resource_overrides.go). */
const FIFO_SUFFIX = ".fifo";

/**
 * How much larger than the webhook body the job that carries it to the responder can get: the
 * normalised webhook repeats every history entry with all its fields, and astral characters
 * (emoji) travel as JSON escapes (12 bytes for 4). Measured on the worst realistic payloads in
 * test/infra/awsLimits.test.ts (a history of minimal entries: 3.7×).
 */
export const JOB_BYTES_PER_BODY_BYTE = 4;
/** The job's own fields around the webhook (kind, version, key, acceptedAt), generously. */
export const JOB_ENVELOPE_BYTES = 1024;

/** The largest maxBodyBytes whose job still fits one SQS message (240 KiB). */
export const MAX_BODY_BYTES_LIMIT =
  Math.floor(
    (AWS_LIMITS.sqsMessageBytes.limit - JOB_ENVELOPE_BYTES) / JOB_BYTES_PER_BODY_BYTE / 1024,
  ) * 1024;

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Lambda's measure of an environment: every name and value, in UTF-8 bytes. */
export function environmentBytes(variables: Record<string, string>): number {
  let total = 0;
  for (const [name, value] of Object.entries(variables))
    total += utf8Bytes(name) + utf8Bytes(value);
  return total;
}

/** A function whose environment Lambda would refuse; names the largest variables. */
export class EnvironmentTooLargeError extends Error {
  constructor(fn: string, variables: Record<string, string>) {
    const largest = Object.entries(variables)
      .map(([name, value]) => [name, utf8Bytes(name) + utf8Bytes(value)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, bytes]) => `${name} ${bytes} B`)
      .join(", ");
    super(
      `Lambda "${fn}": environment is ${environmentBytes(variables)} bytes, over Lambda's ` +
        `${AWS_LIMITS.lambdaEnvironmentBytes.limit}-byte limit (largest: ${largest}). ` +
        "Shorten whatsable-replies:replyRules.",
    );
    this.name = "EnvironmentTooLargeError";
  }
}

/** Returns the variables, or throws EnvironmentTooLargeError when Lambda would refuse them. */
export function checkedEnvironment(
  fn: string,
  variables: Record<string, string>,
): Record<string, string> {
  if (environmentBytes(variables) > AWS_LIMITS.lambdaEnvironmentBytes.limit) {
    throw new EnvironmentTooLargeError(fn, variables);
  }
  return variables;
}

/** One planned resource: what a program run registered (see test/infra/support/recordingMocks). */
export interface PlannedResource {
  type: string;
  /** The logical name (physical names are derived from it unless `name` is an input). */
  name: string;
  inputs: Record<string, unknown>;
  /** Provider outputs (ARNs), to follow references between resources. */
  outputs: Record<string, unknown>;
}

const NAME_LIMITS: Record<string, AwsLimit> = {
  "aws:lambda/function:Function": AWS_LIMITS.lambdaFunctionName,
  "aws:iam/role:Role": AWS_LIMITS.iamRoleName,
  "aws:sqs/queue:Queue": AWS_LIMITS.sqsQueueName,
  "aws:dynamodb/table:Table": AWS_LIMITS.dynamodbTableName,
  "aws:cloudwatch/logGroup:LogGroup": AWS_LIMITS.logGroupName,
  "aws:sns/topic:Topic": AWS_LIMITS.snsTopicName,
  "aws:cloudwatch/metricAlarm:MetricAlarm": AWS_LIMITS.alarmName,
  "aws:secretsmanager/secret:Secret": AWS_LIMITS.secretName,
  "aws:cloudwatch/dashboard:Dashboard": AWS_LIMITS.dashboardName,
};

const nameInput: Record<string, string> = {
  "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
};

/** The physical name AWS will see: the `name` input, or the logical name plus Pulumi's suffix. */
export function physicalNameLength(resource: PlannedResource): number {
  const explicit = resource.inputs[nameInput[resource.type] ?? "name"];
  if (typeof explicit === "string") return explicit.length;
  const fifo = resource.type === "aws:sqs/queue:Queue" && resource.inputs.fifoQueue === true;
  return resource.name.length + AUTONAME_SUFFIX_LENGTH + (fifo ? FIFO_SUFFIX.length : 0);
}

/**
 * Every row of AWS_LIMITS the planned stack breaks, and every rule of PROGRAM_RULES, as readable
 * problems (empty: none). `protect` is the stack's protect setting: a protected stack's alarms
 * must reach someone. `accountConcurrency` is the account's Lambda concurrency quota (default:
 * AWS's default quota).
 */
export function limitViolations(
  resources: PlannedResource[],
  stack: { protect: boolean; accountConcurrency?: number },
): string[] {
  const planned: PlannedStack = {
    of: (type) => resources.filter((r) => r.type === type),
    byArn: (arn) => resources.find((r) => r.outputs.arn === arn),
    protect: stack.protect,
    accountConcurrency: stack.accountConcurrency ?? AWS_LIMITS.lambdaAccountConcurrency.limit,
  };
  return [...LIMIT_CHECKS, ...PROGRAM_RULES].flatMap(({ check }) => check(planned));
}

/** A planned stack as the checks read it. */
interface PlannedStack {
  of(type: string): PlannedResource[];
  /** The resource whose provider outputs hold this ARN (references between resources). */
  byArn(arn: unknown): PlannedResource | undefined;
  protect: boolean;
  accountConcurrency: number;
}

/** One row of the checks: the AWS limit it holds a planned stack to, and the check. */
interface LimitCheck {
  limit: AwsLimit;
  /** The planned stack's problems with the limit (empty: none). */
  check(stack: PlannedStack): string[];
}

const TYPES = {
  fn: "aws:lambda/function:Function",
  queue: "aws:sqs/queue:Queue",
  trigger: "aws:lambda/eventSourceMapping:EventSourceMapping",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
} as const;

/** A row that checks each resource of `type`: `problem` says what is wrong with one, if anything. */
function eachOf(
  type: string,
  limit: AwsLimit,
  problem: (r: PlannedResource, limit: AwsLimit, stack: PlannedStack) => string | undefined,
): LimitCheck {
  return {
    limit,
    check: (stack) => stack.of(type).flatMap((r) => problem(r, limit, stack) ?? []),
  };
}

/** A function's environment variables as planned. */
function variablesOf(fn: PlannedResource): Record<string, string> {
  return (
    (fn.inputs.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {}
  );
}

/** A trigger's queue and function, when both are in the plan. */
function triggerEnds(mapping: PlannedResource, stack: PlannedStack) {
  const queue = stack.byArn(mapping.inputs.eventSourceArn);
  const fn = stack.byArn(mapping.inputs.functionName);
  return queue && fn ? { queue, fn } : undefined;
}

const batchingWindow = (mapping: PlannedResource) =>
  Number(mapping.inputs.maximumBatchingWindowInSeconds ?? 0);

/** The AWS limits, each with its check; the AWS page that states each is its row's source. */
const LIMIT_CHECKS: readonly LimitCheck[] = [
  ...Object.entries(NAME_LIMITS).map(([type, limit]) =>
    eachOf(type, limit, (r, { limit: longest, what }) => {
      const length = physicalNameLength(r);
      return length > longest ? `${r.type} ${r.name}: name of ${length} > ${what}` : undefined;
    }),
  ),
  eachOf(TYPES.fn, AWS_LIMITS.lambdaEnvironmentBytes, (fn, { limit, what }) => {
    const bytes = environmentBytes(variablesOf(fn));
    return bytes > limit ? `function ${fn.name}: environment ${bytes} B > ${what}` : undefined;
  }),
  eachOf(TYPES.fn, AWS_LIMITS.lambdaTimeoutSeconds, (fn, { limit, what }) =>
    Number(fn.inputs.timeout) > limit
      ? `function ${fn.name}: timeout ${fn.inputs.timeout} > ${what}`
      : undefined,
  ),
  eachOf(TYPES.fn, AWS_LIMITS.sqsDelaySeconds, (fn, { limit, what }) => {
    const delay = variablesOf(fn).MAX_SQS_DELAY_SECONDS;
    return delay !== undefined && Number(delay) > limit
      ? `function ${fn.name}: MAX_SQS_DELAY_SECONDS ${delay} > ${what}`
      : undefined;
  }),
  // The largest body the receiver accepts must make a job that fits one message.
  eachOf(TYPES.fn, AWS_LIMITS.sqsMessageBytes, (fn, { limit, what }) => {
    const body = variablesOf(fn).MAX_BODY_BYTES;
    if (body === undefined) return undefined;
    const jobBytes = Number(body) * JOB_BYTES_PER_BODY_BYTE + JOB_ENVELOPE_BYTES;
    return jobBytes > limit
      ? `function ${fn.name}: MAX_BODY_BYTES ${body} lets a job reach ${jobBytes} B > ${what}`
      : undefined;
  }),
  {
    // Reserved concurrency of every function together (reservedConcurrentExecutions -1 = none).
    limit: AWS_LIMITS.lambdaUnreservedConcurrency,
    check: (stack) => {
      const reserved = stack
        .of(TYPES.fn)
        .map((fn) => Number(fn.inputs.reservedConcurrentExecutions ?? -1))
        .filter((n) => n > 0)
        .reduce((sum, n) => sum + n, 0);
      const problem = reservationProblem(reserved, stack.accountConcurrency);
      return problem ? [`functions: ${problem}`] : [];
    },
  },
  {
    limit: AWS_LIMITS.iamInlinePolicyBytes,
    check: (stack) => {
      const sizeByRole = new Map<unknown, number>();
      for (const policy of stack.of(TYPES.rolePolicy)) {
        const size = String(policy.inputs.policy ?? "").replace(/\s/g, "").length;
        sizeByRole.set(policy.inputs.role, (sizeByRole.get(policy.inputs.role) ?? 0) + size);
      }
      const { limit, what } = AWS_LIMITS.iamInlinePolicyBytes;
      return [...sizeByRole]
        .filter(([, size]) => size > limit)
        .map(([role, size]) => `role ${String(role)}: inline policies ${size} > ${what}`);
    },
  },
  eachOf(TYPES.queue, AWS_LIMITS.sqsMessageBytes, (queue, { limit, what }) => {
    const size = Number(queue.inputs.maxMessageSize ?? 262_144);
    return size > limit ? `queue ${queue.name}: maxMessageSize ${size} > ${what}` : undefined;
  }),
  eachOf(TYPES.queue, AWS_LIMITS.sqsRetentionSeconds, (queue, { limit, what }) => {
    const retention = Number(queue.inputs.messageRetentionSeconds ?? 345_600);
    return retention > limit ? `queue ${queue.name}: retention ${retention} > ${what}` : undefined;
  }),
  eachOf(TYPES.trigger, AWS_LIMITS.sqsBatchingWindowSeconds, (mapping, { limit, what }) => {
    const window = batchingWindow(mapping);
    return window > limit
      ? `trigger ${mapping.name}: batching window ${window} > ${what}`
      : undefined;
  }),
  eachOf(TYPES.trigger, AWS_LIMITS.visibilityTimeoutFactor, (mapping, { limit, what }, stack) => {
    const ends = triggerEnds(mapping, stack);
    if (!ends) return `trigger ${mapping.name}: its queue or function is not in the program`;
    const needed = limit * Number(ends.fn.inputs.timeout) + batchingWindow(mapping);
    const visibility = Number(ends.queue.inputs.visibilityTimeoutSeconds ?? 30);
    return visibility < needed
      ? `queue ${ends.queue.name}: visibility timeout ${visibility} s < ${needed} s (${what})`
      : undefined;
  }),
  // A consumed queue takes every job the receiver accepted: up to SQS's largest message.
  eachOf(TYPES.trigger, AWS_LIMITS.sqsMessageBytes, (mapping, { limit }, stack) => {
    const queue = triggerEnds(mapping, stack)?.queue;
    const size = queue?.inputs.maxMessageSize;
    return queue && size !== undefined && Number(size) < limit
      ? `queue ${queue.name}: maxMessageSize below 1 MiB refuses jobs the receiver accepted`
      : undefined;
  }),
  eachOf(TYPES.alarm, AWS_LIMITS.alarmPeriodTimesEvaluations, (alarm, { limit, what }) => {
    const period = Number(alarm.inputs.period) * Number(alarm.inputs.evaluationPeriods ?? 1);
    return period > limit ? `alarm ${alarm.name}: ${period} s > ${what}` : undefined;
  }),
];

/** What AWS accepts but leaves the pipeline broken: the program's own rules, each with its check. */
const PROGRAM_RULES: readonly { rule: string; check(stack: PlannedStack): string[] }[] = [
  {
    rule: "no function reserves 0: it would throttle every invocation",
    check: (stack) =>
      stack
        .of(TYPES.fn)
        .filter((fn) => Number(fn.inputs.reservedConcurrentExecutions ?? -1) === 0)
        .map((fn) => `function ${fn.name}: reserved concurrency 0 throttles every invocation`),
  },
  {
    rule: "every alarm acts",
    check: (stack) =>
      stack
        .of(TYPES.alarm)
        .filter((alarm) => alarmActions(alarm).length === 0)
        .map((alarm) => `alarm ${alarm.name}: no alarm action`),
  },
  {
    rule: "a protected stack's alarms reach someone: a subscribed topic, or a topic outside the stack",
    check: (stack) => {
      if (!stack.protect) return [];
      const subscriptions = stack.of(TYPES.subscription);
      const heard = (action: unknown) =>
        subscriptions.some((s) => s.inputs.topic === action) ||
        !stack.of(TYPES.topic).some((topic) => topic.outputs.arn === action);
      return stack
        .of(TYPES.alarm)
        .filter((alarm) => !alarmActions(alarm).some(heard))
        .map((alarm) => `alarm ${alarm.name}: protected stack, but its actions reach nobody`);
    },
  },
];

function alarmActions(alarm: PlannedResource): unknown[] {
  return (alarm.inputs.alarmActions as unknown[] | undefined) ?? [];
}
