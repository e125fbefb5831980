import * as z from "zod/mini";
import {
  type BusinessHours,
  type BusinessHoursSpec,
  businessHoursHold,
  compileBusinessHours,
  compileDates,
  type Dates,
  type DatesSpec,
  datesHold,
  WEEKDAYS,
} from "./businessHours.js";
import { ConfigurationError, ReplyRulesError, type RuleProblem } from "./errors.js";
import { ENGLISH_ISSUES, type NormalizedWebhook } from "./messages.js";
import {
  describeBlankText,
  isBlankText,
  parseTemplate,
  renderTemplate,
  renderWithoutValues,
  type Template,
  TemplateError,
} from "./placeholders.js";
import {
  ON_NEW_MESSAGE,
  type OnNewMessage,
  type ReplyRuleConditions,
  type ReplyRuleDocument,
} from "./ruleDocument.js";
import { compileRulePattern, PatternError, type RulePattern } from "./rulePattern.js";

/**
 * Reply rules: the configured answer to an incoming message, and the reply-policy hook.
 *
 * Rules come from stack config (inline `replyRules`, or a JSON file named by `replyRulesFile` that
 * is bundled with the responder) or `npm start -- --rules FILE`, as a JSON array:
 *
 *   [{ "name"?, "match"?, "messageType"?, "labels"?, "businessHours"?, "dates"?, "closure"?,
 *      "onNewMessage"?, "messages": [{ "text", "delay", "attachment"?, "filename"? }] }]
 *
 * (the type {@link ReplyRuleDocument}). A rule applies when every condition it states holds:
 * `match` (an RE2 pattern, case-insensitive, searched in the user's last message; see
 * rulePattern.ts), `messageType` (one type or a list), `labels` (the contact carries any of them),
 * `businessHours` (inside or outside weekly windows in a time zone) and `dates` (calendar days
 * and ranges in a time zone), the times being the moment the webhook was accepted (see
 * businessHours.ts). Each condition is one entry of {@link RULE_CONDITIONS}. The first rule that
 * applies wins, closure rules (`"closure": true`, which need `dates`) before all others; none, no
 * reply. Texts may hold placeholders (`{{first_name|there}}`, see
 * placeholders.ts). `delay` is milliseconds from the moment the receiver accepted the webhook (an
 * offset, not a gap), the unit of the vendor's schedule-activity format.
 *
 * {@link parseReplyRules} is the one validator: `pulumi preview` (infra/config.ts) and the
 * responder call it, so every rule the responder would refuse fails preview, with errors naming
 * the rule and the field. Its message checks ({@link validateReplyMessages}) also judge the
 * answers of an HTTP reply policy.
 *
 * ## Custom policy hook
 * The responder asks a {@link ReplyPolicy} for the plan. The default is {@link rulesPolicy}; to
 * answer with code instead (an LLM call, a CRM lookup), write a function of the same type and pass
 * it as `policy` to `createResponderHandler` (lambdas/functions/responder.ts) in the entry module
 * lambdas/handlers/responder.ts; a business's HTTP endpoint is one (core/replyPolicy.ts). A
 * policy need not be deterministic: the responder stores a job's first answer as its plan before
 * queueing anything, and a redelivered job reuses it. Rules are anyway: business hours are judged
 * at `acceptedAt`, not at the time the job runs.
 */

/** The longest schedule the vendor's `waiting_duration` presets allow: 60 days. */
export const MAX_REPLY_DELAY_MS = 5_184_000 * 1000;

/** WhatsApp's limit on a text message body; longer user texts are matched on this prefix. */
export const MAX_TEXT_LENGTH = 4096;

/** Most messages one plan may hold (the vendor allows 50 sends a minute per account). */
export const MAX_PLAN_MESSAGES = 100;

/** One message of a reply plan, as a policy returns it. */
export interface ReplyPlanMessage {
  text: string;
  /** Milliseconds after acceptance of the incoming webhook. */
  delayMs: number;
  attachment?: string;
  filename?: string;
}

