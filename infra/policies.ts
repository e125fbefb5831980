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

/** Every broad grant this project refuses: a wildcard action, or a resource that is not one
 * concrete ARN (apart from a log group's streams). Returns the offending entries. */
export function broadGrants(document: PolicyDocument): string[] {
  const problems: string[] = [];
  for (const s of document.Statement) {
    for (const action of s.Action) {
      if (action.includes("*")) problems.push(`${s.Sid}: action ${action}`);
    }
    for (const resource of s.Resource) {
      const wildcard =
        resource.includes("*") && !/^arn:[^*]+:log-group:[^*]+:log-stream:\*$/.test(resource);
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
