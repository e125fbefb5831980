import type { Command } from "../command.js";
import {
  clip,
  contactStatus,
  conversationStores,
  describeReplyState,
  describeStatus,
  isUnsent,
  phoneArg,
  replyRows,
  showPhone,
  statusJson,
} from "../contacts.js";
import { formatDuration, formatRelative, parseDuration } from "../duration.js";
import { NONE, renderTable, section } from "../format.js";

const DEFAULT_SINCE = "7d";

const WHO = {
  customer: "customer",
  human: "business (person)",
  business: "business",
  bot: "bot reply",
} as const;

interface Line {
  /** Epoch ms the line sorts by: a message's time, a reply's sent time, else its due time. */
  at: number;
  who: (typeof WHO)[keyof typeof WHO];
  text: string;
  /** Messages: why one got no reply; replies: their state. */
  state: string;
  dueAt: number | null;
  sentAt: number | null;
  unsent: boolean;
}

export const conversationCommand: Command = {
  name: "conversation",
  summary: "a contact's messages in order, with each reply's state",
  args: "<phone>",
  target: "required",
  description: [
    "Shows one contact's conversation as the pipeline recorded it, oldest first: the customer's",
    "messages, what people at the business wrote, and each automated reply with its state and",
    "its due and sent times:",
    "  scheduled   waiting for its due time (or retrying after a failed attempt)",
    "  sending     a sender is calling the vendor right now",
    "  sent        the vendor accepted it",
    "  failed      the vendor refused it, or every attempt failed (see `dlq replies`)",
    "  cancelled   not sent, and why: superseded (a newer customer message), human (a person at",
    "              the business wrote), opt-out (a stop word), operator (cancel / pause);",
    "              'when due' means the sender has not reached it yet and will skip it",
    "  unknown     a sender stopped during the vendor call; not resent (at most once)",
    "Above the table: the contact's state (paused until when and by whom, opted out).",
    "The phone number may be written with + and spaces. One strongly consistent Query of the",
    "contact's partition in the conversation table.",
  ].join("\n"),
  options: {
    since: {
      type: "string",
      valueName: "DURATION",
      help: `only what happened in this window, e.g. 24h, 30d (default ${DEFAULT_SINCE}); replies\nstill to come are always shown`,
    },
  },
  check(positionals, values) {
    phoneArg("conversation", positionals, false);
    parseDuration("since", String(values.since ?? DEFAULT_SINCE));
  },
  examples: [
    "conversation +14155550177 --stack prod",
    "conversation 14155550177 --since 30d --outputs local.json --json",
  ],
  async run(context) {
    const { positionals, values, now } = context;
    const phone = phoneArg("conversation", positionals, false);
    const sinceMs = parseDuration("since", String(values.since ?? DEFAULT_SINCE));
    const { reader } = conversationStores(context);
    const view = await reader.conversation(phone);
    const at = now();
    const from = at - sinceMs;
    const status = contactStatus(view.contact, at);
    const replies = replyRows(view, at);

    const lines: Line[] = [
      ...view.messages.map((m) => ({
        at: Date.parse(m.at),
        who:
          m.role === "user"
            ? WHO.customer
            : m.human === true
              ? WHO.human
              : (WHO.business as Line["who"]),
        text: m.content || (m.mediaUrl ? "(attachment)" : ""),
        state: m.noReplyReason ? `no reply: ${m.noReplyReason.replaceAll("_", " ")}` : "",
        dueAt: null,
        sentAt: null,
        unsent: false,
      })),
      ...replies.map((r) => ({
        at: r.sentAt ?? r.dueAt ?? 0,
        who: WHO.bot,
        text: r.text,
        state: describeReplyState(r),
        dueAt: r.dueAt,
        sentAt: r.sentAt,
        unsent: isUnsent(r),
      })),
    ].sort((a, b) => a.at - b.at);
    // Replies still to come (due later, or overdue but unsent) are shown whatever the window.
    const shown = lines.filter((line) => line.at >= from || line.unsent);
    const hidden = lines.length - shown.length;
    const shownReplies = replies.filter((r) => (r.sentAt ?? r.dueAt ?? 0) >= from || isUnsent(r));

    const known = view.contact !== undefined || lines.length > 0;
    const heading = `Contact ${showPhone(phone)}: ${known ? describeStatus(status, at) : "not in the conversation table"}`;
    const empty = known
      ? `nothing in the last ${formatDuration(sinceMs)}`
      : "no message from or to this number (messages are kept 90 days); check the number";
    const text = section(
      heading,
      [
        renderTable({
          headers: ["TIME", "FROM", "STATE", "DUE", "SENT", "TEXT"],
          rows: shown.map((line) => [
            line.at ? formatRelative(line.at, at) : NONE,
            line.who,
            line.state || NONE,
            line.dueAt === null ? NONE : formatRelative(line.dueAt, at),
            line.sentAt === null ? NONE : formatRelative(line.sentAt, at),
            clip(line.text),
          ]),
          empty,
        }),
        ...(hidden > 0
          ? [
              `  (${hidden} earlier line${hidden === 1 ? "" : "s"} not shown: widen the window with --since, e.g. --since 30d)`,
            ]
          : []),
      ].join("\n"),
    );
    return {
      ok: true,
      text,
      json: {
        phone,
        known,
        since: new Date(from).toISOString(),
        contact: statusJson(status),
        messages: view.messages
          .filter((m) => Date.parse(m.at) >= from)
          .map((m) => ({
            at: m.at,
            role: m.role,
            human: m.human ?? null,
            text: m.content,
            mediaUrl: m.mediaUrl,
            planId: m.planId ?? null,
            noReplyReason: m.noReplyReason ?? null,
          })),
        replies: shownReplies.map((r) => ({
          ...r,
          dueAt: r.dueAt === null ? null : new Date(r.dueAt).toISOString(),
          sentAt: r.sentAt === null ? null : new Date(r.sentAt).toISOString(),
        })),
      },
    };
  },
};
