/**
 * Least-privilege IAM policy documents for the three Lambdas, as pure functions of resource ARNs
 * (so tests can check them without Pulumi). Every statement names concrete actions and concrete
 * resources; the only wildcard is the log-stream part of a log group's ARN, whose stream names
 * Lambda chooses at run time.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Actions grouped by what a function does with a resource. */
export const ACTIONS = {
  /** Writing its own log streams (the log group exists already, created by infra). */
  writeLogs: ["logs:CreateLogStream", "logs:PutLogEvents"],
  /** What the SQS event source mapping needs to poll a queue for the function. */
  consumeQueue: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
  /** Backing off a message (the sender while the vendor, the responder while the HTTP reply
   * policy, is rate-limiting or down). */
  delayRetry: ["sqs:ChangeMessageVisibility"],
  sendToQueue: ["sqs:SendMessage"],
  readSecret: ["secretsmanager:GetSecretValue"],
  /**
   * Conversation table, responder: claim the message on CONTACT and write its MSG item with its
   * plan (conditional updates both), read back the plan of a redelivered job.
   */
  planReplies: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
  /** Conversation table, sender: read CONTACT and reply items, conditional updates of a reply item. */
  markSent: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
  /**
   * Responder, far replies: one one-time schedule per reply in the stack's group (nothing reads,
   * lists or deletes them: each deletes itself after it fired), handing it the scheduler's role.
   */
  scheduleReplies: ["scheduler:CreateSchedule"],
  passSchedulerRole: ["iam:PassRole"],
} as const;

/** The trust policy letting Lambda assume a function's role. */
export const LAMBDA_ASSUME_ROLE_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Service: "lambda.amazonaws.com" },
      Action: "sts:AssumeRole",
    },
  ],
} as const;

export interface ReceiverResources {
  logGroupArn: string;
  jobsQueueArn: string;
  signingSecretArn: string;
}

export interface ResponderResources {
  logGroupArn: string;
  conversationTableArn: string;
  jobsQueueArn: string;
  repliesQueueArn: string;
  /** Where a job that can never succeed goes at once (lambdas/contract.ts ENV.jobsDeadLetterQueueUrl). */
  jobsDeadLetterQueueArn: string;
  /** With an HTTP reply policy: its secret. */
  replyPolicy?: { secretArn: string };
  /** Far replies' schedules (infra/components/ReplySchedules.ts). */
  replySchedules?: { groupArn: string; roleArn: string };
}

export interface SenderResources {
  logGroupArn: string;
  conversationTableArn: string;
  repliesQueueArn: string;
  vendorTokenSecretArn: string;
}

/** Receiver: verify with the signing secret, enqueue a job (its one AWS call; no table). */
export function receiverPolicy(r: ReceiverResources): PolicyDocument {
  return policyDocument([
    statement("WriteOwnLogs", ACTIONS.writeLogs, [logStreamsOf(r.logGroupArn)]),
    statement("ReadSigningSecret", ACTIONS.readSecret, [r.signingSecretArn]),
    statement("EnqueueJobs", ACTIONS.sendToQueue, [r.jobsQueueArn]),
  ]);
}

/**
 * Responder: consume jobs, claim and log each message, store its plan, schedule replies,
 * dead-letter jobs that can never succeed; with an HTTP reply policy also read its secret and back
 * off jobs while it is down.
 */
export function responderPolicy(r: ResponderResources): PolicyDocument {
  const statements = [
    statement("WriteOwnLogs", ACTIONS.writeLogs, [logStreamsOf(r.logGroupArn)]),
    statement("ConsumeJobs", ACTIONS.consumeQueue, [r.jobsQueueArn]),
    statement("PlanReplies", ACTIONS.planReplies, [r.conversationTableArn]),
    statement("ScheduleReplies", ACTIONS.sendToQueue, [r.repliesQueueArn]),
    statement("DeadLetterUnusableJobs", ACTIONS.sendToQueue, [r.jobsDeadLetterQueueArn]),
  ];
  if (r.replySchedules) {
    statements.push(
      statement("ScheduleFarReplies", ACTIONS.scheduleReplies, [
        schedulesOf(r.replySchedules.groupArn),
      ]),
      {
        ...statement("HandSchedulesTheirRole", ACTIONS.passSchedulerRole, [
          r.replySchedules.roleArn,
        ]),
        // The role is for schedules only ("Grant a user permissions to pass a role",
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
        Condition: { StringEquals: { "iam:PassedToService": SCHEDULER_PRINCIPAL } },
      },
    );
  }
  if (r.replyPolicy) {
    statements.push(
      statement("ReadReplyPolicySecret", ACTIONS.readSecret, [r.replyPolicy.secretArn]),
      statement("BackOffJobs", ACTIONS.delayRetry, [r.jobsQueueArn]),
    );
  }
  return policyDocument(statements);
}

