import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ACTIONS,
  type PolicyDocument,
  receiverPolicy,
  responderPolicy,
  senderPolicy,
} from "../../infra/policies.js";
import type { FunctionName } from "../../lambdas/contract.js";

/** The IAM action behind each AWS SDK command the Lambda code may send. */
const COMMAND_ACTIONS: Record<string, string> = {
  PutCommand: "dynamodb:PutItem",
  GetCommand: "dynamodb:GetItem",
  UpdateCommand: "dynamodb:UpdateItem",
  DeleteCommand: "dynamodb:DeleteItem",
  QueryCommand: "dynamodb:Query",
  ScanCommand: "dynamodb:Scan",
  BatchWriteCommand: "dynamodb:BatchWriteItem",
  BatchGetCommand: "dynamodb:BatchGetItem",
  SendMessageCommand: "sqs:SendMessage",
  SendMessageBatchCommand: "sqs:SendMessage",
  ChangeMessageVisibilityCommand: "sqs:ChangeMessageVisibility",
  DeleteMessageCommand: "sqs:DeleteMessage",
  ReceiveMessageCommand: "sqs:ReceiveMessage",
  GetSecretValueCommand: "secretsmanager:GetSecretValue",
};

/** Every project source file a handler loads (relative imports, followed transitively). */
function sourceClosure(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [path.resolve(entry)];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/from\s+"(\.{1,2}\/[^"]+)\.js"/g)) {
      pending.push(path.resolve(path.dirname(file), `${match[1]}.ts`));
    }
  }
  return [...seen];
}

/** The IAM actions a function's code needs, from the SDK commands it constructs. */
function actionsUsedBy(fn: FunctionName): Set<string> {
  const actions = new Set<string>();
  for (const file of sourceClosure(`lambdas/handlers/${fn}.ts`)) {
    for (const [, command] of readFileSync(file, "utf8").matchAll(
      /new\s+([A-Z]\w*Command)\s*\(/g,
    )) {
      const action = COMMAND_ACTIONS[command as string];
      if (!action) throw new Error(`${file} sends ${command}: map it to its IAM action here`);
      actions.add(action);
    }
  }
  return actions;
}

const arn = (resource: string) => `arn:aws:svc:eu-west-1:123456789012:${resource}`;
const resources = {
  logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:fn-logs",
  idempotencyTableArn: arn("table/idem"),
  conversationTableArn: arn("table/conv"),
  jobsQueueArn: arn("jobs"),
  repliesQueueArn: arn("replies"),
  signingSecretArn: arn("secret:signing"),
  vendorTokenSecretArn: arn("secret:token"),
};
const policies: Record<FunctionName, PolicyDocument> = {
  receiver: receiverPolicy(resources),
  responder: responderPolicy(resources),
  sender: senderPolicy(resources),
};
/** Actions used on the function's behalf rather than by its code. */
const platformActions: Record<FunctionName, readonly string[]> = {
  receiver: ACTIONS.writeLogs,
  responder: [...ACTIONS.writeLogs, ...ACTIONS.consumeQueue],
  sender: [...ACTIONS.writeLogs, ...ACTIONS.consumeQueue],
};

const granted = (fn: FunctionName) => new Set(policies[fn].Statement.flatMap((s) => s.Action));

describe.each(["receiver", "responder", "sender"] as const)("%s's IAM policy", (fn) => {
  it("grants every action its code sends", () => {
    const missing = [...actionsUsedBy(fn)].filter((action) => !granted(fn).has(action));
    expect(missing).toEqual([]);
  });

  it("grants no action its code and its event source do not use", () => {
    const needed = new Set([...actionsUsedBy(fn), ...platformActions[fn]]);
    expect([...granted(fn)].filter((action) => !needed.has(action))).toEqual([]);
  });
});