/** What a policy decides from. */
export interface ReplyPolicyInput {
  webhook: NormalizedWebhook;
  /** Epoch ms when the receiver accepted the webhook. */
  acceptedAt: number;
  /** The job's idempotency key: the same for every delivery of the job (the HTTP policy's webhook-id). */
  jobKey: string;
}

/**
 * A policy's answer with what a newer message from the contact does to it (a rule's
 * `onNewMessage`); a bare list of messages means the default, "supersede".
 */
export interface ReplyDecision {
  messages: ReplyPlanMessage[];
  onNewMessage?: OnNewMessage;
}

/** Decides the reply to one accepted webhook; [] (or no messages) means no reply. */
export type ReplyPolicy = (
  input: ReplyPolicyInput,
) => ReplyPlanMessage[] | ReplyDecision | Promise<ReplyPlanMessage[] | ReplyDecision>;

/** A policy's answer as a decision. */
export function asDecision(answer: ReplyPlanMessage[] | ReplyDecision): ReplyDecision {
  return Array.isArray(answer) ? { messages: answer } : answer;
}

/** A validated rule. */
export interface ReplyRule {
  /** Position in the rules document. */
  index: number;
  name?: string;
  /** The pattern source as configured ("" when the rule has none: any text). */
  match: string;
  /** The conditions the rule states, compiled; one it does not state holds for every message. */
  conditions: RuleConditions;
  /** Tried before every rule that is not a closure (its `dates` say when). */
  closure: boolean;
  onNewMessage: OnNewMessage;
  /** The messages as configured (texts with their placeholders). */
  messages: ReplyPlanMessage[];
  /** The parsed text of each message, for rendering. */
  templates: Template[];
}

// zod/mini (the functional API) rather than classic zod: the same checks at ~3% of the bundle size.
const textSchema = z.string({ error: "must be a string" }).check(
  // A text of zero-width or no-break spaces is as blank as "" (WhatsApp shows an empty bubble).
  z.superRefine((text, ctx) => {
    if (isBlankText(text)) {
      ctx.issues.push({
        code: "custom",
        input: text,
        message: `must not be blank${describeBlankText(text)}`,
        // Like a refine: the list's own checks (delays in order) still run and report too.
        continue: true,
      });
    }
  }),
  z.maxLength(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`),
);

const messageShape = {
  text: textSchema,
  delay: z
    .number({ error: "must be a number of milliseconds" })
    .check(
      z.int("must be a whole number of milliseconds"),
      z.gte(0, "must not be negative"),
      z.lte(MAX_REPLY_DELAY_MS, `must be at most ${MAX_REPLY_DELAY_MS} ms (60 days)`),
    ),
  attachment: z.optional(z.url({ error: "must be an absolute http(s) URL", protocol: /^https?$/ })),
  filename: z.optional(
    z.string({ error: "must be a string" }).check(z.minLength(1, "must not be empty")),
  ),
};

/** A message in the vendor's schedule-activity format; its text is literal. */
const messageSchema = z.strictObject(messageShape);

type MessageDocument = z.output<typeof messageSchema>;

/** A rule's text: placeholders parsed, and never blank even when they are all empty. */
const templateSchema = z.pipe(
  textSchema,
  z.transform((text, ctx): Template => {
    try {
      const template = parseTemplate(text);
      if (isBlankText(renderWithoutValues(template))) {
        ctx.issues.push({
          code: "custom",
          input: text,
          message:
            "is blank when the webhook has no value for its placeholders: add some text or a fallback, e.g. {{first_name|there}}",
        });
      }
      return template;
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      ctx.issues.push({ code: "custom", input: text, message: error.message });
      return z.NEVER;
    }
  }),
);

/**
 * The checks across a message list: delays must not decrease (they are offsets from acceptance,
 * and the plan is sent in order), and none may be later than the webhook's waiting window.
 */
function messageListCheck(waitingDurationSeconds: number | undefined) {
  const limitMs = waitingDurationSeconds === undefined ? undefined : waitingDurationSeconds * 1000;
  return z.superRefine(
    (messages: readonly { delay: number }[], ctx) => {
      if (!Array.isArray(messages)) return;
      const delayOf = (message: unknown) => {
        const delay = (message as { delay?: unknown } | null)?.delay;
        // A delay out of range on its own is reported once, by the message's own check.
        return typeof delay === "number" &&
          Number.isInteger(delay) &&
          delay >= 0 &&
          delay <= MAX_REPLY_DELAY_MS
          ? delay
          : undefined;
      };
      messages.forEach((entry, i) => {
        const delay = delayOf(entry);
        if (delay === undefined) return;
        const message = { delay };
        const previousDelay = delayOf(messages[i - 1]);
        const previous = previousDelay === undefined ? undefined : { delay: previousDelay };
        const issue = (message: string) =>
          ctx.addIssue({ code: "custom", path: [i, "delay"], input: messages, message });
        if (previous && message.delay < previous.delay) {
          issue(
            `(${message.delay} ms) is earlier than the message before it (${previous.delay} ms): delays are offsets from acceptance, so they must not decrease`,
          );
        }
        if (limitMs !== undefined && message.delay > limitMs) {
          issue(
            `(${message.delay} ms) is beyond the webhook's waiting_duration of ${waitingDurationSeconds} s`,
          );
        }
      });
    },
    // Also when a message has problems of its own: one validation reports them all.
    { when: () => true },
  );
}

