import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { schedulerAssumeRolePolicy, schedulerPolicy } from "../policies.js";

export interface ReplySchedulesArgs {
  /** The replies queue: the one target the schedules may send to. */
  repliesQueueArn: pulumi.Input<string>;
}

/** As the pipeline's other DLQs: as long as SQS keeps anything, for inspection and redrive. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/**
 * Far replies' schedules (docs/scheduling.md §3a): the stack's EventBridge Scheduler schedule
 * group, where the responder makes one one-time schedule per reply further than one SQS hop away;
 * the role the scheduler assumes to put a reply on the replies queue (only that queue, and only
 * for this group's schedules); and the scheduler's DLQ for a reply it could not deliver (its
 * depth alarm is one of the pipeline's DLQ alarms). The schedules themselves are the responder's,
 * made at run time and deleted by the scheduler once fired; none is a Pulumi resource.
 */
export class ReplySchedules extends pulumi.ComponentResource {
  readonly group: aws.scheduler.ScheduleGroup;
  readonly role: aws.iam.Role;
  readonly deadLetterQueue: aws.sqs.Queue;

  constructor(name: string, args: ReplySchedulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("whatsable:schedules:ReplySchedules", name, {}, opts);
    this.group = new aws.scheduler.ScheduleGroup(name, {}, { parent: this });
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: DLQ_RETENTION_SECONDS, sqsManagedSseEnabled: true },
      { parent: this },
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        // The account is the group's (arn:partition:scheduler:region:ACCOUNT:schedule-group/…).
        assumeRolePolicy: this.group.arn.apply((groupArn) =>
          JSON.stringify(
            schedulerAssumeRolePolicy({ accountId: groupArn.split(":")[4] ?? "", groupArn }),
          ),
        ),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .output({
            repliesQueueArn: args.repliesQueueArn,
            deadLetterArn: this.deadLetterQueue.arn,
          })
          .apply((resources) => JSON.stringify(schedulerPolicy(resources))),
      },
      { parent: this },
    );
    this.registerOutputs({
      groupName: this.group.name,
      deadLetterQueueName: this.deadLetterQueue.name,
    });
  }
}