/** Sender: consume replies (and re-enqueue chained hops), check the contact, mark sent, read the token. */
export function senderPolicy(r: SenderResources): PolicyDocument {
  return policyDocument([
    statement("WriteOwnLogs", ACTIONS.writeLogs, [logStreamsOf(r.logGroupArn)]),
    statement("ConsumeReplies", ACTIONS.consumeQueue, [r.repliesQueueArn]),
    statement("BackOffReplies", ACTIONS.delayRetry, [r.repliesQueueArn]),
    statement("ChainReplyHops", ACTIONS.sendToQueue, [r.repliesQueueArn]),
    statement("MarkSent", ACTIONS.markSent, [r.conversationTableArn]),
    statement("ReadVendorToken", ACTIONS.readSecret, [r.vendorTokenSecretArn]),
  ]);
}

/** The service that assumes the scheduler's role. */
const SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com";

/**
 * The role EventBridge Scheduler assumes for the stack's reply schedules: only schedules of this
 * stack's group, in this account, may use it (the confused-deputy guard of "Set up the execution
 * role", https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
 */
export function schedulerAssumeRolePolicy(r: { accountId: string; groupArn: string }) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: SCHEDULER_PRINCIPAL },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": r.accountId, "aws:SourceArn": r.groupArn },
        },
      },
    ],
  } as const;
}

/**
 * What a reply schedule does with its role: send the reply to the stack's replies queue, and a
 * reply it could not deliver to the scheduler's DLQ (Scheduler sends to the DLQ with the same
 * role: "Configuring a dead-letter queue",
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html).
 */
export function schedulerPolicy(r: { repliesQueueArn: string; deadLetterArn: string }) {
  return policyDocument([
    statement("DeliverDueReplies", ACTIONS.sendToQueue, [r.repliesQueueArn]),
    statement("DeadLetterUndeliveredReplies", ACTIONS.sendToQueue, [r.deadLetterArn]),
  ]);
}

/**
 * `arn:…:schedule-group/NAME` → the ARN pattern of that group's schedules
 * (`arn:…:schedule/NAME/*`, the `schedule` resource type of the Service Authorization Reference,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridgescheduler.html).
 */
function schedulesOf(groupArn: string): string {
  return `${groupArn.replace(":schedule-group/", ":schedule/")}/*`;
}

/** Every broad grant this project refuses: a wildcard action, or a resource that is not one
 * concrete ARN (apart from a log group's streams). Returns the offending entries. */
export function broadGrants(document: PolicyDocument): string[] {
  const problems: string[] = [];
  for (const s of document.Statement) {
    for (const action of s.Action) {
      if (action.includes("*")) problems.push(`${s.Sid}: action ${action}`);
    }
    for (const resource of s.Resource) {
      // The two patterns a name chosen at run time needs: a log group's streams, and the
      // schedules of one schedule group (one per reply).
      const wildcard =
        resource.includes("*") &&
        !/^arn:[^*]+:log-group:[^*]+:log-stream:\*$/.test(resource) &&
        !/^arn:[^*]+:scheduler:[^*]+:schedule\/[^*/]+\/\*$/.test(resource);
      if (wildcard || !resource.startsWith("arn:")) problems.push(`${s.Sid}: resource ${resource}`);
    }
  }
  return problems;
}

function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  const document: PolicyDocument = { Version: "2012-10-17", Statement: statements };
  const problems = broadGrants(document);
  if (problems.length > 0) {
    throw new Error(`IAM policy would grant too much: ${problems.join("; ")}`);
  }
  return document;
}

function statement(sid: string, actions: readonly string[], resources: string[]): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: [...actions], Resource: resources };
}

/** `arn:…:log-group:NAME` → the ARN pattern of that group's streams. */
function logStreamsOf(logGroupArn: string): string {
  return `${logGroupArn.replace(/:\*$/, "")}:log-stream:*`;
}
