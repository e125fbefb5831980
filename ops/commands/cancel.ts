import type { Command } from "../command.js";
import { phoneArg, showPhone } from "../contacts.js";
import { section } from "../format.js";
import { deleteSchedulesOf, schedulesDeletedLine } from "../schedules.js";
import { outcomeOf, repliesTable, replyJson, steeringOf, tooLateLine } from "./steer.js";

export const cancelCommand: Command = {
  name: "cancel",
  summary: "cancel a contact's unsent replies",
  args: "<phone>",
  target: "required",
  description: [
    "Cancels every automated reply to this contact that has not been sent yet, including",
    'follow-ups due days later and plans marked onNewMessage "keep". Those on the queue stay there',
    "and the sender skips each one when it is due; `conversation` shows them as cancelled",
    "(operator). Those parked in an EventBridge Scheduler schedule (far replies) are cancelled the",
    "same way, and their schedules are deleted so they are not even fired.",
    "Automation stays on: the contact's next message gets replies as usual (to stop those too,",
    "use `pause`). A reply a sender is handing to the vendor at this moment cannot be recalled;",
    "the output says so if that happens. Cancelling cannot be undone.",
  ].join("\n"),
  options: {},
  check(positionals) {
    phoneArg("cancel", positionals, true);
  },
  examples: ["cancel +14155550177 --stack prod", "cancel 14155550177 --outputs local.json --json"],
  async run(context) {
    const phone = phoneArg("cancel", context.positionals, true);
    const { stores, view, unsent, cutoff } = await steeringOf(context, phone);
    if (unsent.length === 0) {
      return {
        ok: true,
        text: `Nothing to cancel: ${showPhone(phone)} has no unsent replies${view.contact ? "" : " (no conversation with this number)"}.`,
        json: { phone, cancelled: [], tooLate: [] },
      };
    }
    await stores.contacts.cancelPending({ phone, now: cutoff });
    const { stopped, tooLate } = await outcomeOf(context, phone, unsent);
    const schedulesDeleted = await deleteSchedulesOf(context, stopped);
    const at = context.now();
    return {
      ok: true,
      text:
        section(
          `Cancelled ${stopped.length} unsent repl${stopped.length === 1 ? "y" : "ies"} to ${showPhone(phone)}:`,
          repliesTable(stopped, at),
        ) +
        tooLateLine(tooLate) +
        schedulesDeletedLine(schedulesDeleted) +
        "\nAutomation stays on: the contact's next message gets replies (stop those with `pause`).",
      json: {
        phone,
        cancelled: stopped.map(replyJson),
        tooLate: tooLate.map(replyJson),
        schedulesDeleted,
      },
    };
  },
};
