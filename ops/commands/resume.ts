import { type Command, nextCommand } from "../command.js";
import {
  contactStatus,
  conversationStores,
  describeStatus,
  phoneArg,
  showPhone,
  statusJson,
} from "../contacts.js";
import { formatRelative } from "../duration.js";

export const resumeCommand: Command = {
  name: "resume",
  summary: "automation back on for a contact",
  args: "<phone>",
  target: "required",
  description: [
    "Ends a contact's pause (an operator's `pause` or a person's takeover) now: its next message",
    "gets automated replies again. Replies cancelled by the pause stay cancelled.",
    "",
    "A contact that opted out (sent a stop word) stays opted out: the customer asked for no",
    "more messages, and a start word from them opts back in. Only if the customer asked you",
    "directly to write again, add --opt-in; without it resume changes nothing for such a",
    "contact and exits 1.",
  ].join("\n"),
  options: {
    "opt-in": {
      type: "boolean",
      help: "also lift the contact's opt-out (only when the customer asked for it)",
    },
  },
  check(positionals) {
    phoneArg("resume", positionals, true);
  },
  examples: [
    "resume +14155550177 --stack prod",
    "resume 14155550177 --opt-in --outputs local.json",
  ],
  async run(context) {
    const phone = phoneArg("resume", context.positionals, true);
    const optIn = context.values["opt-in"] === true;
    const { contacts } = conversationStores(context);
    const at = context.now();
    const before = contactStatus(await contacts.getContact(phone), at);
    const shown = showPhone(phone);
    if (before.optedOut && !optIn) {
      return {
        ok: false,
        text: [
          `${shown} opted out${before.optedOutAt === null ? "" : ` ${formatRelative(before.optedOutAt, at)}`} (sent a stop word): nothing changed, automation stays off.`,
          "The contact opts back in by sending a start word. If the customer asked you to write again,",
          `run: ${nextCommand(context, "resume", shown, "--opt-in")}`,
        ].join("\n"),
        json: { phone, changed: false, reason: "opted-out", contact: statusJson(before) },
      };
    }
    if (before.automation === "on") {
      return {
        ok: true,
        text: `Nothing to resume: automation is already on for ${shown}.`,
        json: { phone, changed: false, contact: statusJson(before) },
      };
    }
    await contacts.resume({ phone, now: at, optIn: optIn && before.optedOut });
    const after = contactStatus(await contacts.getContact(phone), context.now());
    return {
      ok: after.automation === "on",
      text: [
        `${shown}: ${describeStatus(after, at)}${before.optedOut ? " (opted in by an operator)" : ""}.`,
        "Its next message gets automated replies; replies cancelled before stay cancelled.",
      ].join("\n"),
      json: { phone, changed: true, contact: statusJson(after) },
    };
  },
};