const messageCount = z.maxLength(
  MAX_PLAN_MESSAGES,
  `must hold at most ${MAX_PLAN_MESSAGES} messages`,
);

function messagesSchemaFor(waitingDurationSeconds: number | undefined) {
  return z
    .array(messageSchema, { error: "must be an array of messages" })
    .check(messageCount, messageListCheck(waitingDurationSeconds));
}

const nonBlank = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .check(z.refine((value) => value.trim() !== "", "must not be blank"));

const patternSchema = z.pipe(
  z.string({ error: "must be a string (an RE2 regular expression)" }),
  z.transform((source, ctx): RulePattern => {
    try {
      return compileRulePattern(source);
    } catch (error) {
      if (!(error instanceof PatternError)) throw error;
      ctx.issues.push({ code: "custom", input: source, message: error.message });
      return z.NEVER;
    }
  }),
);

const windowShape = {
  days: z
    .array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(", ")}` }), {
      error: `must be a list of days (${WEEKDAYS.join(", ")})`,
    })
    .check(z.minLength(1, "must list at least one day")),
  from: z.string({ error: 'must be a time "HH:MM"' }),
  to: z.string({ error: 'must be a time "HH:MM"' }),
};

const businessHoursShape = {
  timeZone: z.string({ error: "must be an IANA time zone such as Europe/Madrid" }),
  open: z
    .array(z.strictObject(windowShape), {
      error: 'must be a list of {"days", "from", "to"} windows',
    })
    .check(z.minLength(1, "must list at least one window")),
  when: z.enum(["inside", "outside"], { error: 'must be "inside" or "outside"' }),
};

/**
 * A condition's own checks (zone, times, dates), run even when zod found problems in the same
 * object (`when`), so one validation reports them all instead of one round at a time.
 */
function conditionCheck<T>(
  compile: (spec: T, problem: (field: string, message: string) => void) => unknown,
) {
  return z.superRefine(
    (spec: T, ctx) => {
      if (typeof spec !== "object" || spec === null) return;
      compile(spec, (field, message) =>
        ctx.addIssue({ code: "custom", input: spec, path: field.split("."), message }),
      );
    },
    { when: () => true },
  );
}

/** Compiles a condition whose problems conditionCheck has already reported (none left here). */
function compiled<T, C>(
  compile: (spec: T, problem: (field: string, message: string) => void) => C | undefined,
) {
  return z.transform((spec: T): C => compile(spec, () => undefined) ?? z.NEVER);
}

const businessHoursSchema = z.pipe(
  z
    .strictObject(businessHoursShape, { error: 'must be {"timeZone", "open", "when"}' })
    .check(conditionCheck<BusinessHoursSpec>(compileBusinessHours)),
  compiled<BusinessHoursSpec, BusinessHours>(compileBusinessHours),
);

const DAY = 'a date "YYYY-MM-DD"';
const rangeShape = {
  from: z.string({ error: `must be ${DAY}` }),
  to: z.string({ error: `must be ${DAY}` }),
};

const datesShape = {
  timeZone: z.string({ error: "must be an IANA time zone such as Europe/Madrid" }),
  on: z
    .array(
      z.union([z.string(), z.strictObject(rangeShape)], {
        error: `must be ${DAY} or a range {"from", "to"}`,
      }),
      { error: `must be a list of dates ("YYYY-MM-DD") and ranges ({"from", "to"})` },
    )
    .check(z.minLength(1, "must list at least one date or range")),
};

const datesSchema = z.pipe(
  z
    .strictObject(datesShape, { error: 'must be {"timeZone", "on"}' })
    .check(conditionCheck<DatesSpec>(compileDates)),
  compiled<DatesSpec, Dates>(compileDates),
);

/** A value or list as a list, lower-cased and trimmed, as the webhook's values are compared. */
const lowerCased = <Written extends string | string[]>() =>
  z.transform((values: Written): string[] =>
    ([] as string[]).concat(values).map((value) => value.trim().toLowerCase()),
  );

/**
 * One condition a rule may state: the schema of its written form (which validates it, naming the
 * field below the condition, and compiles it), when it holds for a message, and the fields of the
 * objects it is written as, by their path below it ("" the condition itself, list positions left
 * out), for "did you mean" on a misspelt one.
 */
interface RuleCondition<Schema extends z.ZodMiniType> {
  schema: Schema;
  holds: (condition: z.output<Schema>, input: ReplyPolicyInput) => boolean;
  fields?: Readonly<Record<string, readonly string[]>>;
}

/** Infers an entry's compiled type from its schema, so `holds` is checked against it. */
const condition = <Schema extends z.ZodMiniType>(entry: RuleCondition<Schema>) => entry;

/**
 * The conditions a rule may state, one entry each: adding one is an entry here, its written type
 * in ruleDocument.ts (ReplyRuleConditions: the compiler holds the two lists equal), its tests and
 * docs/scheduling.md. Their order is the order of the rule's fields in problems and "[fields: …]".
 */
const RULE_CONDITIONS = {
  match: condition({
    schema: patternSchema,
    // Bounded anyway, though RE2 makes the cost linear: WhatsApp texts end at 4,096 characters.
    holds: (pattern, { webhook }) => pattern.test(lastUserText(webhook).slice(0, MAX_TEXT_LENGTH)),
  }),
  messageType: condition({
    schema: z.pipe(
      z.union(
        [
          nonBlank("a message type"),
          z.array(nonBlank("a message type")).check(z.minLength(1, "must list at least one type")),
        ],
        { error: 'must be a message type or a list of them, e.g. "text" or ["image", "document"]' },
      ),
      lowerCased(),
    ),
    holds: (types, { webhook }) => {
      const type = webhook.messageType?.trim().toLowerCase();
      return type !== undefined && type !== "" && types.includes(type);
    },
  }),
  labels: condition({
    schema: z.pipe(
      z
        .array(nonBlank("a label"), { error: 'must be a list of labels, e.g. ["vip"]' })
        .check(z.minLength(1, "must list at least one label")),
      lowerCased(),
    ),
    holds: (labels, { webhook }) => {
      const carried = new Set(webhook.labels.map((label) => label.trim().toLowerCase()));
      return labels.some((label) => carried.has(label));
    },
  }),
  businessHours: condition({
    schema: businessHoursSchema,
    holds: (hours, { acceptedAt }) => businessHoursHold(hours, acceptedAt),
    fields: { "": Object.keys(businessHoursShape), open: Object.keys(windowShape) },
  }),
  dates: condition({
    schema: datesSchema,
    holds: (dates, { acceptedAt }) => datesHold(dates, acceptedAt),
    fields: { "": Object.keys(datesShape), on: Object.keys(rangeShape) },
  }),
} satisfies Record<keyof ReplyRuleConditions, RuleCondition<z.ZodMiniType>>;

type ConditionName = keyof typeof RULE_CONDITIONS;
const CONDITION_NAMES = Object.keys(RULE_CONDITIONS) as ConditionName[];

/** A rule's conditions, compiled: those it states. */
type RuleConditions = {
  [Name in ConditionName]?: z.output<(typeof RULE_CONDITIONS)[Name]["schema"]>;
};

/** The rule document's fields for its conditions: each optional. */
const conditionShape = Object.fromEntries(
  CONDITION_NAMES.map((name) => [name, z.optional(RULE_CONDITIONS[name].schema)]),
) as { [Name in ConditionName]: z.ZodMiniOptional<(typeof RULE_CONDITIONS)[Name]["schema"]> };

const ruleShape = {
  name: z.optional(nonBlank("a string")),
  ...conditionShape,
  closure: z.optional(z.boolean({ error: "must be true or false" })),
  onNewMessage: z.optional(
    z.enum(ON_NEW_MESSAGE, {
      error: `must be ${ON_NEW_MESSAGE.map((v) => `"${v}"`).join(" or ")}`,
    }),
  ),
};

/** A closure says when it applies: without dates it would silence every other rule. */
const closureNeedsDates = z.superRefine(
  (rule: { closure?: unknown; dates?: unknown }, ctx) => {
    if (typeof rule !== "object" || rule === null) return;
    if (rule.closure === true && rule.dates === undefined) {
      ctx.addIssue({
        code: "custom",
        input: rule,
        path: ["closure"],
        message: 'needs "dates": a closure rule takes precedence on its dates only',
      });
    }
  },
  { when: () => true },
);

function ruleSchemaFor(waitingDurationSeconds: number | undefined) {
  return z
    .strictObject(
      {
        ...ruleShape,
        messages: z
          .array(z.strictObject({ ...messageShape, text: templateSchema }), {
            error: "must be an array of messages",
          })
          .check(
            z.minLength(1, "must hold at least one message"),
            messageCount,
            messageListCheck(waitingDurationSeconds),
          ),
      },
      { error: 'must be an object {"match", "messages", …}' },
    )
    .check(closureNeedsDates);
}

type RuleDocument = z.output<ReturnType<typeof ruleSchemaFor>>;

// The written type and the schema agree: a field added to one and not the other fails to compile.
type SchemaInput = z.input<ReturnType<typeof ruleSchemaFor>>;
void ((rule: ReplyRuleDocument): SchemaInput => rule);
void ((rule: SchemaInput): ReplyRuleDocument => rule);

/** "messages[1].delay" from a zod path. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i ? "." : ""}${String(part)}`))
    .join("");
}

