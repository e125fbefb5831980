import { HttpReplyPolicyClient } from "../../lambdas/adapters/HttpReplyPolicyClient.js";
import { SecretsManagerSecretSource } from "../../lambdas/adapters/SecretsManagerSecretSource.js";
import { DEFAULTS } from "../../lambdas/contract.js";
import type { ContactState } from "../../lambdas/core/conversation.js";
import type { ConversationItem, NoReplyReason } from "../../lambdas/core/conversationLog.js";
import { type NormalizedWebhook, webhookFrom } from "../../lambdas/core/messages.js";
import { maskPhone } from "../../lambdas/core/phone.js";
import type { SecretSource } from "../../lambdas/core/ports.js";
import {
  type AskPolicy,
  checkOperatorPolicy,
  ReplyPolicyConfigError,
  rulesThenHttpPolicy,
} from "../../lambdas/core/replyPolicy.js";
import {
  asDecision,
  matchRule,
  parseReplyRules,
  type ReplyPlanMessage,
  type ReplyPolicyInput,
  type ReplyRule,
  renderRuleMessages,
} from "../../lambdas/core/replyRules.js";
import type { ReplyRuleDocument } from "../../lambdas/core/ruleDocument.js";
import type { Command, CommandContext, CommandResult } from "../command.js";
import { clip } from "../contacts.js";
import { DynamoConversationReader } from "../conversationReader.js";
import { formatDuration, parseDuration } from "../duration.js";
import { messageOf, OpsError, UsageError } from "../errors.js";
import { renderTable, section } from "../format.js";
import { REQUIRED_OUTPUTS, requireOutputs } from "../outputs.js";
import { readStackFileConfig } from "../stackFile.js";
import { readRulesDocument } from "./validate.js";

/**
 * `replay`: what a rules change would have done to the customers' messages of a recent window.
 * Reads the logged customer messages (the conversation table's MSG items) and answers each with
 * today's rules and with the new ones through the responder's own code (matchRule and
 * renderRuleMessages: conditions, business hours and dates judged at the message's own time,
 * placeholders filled from what the log keeps), sending nothing and writing nothing.
 *
 * Respecting the customers: contacts that opted out are left out, and so are the messages the
 * rules never saw (a pause, an opt-out or a stop word answered them); numbers are masked to
 * their last 4 digits, and texts (the customer's and the replies') appear only with --show-text.
 */

/** The first words of the answer when the two rule sets are the same (CI posts nothing then). */
const SAME_RULES = "Nothing to replay";

/** Reasons the responder gave a message no plan without asking the rules. */
const NOT_ASKED: ReadonlySet<NoReplyReason> = new Set<NoReplyReason>([
  "invalid_phone",
  "older_than_newest",
  "opted_out",
  "paused",
  "already_opted_out",
  "outgoing",
]);

type ReplayVerdict = "unchanged" | "changed" | "newly answered" | "no longer answered";

interface Answer {
  /** The rule's name; "policy" when the HTTP reply policy answered (--policy). */
  rule?: string;
  /** Why the HTTP reply policy gave no plan (--policy): its error, never the message. */
  policyError?: string;
  /** Texts only with --show-text. */
  messages: (Omit<ReplyPlanMessage, "text"> & { text?: string })[];
}

interface ReplayRow {
  at: string;
  contact: string;
  text?: string;
  verdict: ReplayVerdict;
  current: Answer;
  proposed: Answer;
}

/** The webhook a logged message stood for, as far as the log keeps it (no name, no labels). */
function webhookOfLoggedMessage(item: ConversationItem): NormalizedWebhook {
  return webhookFrom({
    phone: item.phone,
    userId: item.userId,
    lastMessageOfUser: item.content,
    messageType: item.contentType,
    userLastMessageTimeMs: Date.parse(item.at),
    attachmentUrl: item.mediaUrl,
    incomingMessage: true,
  });
}

/** How a rule is named in the output: its name, else its position. */
const ruleLabel = (rule: ReplyRule) => rule.name ?? `rule ${rule.index}`;

/** How the HTTP reply policy's answers are labelled (--policy). */
const POLICY_ANSWER = "policy";

/**
 * The answer of one rules set, by the responder's code: the rules first, and with --policy a
 * message no rule answers goes to the HTTP reply policy exactly as the responder sends it
 * (rulesThenHttpPolicy). Without --policy such a message has no answer here.
 */
