import { MAX_REPLY_DELAY_MS } from "../../lambdas/core/replyRules.js";
import { type Command, nextCommand } from "../command.js";
import { phoneArg, showPhone } from "../contacts.js";
import { formatRelative, parseDuration } from "../duration.js";
import { section } from "../format.js";
import { deleteSchedulesOf, schedulesDeletedLine } from "../schedules.js";
import { outcomeOf, repliesTable, replyJson, steeringOf, tooLateLine } from "./steer.js";

const DEFAULT_FOR = "24h";
/**
 * A pause ends by itself, so it has an end a person can still mean: the vendor's 60-day window,
 * the longest a reply can be scheduled (and the longest human-takeover pause a stack can set).
 * For a contact who should get no automated reply at all, the contact sends a stop word.
 */
const FOR_LIMIT = { ms: MAX_REPLY_DELAY_MS, why: "the vendor's 60-day window" };

export const pauseCommand: Command = {
  name: "pause",
  summary: "automation off for a contact, as when a person takes over",
  args: "<phone>",
  target: "required",
  description: [
    "Turns automation off for one contact for a while: the same state a person at the business",
    "sets by writing to the customer (human takeover), marked as an operator's. Every unsent reply",
    "is cancelled (the sender skips it when due; the schedules of far replies are deleted), and the",
    "contact's messages until the pause ends",
    "get no automated reply (they are still logged). When it ends, automation is back on by itself;",
    "`resume` ends it early. A new pause replaces the previous one, shorter or longer.",
  ].join("\n"),
  options: {
    for: {
      type: "string",
      valueName: "DURATION",
      help: `how long, e.g. 30m, 24h, 14d; at most 60d (default ${DEFAULT_FOR})`,
    },
  },
  check(positionals, values) {
    phoneArg("pause", positionals, true);
    parseDuration("for", String(values.for ?? DEFAULT_FOR), FOR_LIMIT);
  },
  examples: ["pause +14155550177 --stack prod", "pause 14155550177 --for 3d --outputs local.json"],
  async run(context) {
    const phone = phoneArg("pause", context.positionals, true);
    const forMs = parseDuration("for", String(context.values.for ?? DEFAULT_FOR), FOR_LIMIT);
    const { stores, unsent, cutoff } = await steeringOf(context, phone);
    const at = context.now();
    const until = at + forMs;
    await stores.contacts.pause({ phone, until, now: cutoff });
    const { stopped, tooLate } = await outcomeOf(context, phone, unsent);
    const schedulesDeleted = await deleteSchedulesOf(context, stopped);
    const cancelled = stopped.length
      ? section(
          `${stopped.length} unsent repl${stopped.length === 1 ? "y" : "ies"} cancelled:`,
          repliesTable(stopped, at),
        )
      : "No reply was waiting to be sent.";
    return {
      ok: true,
      text: [
        `Paused automation for ${showPhone(phone)} until ${new Date(until).toISOString()} (${formatRelative(until, at)}).`,
        "Messages from the contact until then are logged and get no automated reply.",
        cancelled + tooLateLine(tooLate) + schedulesDeletedLine(schedulesDeleted),
        `End it early: ${nextCommand(context, "resume", showPhone(phone))}`,
      ].join("\n"),
      json: {
        phone,
        pausedUntil: new Date(until).toISOString(),
        cancelled: stopped.map(replyJson),
        tooLate: tooLate.map(replyJson),
        schedulesDeleted,
      },
    };
  },
};
