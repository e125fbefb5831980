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
  /** What is limited, in which unit, and the AWS documentation page that states it. */
  what: string;
}

export const AWS_LIMITS = {
  lambdaEnvironmentBytes: {
    limit: 4096,
    what: "Lambda: all environment variable names and values of a function together, in bytes (lambda/gettingstarted-limits)",
  },
  lambdaFunctionName: { limit: 64, what: "Lambda function name, characters" },
  lambdaTimeoutSeconds: { limit: 900, what: "Lambda timeout, seconds" },
  lambdaAccountConcurrency: {
    limit: 1000,
    what: "Lambda concurrent executions per account and Region, the default quota (lambda/gettingstarted-limits; new accounts may start lower, raise it in Service Quotas)",
  },
  lambdaUnreservedConcurrency: {
    limit: 100,
    what: "Lambda concurrency the account must keep unreserved: reservations may total at most the account's concurrency minus this (API PutFunctionConcurrency)",
  },
  iamRoleName: { limit: 64, what: "IAM role name, characters" },
  iamInlinePolicyBytes: {
    limit: 10_240,
    what: "IAM inline policies of one role together, characters (whitespace excluded)",
  },
  sqsQueueName: { limit: 80, what: "SQS queue name, characters" },
  sqsMessageBytes: {
    limit: 1_048_576,
    what: "SQS message size, bytes (1 MiB; maxMessageSize may not exceed it)",
  },
  sqsDelaySeconds: { limit: 900, what: "SQS DelaySeconds of one message" },
  sqsRetentionSeconds: { limit: 1_209_600, what: "SQS message retention (14 days)" },
  sqsBatchingWindowSeconds: { limit: 300, what: "Lambda SQS event source batching window" },
  visibilityTimeoutFactor: {
    limit: 6,
    what: "SQS visibility timeout of a Lambda's queue ≥ 6 × the function timeout + batching window (sqs-configure-lambda-function-trigger)",
  },
  dynamodbTableName: { limit: 255, what: "DynamoDB table name, characters" },
  logGroupName: { limit: 512, what: "CloudWatch Logs log group name, characters" },
  snsTopicName: { limit: 256, what: "SNS topic name, characters" },
  alarmName: { limit: 255, what: "CloudWatch alarm name, characters" },
  alarmPeriodTimesEvaluations: {
    limit: 86_400,
    what: "CloudWatch alarm: period × evaluation periods, seconds (one day)",
  },
  secretName: { limit: 512, what: "Secrets Manager secret name, characters" },
  dashboardName: { limit: 255, what: "CloudWatch dashboard name, characters" },
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
export const AUTONAME_SUFFIX_LENGTH = 8;
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

export function utf8Bytes(text: string): number {
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
 * Every row of AWS_LIMITS the planned stack breaks, as readable problems (empty: none).
 * `protect` is the stack's protect setting: a protected stack's alarms must reach someone.
 * `accountConcurrency` is the account's Lambda concurrency quota (default: AWS's default quota).
 */
export function limitViolations(
  resources: PlannedResource[],
  stack: { protect: boolean; accountConcurrency?: number },
): string[] {
  const problems: string[] = [];
  const of = (type: string) => resources.filter((r) => r.type === type);
  const byArn = (arn: unknown) => resources.find((r) => r.outputs.arn === arn);

  for (const r of resources) {
    const limit = NAME_LIMITS[r.type];
    if (limit && physicalNameLength(r) > limit.limit) {
      problems.push(`${r.type} ${r.name}: name of ${physicalNameLength(r)} > ${limit.what}`);
    }
  }

  for (const fn of of("aws:lambda/function:Function")) {
    const variables = ((fn.inputs.environment as { variables?: Record<string, string> })
      ?.variables ?? {}) as Record<string, string>;
    const bytes = environmentBytes(variables);
    if (bytes > AWS_LIMITS.lambdaEnvironmentBytes.limit) {
      problems.push(
        `function ${fn.name}: environment ${bytes} B > ${AWS_LIMITS.lambdaEnvironmentBytes.what}`,
      );
    }
    if (Number(fn.inputs.timeout) > AWS_LIMITS.lambdaTimeoutSeconds.limit) {
      problems.push(
        `function ${fn.name}: timeout ${fn.inputs.timeout} > ${AWS_LIMITS.lambdaTimeoutSeconds.what}`,
      );
    }
    const delay = variables.MAX_SQS_DELAY_SECONDS;
    if (delay !== undefined && Number(delay) > AWS_LIMITS.sqsDelaySeconds.limit) {
      problems.push(
        `function ${fn.name}: MAX_SQS_DELAY_SECONDS ${delay} > ${AWS_LIMITS.sqsDelaySeconds.what}`,
      );
    }
    const body = variables.MAX_BODY_BYTES;
    if (body !== undefined) {
      const jobBytes = Number(body) * JOB_BYTES_PER_BODY_BYTE + JOB_ENVELOPE_BYTES;
      if (jobBytes > AWS_LIMITS.sqsMessageBytes.limit) {
        problems.push(
          `function ${fn.name}: MAX_BODY_BYTES ${body} lets a job reach ${jobBytes} B > ${AWS_LIMITS.sqsMessageBytes.what}`,
        );
      }
    }
  }

  // Reserved concurrency of every function together (reservedConcurrentExecutions -1 = none).
  let reserved = 0;
  for (const fn of of("aws:lambda/function:Function")) {
    const n = Number(fn.inputs.reservedConcurrentExecutions ?? -1);
    if (n === 0)
      problems.push(`function ${fn.name}: reserved concurrency 0 throttles every invocation`);
    if (n > 0) reserved += n;
  }
  const reservation = reservationProblem(
    reserved,
    stack.accountConcurrency ?? AWS_LIMITS.lambdaAccountConcurrency.limit,
  );
  if (reservation) problems.push(`functions: ${reservation}`);

  const policiesByRole = new Map<unknown, number>();
  for (const policy of of("aws:iam/rolePolicy:RolePolicy")) {
    const size = String(policy.inputs.policy ?? "").replace(/\s/g, "").length;
    policiesByRole.set(policy.inputs.role, (policiesByRole.get(policy.inputs.role) ?? 0) + size);
  }
  for (const [role, size] of policiesByRole) {
    if (size > AWS_LIMITS.iamInlinePolicyBytes.limit) {
      problems.push(
        `role ${String(role)}: inline policies ${size} > ${AWS_LIMITS.iamInlinePolicyBytes.what}`,
      );
    }
  }

  for (const queue of of("aws:sqs/queue:Queue")) {
    const size = Number(queue.inputs.maxMessageSize ?? 262_144);
    if (size > AWS_LIMITS.sqsMessageBytes.limit) {
      problems.push(
        `queue ${queue.name}: maxMessageSize ${size} > ${AWS_LIMITS.sqsMessageBytes.what}`,
      );
    }
    const retention = Number(queue.inputs.messageRetentionSeconds ?? 345_600);
    if (retention > AWS_LIMITS.sqsRetentionSeconds.limit) {
      problems.push(
        `queue ${queue.name}: retention ${retention} > ${AWS_LIMITS.sqsRetentionSeconds.what}`,
      );
    }
  }

  for (const mapping of of("aws:lambda/eventSourceMapping:EventSourceMapping")) {
    const queue = byArn(mapping.inputs.eventSourceArn);
    const fn = byArn(mapping.inputs.functionName);
    const window = Number(mapping.inputs.maximumBatchingWindowInSeconds ?? 0);
    if (window > AWS_LIMITS.sqsBatchingWindowSeconds.limit) {
      problems.push(
        `trigger ${mapping.name}: batching window ${window} > ${AWS_LIMITS.sqsBatchingWindowSeconds.what}`,
      );
    }
    if (!queue || !fn) {
      problems.push(`trigger ${mapping.name}: its queue or function is not in the program`);
      continue;
    }
    const needed = AWS_LIMITS.visibilityTimeoutFactor.limit * Number(fn.inputs.timeout) + window;
    const visibility = Number(queue.inputs.visibilityTimeoutSeconds ?? 30);
    if (visibility < needed) {
      problems.push(
        `queue ${queue.name}: visibility timeout ${visibility} s < ${needed} s (${AWS_LIMITS.visibilityTimeoutFactor.what})`,
      );
    }
    if (
      queue.inputs.maxMessageSize !== undefined &&
      Number(queue.inputs.maxMessageSize) < AWS_LIMITS.sqsMessageBytes.limit
    ) {
      problems.push(
        `queue ${queue.name}: maxMessageSize below 1 MiB refuses jobs the receiver accepted`,
      );
    }
  }

  const subscriptions = of("aws:sns/topicSubscription:TopicSubscription");
  for (const alarm of of("aws:cloudwatch/metricAlarm:MetricAlarm")) {
    const actions = (alarm.inputs.alarmActions as unknown[] | undefined) ?? [];
    if (actions.length === 0) problems.push(`alarm ${alarm.name}: no alarm action`);
    const period = Number(alarm.inputs.period) * Number(alarm.inputs.evaluationPeriods ?? 1);
    if (period > AWS_LIMITS.alarmPeriodTimesEvaluations.limit) {
      problems.push(
        `alarm ${alarm.name}: ${period} s > ${AWS_LIMITS.alarmPeriodTimesEvaluations.what}`,
      );
    }
    if (stack.protect) {
      // Someone must hear it: a subscription on a topic it notifies, or a topic outside the stack.
      const heard = actions.some(
        (action) =>
          subscriptions.some((s) => s.inputs.topic === action) ||
          !resources.some((r) => r.type === "aws:sns/topic:Topic" && r.outputs.arn === action),
      );
      if (!heard)
        problems.push(`alarm ${alarm.name}: protected stack, but its actions reach nobody`);
    }
  }
  return problems;
}