/** Levenshtein distance, for "did you mean" on misspelt field names (names are short). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** An object's place in a rule, for its known fields: "businessHours.open" (list positions left out). */
function objectPath(path: readonly PropertyKey[]): string {
  return path.filter((part) => typeof part !== "number").join(".");
}

/** The fields of every object a rule is written as, by {@link objectPath}. */
const KNOWN_FIELDS = new Map<string, readonly string[]>([
  ["", [...Object.keys(ruleShape), "messages"]],
  ["messages", Object.keys(messageShape)],
  ...CONDITION_NAMES.flatMap((name) =>
    Object.entries(RULE_CONDITIONS[name].fields ?? {}).map(
      ([below, fields]): [string, readonly string[]] => [below ? `${name}.${below}` : name, fields],
    ),
  ),
]);

/** `path` is where the object with the unknown key stands in the rule. */
function unknownFieldProblem(key: string, path: readonly PropertyKey[]): string {
  const known = KNOWN_FIELDS.get(objectPath(path)) ?? [];
  const near = known.find((name) => distance(name.toLowerCase(), key.toLowerCase()) <= 2);
  return `is not a field${near ? ` (did you mean ${near}?)` : ""} [fields: ${known.join(", ")}]`;
}

/**
 * One problem per zod issue; an unknown key is reported at its own path. `within` is where the
 * validated value stands in a rule (a message list: "messages"), for the known fields.
 */
