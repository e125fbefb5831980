import { CreateScheduleCommand, type SchedulerClient } from "@aws-sdk/client-scheduler";
import { encodeQueueMessage } from "../core/messages.js";
import type { ReplyScheduler } from "../core/ports.js";

/** Where a stack's reply schedules live and what they send to (infra sets all four). */
export interface ReplyScheduleTarget {
  /** The stack's schedule group. */
  groupName: string;
  /** The replies queue (standard SQS: no MessageGroupId). */
  queueArn: string;
  /** The role the scheduler assumes; it may send to that queue only. */
  roleArn: string;
  /** The scheduler's DLQ: a reply it could not deliver after its retries. */
  deadLetterArn: string;
}

/**
 * The Scheduler's retry policy for a reply whose send to the queue fails (throttled, the queue
 * unavailable): its own defaults, written out so they are reviewed here. A reply that still
 * cannot be delivered goes to the DLQ (alarmed), body as it was.
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html
 */
const RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } as const;

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, the one-time schedule expression. */
export function atExpression(fireAt: number): string {
  return `at(${new Date(fireAt).toISOString().slice(0, 19)})`;
}

/**
 * One-time EventBridge Scheduler schedules for far replies (CreateSchedule only: the responder's
 * one grant on the group). Each schedule sends the reply, as the replies queue would carry it, to
 * that queue at its time, and is deleted after it fired (ActionAfterCompletion DELETE), so the
 * group holds only replies still to come.
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html
 */
export class EventBridgeReplyScheduler implements ReplyScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly target: ReplyScheduleTarget,
  ) {}

  async schedule(
    body: unknown,
    options: { name: string; fireAt: number },
  ): Promise<"created" | "exists"> {
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: options.name,
          GroupName: this.target.groupName,
          ScheduleExpression: atExpression(options.fireAt),
          ScheduleExpressionTimezone: "UTC",
          // OFF: fire at the time itself (a window would let it fire up to N minutes later).
          FlexibleTimeWindow: { Mode: "OFF" },
          ActionAfterCompletion: "DELETE",
          Target: {
            Arn: this.target.queueArn,
            RoleArn: this.target.roleArn,
            Input: encodeQueueMessage(body),
            DeadLetterConfig: { Arn: this.target.deadLetterArn },
            RetryPolicy: RETRY_POLICY,
          },
        }),
      );
      return "created";
    } catch (error) {
      // The name is the reply's: a retried job finds the schedule its first run made.
      if ((error as Error).name === "ConflictException") return "exists";
      throw error;
    }
  }
}
