import {
  contactView,
  type PendingReply,
  pendingReplies,
} from "../../lambdas/core/conversationLog.js";
import { maskPhone } from "../../lambdas/core/phone.js";
import { type Command, nextCommand } from "../command.js";
import { clip, conversationStores, parsePhone, showPhone } from "../contacts.js";
import { formatRelative } from "../duration.js";
import { UsageError } from "../errors.js";
import { renderTable, section } from "../format.js";
import { parkedReplies } from "../schedules.js";

interface Row extends PendingReply {
  /** Masked unless the operator named the contact. */
  contact: string;
}

/** Where a pending reply waits: a schedule (far replies), the replies queue, or unknown. */
type Held = "schedule" | "queue" | null;

const STATE: Record<string, string> = {
  SCHEDULED: "scheduled",
  RETRY: "retrying",
  SENDING: "sending now",
};

export const pendingCommand: Command = {
  name: "pending",
  summary: "replies scheduled and not yet sent, soonest first",
  args: "[<phone>]",
  target: "required",
  description: [
    "Lists the automated replies that are still to go out, soonest first: those of stored plans",
    "not yet sent, that the contact's state still allows (a pause, an opt-out, a newer message or",
    "an operator's cancel takes a reply off this list; `conversation <phone>` shows why).",
    "",
    "With <phone>: that contact's replies, with their texts (one Query of its partition).",
    "Without: every contact's, numbers masked to their last 4 digits and without texts. There is no",
    "list of contacts to ask one by one, so this reads the whole conversation table (a Scan): on",
    "AWS it costs about 0.5 read units per 4 KB of table, the whole table once, and takes longer",
    "the larger the table is. Ask for one contact when you can.",
    "",
    "HELD says where each reply waits: `schedule` (a reply further than one SQS hop away, parked",
    "in the stack's EventBridge Scheduler group until a few minutes before it is due: one",
    "ListSchedules page per 100 schedules) or `queue` (the replies queue). `cancel` and `pause`",
    "stop both kinds, and delete the schedules of the replies they cancel.",
  ].join("\n"),
  options: {},
  check(positionals) {
    if (positionals.length > 1) {
      throw new UsageError(`pending: one contact at most, got ${positionals.join(" ")}`);
    }
    if (positionals[0] !== undefined) parsePhone("pending", positionals[0], false);
  },
  examples: ["pending --stack prod", "pending +14155550177 --outputs local.json --json"],
  async run(context) {
    const { positionals, now, progress } = context;
    const { reader } = conversationStores(context);
    const at = now();
    const phone =
      positionals[0] === undefined ? undefined : parsePhone("pending", positionals[0], false);
    let rows: Row[];
    let scanned: number | null = null;
    if (phone !== undefined) {
      rows = pendingReplies(await reader.conversation(phone), at).map((r) => ({
        ...r,
        contact: showPhone(phone),
      }));
    } else {
      let pages = 0;
      const contacts = await reader.scanContacts((items) => {
        scanned = items;
        pages += 1;
        if (pages % 10 === 0) progress(`scanned ${items} items...`);
      });
      rows = [...contacts].flatMap(([digits, items]) =>
        pendingReplies(contactView(items), at).map((r) => ({ ...r, contact: maskPhone(digits) })),
      );
      rows.sort((a, b) => a.dueAt - b.dueAt);
    }

    const parked = await parkedReplies(context);
    const held = (r: Row): Held =>
      parked === undefined ? null : parked.has(`${r.planId}#${r.seq}`) ? "schedule" : "queue";
    const heading =
      phone === undefined
        ? `Pending replies, all contacts: ${rows.length}${scanned === null ? "" : ` (read ${scanned} items of the conversation table)`}`
        : `Pending replies to ${showPhone(phone)}: ${rows.length}`;
    const table =
      phone === undefined
        ? renderTable({
            headers: ["DUE", "CONTACT", "STATE", "HELD", "REPLY"],
            rows: rows.map((r) => [
              formatRelative(r.dueAt, at),
              r.contact,
              STATE[r.status] ?? r.status,
              held(r) ?? "",
              `${r.planId}#${r.seq + 1}`,
            ]),
            empty: "nothing scheduled: no contact has a reply waiting",
          })
        : renderTable({
            headers: ["DUE", "STATE", "HELD", "REPLY", "TEXT"],
            rows: rows.map((r) => [
              formatRelative(r.dueAt, at),
              STATE[r.status] ?? r.status,
              held(r) ?? "",
              `${r.planId}#${r.seq + 1}`,
              clip(r.text),
            ]),
            empty: "nothing scheduled for this contact",
          });
    const hint =
      phone !== undefined && rows.length > 0
        ? `\n\nStop them: ${nextCommand(context, "cancel", showPhone(phone))}`
        : "";
    return {
      ok: true,
      text: section(heading, table) + hint,
      json: {
        phone: phone ?? null,
        scannedItems: scanned,
        replies: rows.map((r) => ({
          contact: r.contact,
          planId: r.planId,
          seq: r.seq,
          state: STATE[r.status] ?? r.status,
          held: held(r),
          dueAt: new Date(r.dueAt).toISOString(),
          keep: r.keep,
          // Texts only for the contact the operator asked about.
          ...(phone === undefined ? {} : { text: r.text }),
        })),
      },
    };
  },
};