function issueProblems(
  issues: readonly z.core.$ZodIssue[],
  within: readonly PropertyKey[] = [],
): { field?: string; problem: string }[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: fieldPath([...issue.path, key]),
        problem: unknownFieldProblem(key, [...within, ...issue.path]),
      }));
    }
    const field = fieldPath(issue.path);
    return [{ ...(field ? { field } : {}), problem: issue.message }];
  });
}

function toPlanMessage({ delay, ...rest }: MessageDocument): ReplyPlanMessage {
  return { ...rest, delayMs: delay };
}

export interface ReplyValidationOptions {
  /** The webhook's `waiting_duration`: when given, no message may be due later than this. */
  waitingDurationSeconds?: number;
}

/**
 * Validates a list of reply messages in the vendor's schedule-activity format
 * (`[{ "text", "delay", "attachment"?, "filename"? }]`) with the checks a rule's messages get, for
 * other sources such as an HTTP policy's answer. Texts are literal (no placeholders). Problems
 * name fields as "messages[1].delay".
 */
export function validateReplyMessages(
  value: unknown,
  options: ReplyValidationOptions = {},
): { ok: true; messages: ReplyPlanMessage[] } | { ok: false; problems: RuleProblem[] } {
  const parsed = messagesSchemaFor(options.waitingDurationSeconds).safeParse(value, ENGLISH_ISSUES);
  if (parsed.success) return { ok: true, messages: parsed.data.map(toPlanMessage) };
  return {
    ok: false,
    problems: issueProblems(parsed.error.issues, ["messages"]).map(({ field, problem }) => ({
      field:
        field === undefined ? "messages" : `messages${field.startsWith("[") ? "" : "."}${field}`,
      problem,
    })),
  };
}