async function answer(
  rules: readonly ReplyRule[],
  input: ReplyPolicyInput,
  askPolicy: AskPolicy | undefined,
): Promise<Answer> {
  const rule = matchRule(rules, input);
  if (rule) return { rule: ruleLabel(rule), messages: renderRuleMessages(rule, input.webhook) };
  if (!askPolicy) return { messages: [] };
  try {
    const plan = await rulesThenHttpPolicy(rules, askPolicy)(input);
    return { rule: POLICY_ANSWER, messages: asDecision(plan).messages };
  } catch (error) {
    // The policy client's errors name the field or the status, never the message's text.
    return { rule: POLICY_ANSWER, policyError: messageOf(error), messages: [] };
  }
}

/** Asks the policy once per message, whichever rules set sends it there: one request each. */
function askOnce(ask: AskPolicy): AskPolicy {
  const asked = new Map<string, ReturnType<AskPolicy>>();
  return (question) => {
    const known = asked.get(question.id);
    if (known) return known;
    const pending = ask(question);
    asked.set(question.id, pending);
    return pending;
  };
}

/** A secret that is given, not fetched (REPLY_POLICY_SECRET). */
const givenSecret = (value: string): SecretSource => ({ get: async () => value });

/**
 * The stack's HTTP reply policy as the responder calls it (--policy): its URL from --policy-url,
 * else the stack file's replyPolicyUrl (--stack NAME); its secret from REPLY_POLICY_SECRET, else
 * from the stack's Secrets Manager (the outputs' secretArns.replyPolicy). The same client as the
 * responder's (HttpReplyPolicyClient), so the same signed request.
 */
async function stackPolicy({
  target,
  clients,
  values,
  root,
  env,
}: CommandContext): Promise<AskPolicy> {
  let url = values["policy-url"] as string | undefined;
  if (url === undefined && typeof values.stack === "string") {
    const name = values.stack.split("/").at(-1) as string;
    try {
      const { raw } = await readStackFileConfig(root, name);
      url = raw.values[`${raw.namespace}:replyPolicyUrl`];
    } catch {
      // No stack file here: the message below says what to give instead.
    }
  }
  if (!url) {
    throw new UsageError(
      "replay --policy: which policy? give --policy-url URL (or --stack NAME with its stack file here, which sets replyPolicyUrl)",
    );
  }
  const fromEnv = env.REPLY_POLICY_SECRET?.trim() || undefined;
  try {
    checkOperatorPolicy(url, fromEnv);
  } catch (error) {
    if (error instanceof ReplyPolicyConfigError) throw new UsageError(error.message);
    throw error;
  }
  let secret: SecretSource;
  if (fromEnv) {
    secret = givenSecret(fromEnv);
  } else {
    const { secretArns } = requireOutputs(target.outputs, ["secretArns"], target.source);
    const secretId = secretArns.replyPolicy;
    if (!secretId) {
      throw new OpsError(
        `${target.source} has no "secretArns.replyPolicy" (a stack with replyPolicyUrl exports it): set REPLY_POLICY_SECRET instead`,
      );
    }
    secret = new SecretsManagerSecretSource(clients.secretsManager, secretId, {
      maxAgeSeconds: 3600,
    });
  }
  const client = new HttpReplyPolicyClient(
    { url, timeoutMs: DEFAULTS.replyPolicyTimeoutMs },
    secret,
  );
  return askOnce((question) => client.ask(question));
}

/** An answer without its texts (rendered placeholders can hold the contact's number). */
function withoutTexts(answer: Answer): Answer {
  return {
    ...answer,
    messages: answer.messages.map(({ text: _text, ...rest }) => rest),
  };
}

function verdictOf(current: Answer, proposed: Answer): ReplayVerdict {
  if (current.messages.length === 0 && proposed.messages.length === 0) return "unchanged";
  if (current.messages.length === 0) return "newly answered";
  if (proposed.messages.length === 0) return "no longer answered";
  return JSON.stringify(current.messages) === JSON.stringify(proposed.messages)
    ? "unchanged"
    : "changed";
}

function describeAnswer(answer: Answer, showText: boolean): string {
  if (answer.policyError !== undefined) return `${answer.rule}: error (${answer.policyError})`;
  if (answer.messages.length === 0) return answer.rule ? `${answer.rule}: no reply` : "no reply";
  const replies = answer.messages
    .map((m) =>
      showText
        ? `+${formatDuration(m.delayMs)} ${JSON.stringify(clip(m.text ?? ""))}`
        : `+${formatDuration(m.delayMs)}`,
    )
    .join(", ");
  return `${answer.rule}: ${answer.messages.length} ${answer.messages.length === 1 ? "reply" : "replies"} (${replies})`;
}

function compileRules(option: string, file: string, document: ReplyRuleDocument[]): ReplyRule[] {
  try {
    return parseReplyRules(document);
  } catch (error) {
    throw new UsageError(`${option} ${file}: ${(error as Error).message}`);
  }
}

