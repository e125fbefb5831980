import {
  DeleteScheduleCommand,
  paginateListSchedules,
  type SchedulerClient,
} from "@aws-sdk/client-scheduler";
import { parseReplyScheduleName, replyScheduleName } from "../lambdas/core/schedule.js";
import type { CommandContext } from "./command.js";

/**
 * Far replies parked in EventBridge Scheduler schedules (docs/scheduling.md §3a), for `pending`,
 * `cancel` and `pause`: which replies are in a schedule (ListSchedules of the stack's group), and
 * deleting the schedules of replies an operator cancelled. Deleting is optional: a cancelled
 * reply's schedule that fires is skipped by the sender (the contact's watermark); deleting it
 * saves that invocation, the SQS message and the sender's look at it.
 */

/** The stack's schedule group, when its outputs name one (stacks deployed before issue 23 do not). */
function groupOf(context: CommandContext): string | undefined {
  return context.target.outputs.scheduleNames?.group;
}

/**
 * The replies held in a schedule right now, as `<planId>#<seq>`; undefined for a stack without a
 * schedule group. One ListSchedules page per 100 schedules.
 */
export async function parkedReplies(context: CommandContext): Promise<Set<string> | undefined> {
  const group = groupOf(context);
  if (!group) return undefined;
  const parked = new Set<string>();
  for await (const page of paginateListSchedules(
    { client: context.clients.scheduler as SchedulerClient },
    { GroupName: group, State: "ENABLED" },
  )) {
    for (const schedule of page.Schedules ?? []) {
      const reply = parseReplyScheduleName(schedule.Name ?? "");
      if (reply) parked.add(`${reply.planId}#${reply.seq}`);
    }
  }
  return parked;
}

/**
 * Deletes the schedules of these replies (those that have one); returns how many it deleted.
 * A schedule that fired or was deleted meanwhile is not an error.
 */
export async function deleteSchedulesOf(
  context: CommandContext,
  replies: { planId: string; seq: number }[],
): Promise<number> {
  const group = groupOf(context);
  if (!group || replies.length === 0) return 0;
  let deleted = 0;
  for (const { planId, seq } of replies) {
    try {
      await (context.clients.scheduler as SchedulerClient).send(
        new DeleteScheduleCommand({ Name: replyScheduleName(planId, seq), GroupName: group }),
      );
      deleted += 1;
    } catch (error) {
      if ((error as Error).name !== "ResourceNotFoundException") throw error;
    }
  }
  return deleted;
}

/** The output line about deleted schedules, or nothing. */
export function schedulesDeletedLine(deleted: number): string {
  return deleted
    ? `\nDeleted ${deleted} schedule${deleted === 1 ? "" : "s"} holding ${deleted === 1 ? "it" : "them"} (EventBridge Scheduler), so ${deleted === 1 ? "it is" : "they are"} not even fired.`
    : "";
}