function toRule(rule: RuleDocument, index: number): ReplyRule {
  const conditions = Object.fromEntries(
    CONDITION_NAMES.filter((name) => rule[name] !== undefined).map((name) => [name, rule[name]]),
  ) as RuleConditions;
  return {
    index,
    ...(rule.name === undefined ? {} : { name: rule.name }),
    match: rule.match?.source ?? "",
    conditions,
    closure: rule.closure ?? false,
    onNewMessage: rule.onNewMessage ?? "supersede",
    messages: rule.messages.map(({ text, ...rest }) =>
      toPlanMessage({ ...rest, text: text.source }),
    ),
    templates: rule.messages.map(({ text }) => text),
  };
}

/**
 * Validates a rules document (parsed JSON, or the JSON text itself) and compiles it.
 *
 * @param options.waitingDurationSeconds the webhook's `waiting_duration`: when given, no message
 *   may be scheduled later than this many seconds after acceptance.
 * @throws ReplyRulesError listing every problem found, each naming the rule index and field.
 */
export function parseReplyRules(json: unknown, options: ReplyValidationOptions = {}): ReplyRule[] {
  let document = json;
  if (typeof json === "string") {
    try {
      document = JSON.parse(json);
    } catch (error) {
      throw new ReplyRulesError(
        [{ problem: `reply rules are not valid JSON: ${(error as Error).message}` }],
        { cause: error },
      );
    }
  }
  if (!Array.isArray(document)) {
    throw new ReplyRulesError([{ problem: "reply rules must be a JSON array of rules" }]);
  }
  const ruleSchema = ruleSchemaFor(options.waitingDurationSeconds);
  const problems: RuleProblem[] = [];
  const rules: ReplyRule[] = [];
  document.forEach((candidate: unknown, ruleIndex) => {
    const named = (candidate as { name?: unknown } | null)?.name;
    const ruleName = typeof named === "string" && named.trim() !== "" ? named : undefined;
    const parsed = ruleSchema.safeParse(candidate, ENGLISH_ISSUES);
    if (parsed.success) {
      rules.push(toRule(parsed.data, ruleIndex));
      return;
    }
    for (const { field, problem } of issueProblems(parsed.error.issues)) {
      problems.push({ ruleIndex, ...(ruleName ? { ruleName } : {}), field, problem });
    }
  });
  if (problems.length) throw new ReplyRulesError(problems);
  return rules;
}