/** Today's rules: --current, else the stack file of --stack NAME in this directory. */
function currentRulesFile(values: Record<string, string | boolean | undefined>): string {
  if (typeof values.current === "string") return values.current;
  if (typeof values.stack === "string") return `Pulumi.${values.stack.split("/").at(-1)}.yaml`;
  throw new UsageError(
    "replay: which rules are today's? give --current FILE (a rules file or a stack file; with --stack NAME it defaults to Pulumi.NAME.yaml)",
  );
}

export const replayCommand: Command = {
  name: "replay",
  summary: "what a rules change would have answered to recent customers (sends nothing)",
  args: "",
  target: "required",
  description: [
    "Reads the customers' messages of the window from the conversation table and answers each",
    "with today's rules (--current) and with the new ones (--rules), through the responder's own",
    "code: conditions, business hours and dates at the message's own time, placeholders filled.",
    "Sends nothing, writes nothing. Without --policy it asks no HTTP reply policy: a message no",
    'rule answers shows as "no reply" (your policy would be asked). Prints each message whose',
    "answer would change, and counts: unchanged, changed, newly answered, no longer answered.",
    "",
    "--policy: a message a rules set leaves unanswered is sent to the stack's HTTP reply policy,",
    "once, with the responder's request (same client, signature and webhook-id; the webhook as",
    'the log keeps it: no name, labels or earlier messages), and its plan shows as the "policy"',
    "answer. The policy cannot tell a replay from a live message: whatever it does on your side",
    "when asked (CRM notes, counters, its own messages) it does again. URL: --policy-url, else",
    "the stack file's replyPolicyUrl (--stack); secret: REPLY_POLICY_SECRET, else the stack's",
    `secret (secretArns.replyPolicy). One call per message, one at a time, each up to ${DEFAULTS.replyPolicyTimeoutMs / 1000} s.`,
    "",
    "Left out: contacts that opted out, and messages the rules never saw (paused, opted out, stop",
    "words). The log keeps neither the contact's name nor its labels: name placeholders take their",
    "fallback in both answers, and label conditions see no labels.",
    "",
    "--rules and --current each take a rules JSON file or a stack file (its replyRules or",
    "replyRulesFile). Numbers are masked to their last 4 digits; texts only with --show-text.",
    "Reads the whole table (a Scan, about 0.5 read units per 4 KB on AWS).",
  ].join("\n"),
  options: {
    rules: {
      type: "string",
      valueName: "FILE",
      help: "the new rules (a rules JSON file or a stack file)",
    },
    current: {
      type: "string",
      valueName: "FILE",
      help: "today's rules (default with --stack NAME: Pulumi.NAME.yaml here)",
    },
    since: {
      type: "string",
      valueName: "DURATION",
      help: "the window, e.g. 24h or 7d (default 7d)",
    },
    "show-text": { type: "boolean", help: "show the customers' texts and the replies' texts" },
    policy: {
      type: "boolean",
      help: "ask the stack's HTTP reply policy about messages no rule answers (it may act on them)",
    },
    "policy-url": {
      type: "string",
      valueName: "URL",
      help: "with --policy: the policy's URL (default: the stack file's replyPolicyUrl)",
    },
  },
  check(positionals, values) {
    if (positionals.length > 0) {
      throw new UsageError(`replay takes no arguments (got ${positionals.join(" ")})`);
    }
    if (typeof values.rules !== "string") {
      throw new UsageError("replay: which new rules? give --rules FILE");
    }
    if (values.since !== undefined) parseDuration("since", values.since as string);
    currentRulesFile(values);
    if (values["policy-url"] !== undefined && values.policy !== true) {
      throw new UsageError("replay: --policy-url is used only with --policy");
    }
  },
  examples: [
    "replay --rules rules/new.json --current local/defaultRules.json --outputs local.json",
    "replay --rules Pulumi.prod.yaml --current main/Pulumi.prod.yaml --since 7d --stack prod",
  ],
  async run(context): Promise<CommandResult> {
    const { target, clients, values, now, progress } = context;
    const showText = values["show-text"] === true;
    const proposedFile = values.rules as string;
    const currentFile = currentRulesFile(values);
    const proposedDocument = readRulesDocument("--rules", proposedFile);
    const currentDocument = readRulesDocument("--current", currentFile);
    if (JSON.stringify(proposedDocument) === JSON.stringify(currentDocument)) {
      // Nothing to compare: no Scan (CI runs replay on every pull request).
      return {
        ok: true,
        text: `${SAME_RULES}: ${proposedFile} and ${currentFile} hold the same reply rules.`,
        json: { sameRules: true, rules: proposedFile, current: currentFile },
      };
    }
    const proposedRules = compileRules("--rules", proposedFile, proposedDocument);
    const currentRules = compileRules("--current", currentFile, currentDocument);
    const windowMs = parseDuration("since", (values.since as string | undefined) ?? "7d");
    const { tableNames } = requireOutputs(target.outputs, REQUIRED_OUTPUTS.replay, target.source);
    const askPolicy = values.policy === true ? await stackPolicy(context) : undefined;
    const reader = new DynamoConversationReader(clients.dynamo, tableNames.conversation);
    const at = now();
    const since = new Date(at - windowMs).toISOString();
    let pages = 0;
    const byContact = await reader.scanCustomerMessages(since, (scanned) => {
      pages += 1;
      if (pages % 10 === 0) progress(`scanned ${scanned} items...`);
    });

    const rows: ReplayRow[] = [];
    let optedOut = 0;
    let notAsked = 0;
    for (const [phone, items] of byContact) {
      const contact = items.find((item) => item.sk === "CONTACT") as ContactState | undefined;
      const messages = items.filter((item) =>
        String(item.sk).startsWith("MSG#"),
      ) as unknown as ConversationItem[];
      if (contact?.optedOut) {
        optedOut += messages.length;
        continue;
      }
      for (const message of messages) {
        if (
          (message.noReplyReason && NOT_ASKED.has(message.noReplyReason)) ||
          message.plan?.source === "opt-out-confirmation"
        ) {
          notAsked += 1;
          continue;
        }
        const input: ReplyPolicyInput = {
          webhook: webhookOfLoggedMessage(message),
          acceptedAt: Date.parse(message.at),
          jobKey: message.messageKey,
        };
        const current = await answer(currentRules, input, askPolicy);
        const proposed = await answer(proposedRules, input, askPolicy);
        rows.push({
          at: message.at,
          contact: maskPhone(phone),
          ...(showText ? { text: message.content } : {}),
          verdict: verdictOf(current, proposed),
          current: showText ? current : withoutTexts(current),
          proposed: showText ? proposed : withoutTexts(proposed),
        });
      }
    }
    rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const counts: Record<ReplayVerdict, number> = {
      unchanged: 0,
      changed: 0,
      "newly answered": 0,
      "no longer answered": 0,
    };
    for (const row of rows) counts[row.verdict] += 1;
    const policyAnswered = rows.filter(
      (row) => row.current.rule === POLICY_ANSWER || row.proposed.rule === POLICY_ANSWER,
    ).length;
    const differing = rows.filter((row) => row.verdict !== "unchanged");
    const usesLabels = [...currentRules, ...proposedRules].some((rule) => rule.conditions.labels);

    const heading = `Replay of ${rows.length} customer messages since ${since} (${formatDuration(windowMs)}): ${proposedFile} against ${currentFile}`;
    const summary = [
      `  unchanged           ${counts.unchanged}`,
      `  changed             ${counts.changed}`,
      `  newly answered      ${counts["newly answered"]}`,
      `  no longer answered  ${counts["no longer answered"]}`,
      ...(askPolicy ? [`  asked the policy    ${policyAnswered}`] : []),
      `  left out            ${optedOut + notAsked} (${optedOut} from contacts who opted out, ${notAsked} the rules never saw)`,
    ].join("\n");
    const table = renderTable({
      headers: [
        "AT",
        "CONTACT",
        ...(showText ? ["MESSAGE"] : []),
        "CHANGE",
        "TODAY",
        "WITH THE NEW RULES",
      ],
      rows: differing.map((row) => [
        row.at.slice(0, 16).replace("T", " "),
        row.contact,
        ...(showText ? [JSON.stringify(clip(row.text ?? "", 40))] : []),
        row.verdict,
        describeAnswer(row.current, showText),
        describeAnswer(row.proposed, showText),
      ]),
      empty: "no message would be answered differently",
    });
    const notes = [
      askPolicy
        ? "Nothing was sent to customers. The HTTP reply policy was asked about the messages no rule answers."
        : "Nothing was sent. A message no rule answers would go to the stack's HTTP reply policy, if it has one (--policy asks it).",
      ...(usesLabels
        ? [
            "Rules with labels were judged without labels: the log does not keep a contact's labels.",
          ]
        : []),
    ];
    return {
      ok: true,
      text: [
        section(heading, summary),
        section("Messages answered differently:", table),
        notes.join("\n"),
      ].join("\n\n"),
      json: {
        sameRules: false,
        since,
        rules: proposedFile,
        current: currentFile,
        counts: {
          ...counts,
          ...(askPolicy ? { askedPolicy: policyAnswered } : {}),
          leftOut: { optedOut, notAskedRules: notAsked },
        },
        messages: differing,
      },
    };
  },
};