/** The text the rules are matched against: the user's last message ("" for media without caption). */
export function lastUserText(webhook: NormalizedWebhook): string {
  if (webhook.lastMessageOfUser !== null) return webhook.lastMessageOfUser;
  const lastUserEntry = webhook.lastMessages.filter((entry) => entry.role === "user").at(-1);
  return lastUserEntry?.content ?? "";
}

/** True when every condition the rule states holds for the input. */
function ruleApplies(rule: ReplyRule, input: ReplyPolicyInput): boolean {
  return CONDITION_NAMES.every((name) => {
    const stated = rule.conditions[name];
    // `never`: TypeScript cannot tie the entry to the value across the union of names; toRule
    // took each value from the entry's own schema.
    return stated === undefined || RULE_CONDITIONS[name].holds(stated as never, input);
  });
}

/**
 * The rule that answers the input, if any: the first closure rule that applies (a closure
 * notice takes precedence on its dates, wherever it stands in the file), else the first rule.
 */
export function matchRule(
  rules: readonly ReplyRule[],
  input: ReplyPolicyInput,
): ReplyRule | undefined {
  return (
    rules.find((rule) => rule.closure && ruleApplies(rule, input)) ??
    rules.find((rule) => !rule.closure && ruleApplies(rule, input))
  );
}

/** A rule's messages for one webhook, placeholders filled in (cut to WhatsApp's text limit). */
export function renderRuleMessages(
  rule: ReplyRule,
  webhook: NormalizedWebhook,
): ReplyPlanMessage[] {
  return rule.messages.map((message, i) => {
    const template = rule.templates[i];
    let text = template ? renderTemplate(template, webhook) : message.text;
    if (text.length > MAX_TEXT_LENGTH) text = `${text.slice(0, MAX_TEXT_LENGTH - 1)}…`;
    return { ...message, text };
  });
}

/** The default policy: the first applying rule's messages (and its `onNewMessage`), or no reply. */
export function rulesPolicy(
  rules: readonly ReplyRule[],
): (input: ReplyPolicyInput) => ReplyDecision {
  return (input) => {
    const rule = matchRule(rules, input);
    return rule
      ? { messages: renderRuleMessages(rule, input.webhook), onNewMessage: rule.onNewMessage }
      : { messages: [] };
  };
}

/**
 * Which contacts a stack may answer (REPLY_CONTACTS): everyone, or only listed numbers, so a dev or
 * staging stack on a shared vendor account never writes to a real customer. The value is "*"
 * (anyone), "none", or comma-separated numbers in digits (the form NormalizedWebhook.phone has).
 */
export type ReplyContacts = "any" | ReadonlySet<string>;

/** Parses REPLY_CONTACTS; throws naming the bad entry. */
export function parseReplyContacts(value: string): ReplyContacts {
  const text = value.trim();
  if (text === "*") return "any";
  if (text === "none") return new Set();
  const numbers = text.split(",").map((n) => n.trim());
  const bad = numbers.find((n) => !/^\d{5,20}$/.test(n));
  if (bad !== undefined) {
    throw new ConfigurationError(
      `REPLY_CONTACTS: "${bad}" is not a number in digits (or use * or none)`,
    );
  }
  return new Set(numbers);
}

/** The policy, answering only allowed contacts (the others get no reply). */
export function onlyContacts(policy: ReplyPolicy, contacts: ReplyContacts): ReplyPolicy {
  if (contacts === "any") return policy;
  return (input) => (contacts.has(input.webhook.phone) ? policy(input) : []);
}
