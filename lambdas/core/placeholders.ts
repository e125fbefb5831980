import { DomainError } from "./errors.js";
import type { NormalizedWebhook } from "./messages.js";

/**
 * Placeholders in reply texts: `{{recipient_name}}`, `{{first_name|there}}` (text after `|` is the
 * fallback used when the webhook has no value). Templates are parsed once, when the rules are
 * validated, so an unknown name or a broken `{{` fails preview instead of a customer's reply.
 * Hand-written rather than a template library (Mustache, Handlebars): the syntax needed is one
 * substitution with a fallback (trimmed, like the name), and those libraries would accept
 * sections, partials and unknown names silently, which is what validation must refuse.
 */

/** What a placeholder can stand for, keyed by its name in a text. */
export const PLACEHOLDERS = {
  /** The contact's name as the vendor sends it (`recipient_name`). */
  recipient_name: (webhook: NormalizedWebhook) => webhook.recipientName,
  /** The first word of `recipient_name`. */
  first_name: (webhook: NormalizedWebhook) => webhook.recipientName?.trim().split(/\s+/)[0] ?? null,
  /** The contact's number, `+<digits>`. */
  phone: (webhook: NormalizedWebhook) => (webhook.phone ? `+${webhook.phone}` : null),
  /** Type of the message being answered (`text`, `image`, …). */
  message_type: (webhook: NormalizedWebhook) => webhook.messageType,
} as const satisfies Record<string, (webhook: NormalizedWebhook) => string | null>;

export type PlaceholderName = keyof typeof PLACEHOLDERS;

const PLACEHOLDER_NAMES = Object.keys(PLACEHOLDERS) as PlaceholderName[];

/** How to write one, naming only placeholders that exist (a hint must not suggest a refused one). */
export const PLACEHOLDER_HINT = `write one of ${PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(", ")}, with a fallback after "|" if you like: {{first_name|there}}`;

/** A parsed text: literal runs and placeholders, in order. */
export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "placeholder"; name: PlaceholderName; fallback: string };

export interface Template {
  source: string;
  parts: TemplatePart[];
  /** True when the text has no placeholder (rendering returns the source as-is). */
  literal: boolean;
}

/** A text whose placeholders cannot be used; `position` is 1-based in the text. */
export class TemplateError extends DomainError {
  override name = "TemplateError";
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const OPEN = "{{";
const CLOSE = "}}";
const NAME = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([\s\S]*))?$/;

/** Parses a text's placeholders. @throws TemplateError naming the placeholder and its position. */
export function parseTemplate(source: string): Template {
  const parts: TemplatePart[] = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf(OPEN, at);
    if (open < 0) {
      parts.push({ kind: "text", text: source.slice(at) });
      break;
    }
    if (open > at) parts.push({ kind: "text", text: source.slice(at, open) });
    const close = source.indexOf(CLOSE, open + OPEN.length);
    if (close < 0) {
      throw new TemplateError(
        `has a "{{" without a closing "}}" at character ${open + 1}`,
        open + 1,
      );
    }
    const inner = source.slice(open + OPEN.length, close);
    const parsed = NAME.exec(inner);
    const name = parsed?.[1];
    if (!parsed || name === undefined) {
      throw new TemplateError(
        `has an unreadable placeholder {{${inner}}} at character ${open + 1} (${PLACEHOLDER_HINT})`,
        open + 1,
      );
    }
    if (!(PLACEHOLDER_NAMES as string[]).includes(name)) {
      throw new TemplateError(
        `has an unknown placeholder {{${name}}} at character ${open + 1} (known: ${PLACEHOLDER_NAMES.join(", ")})`,
        open + 1,
      );
    }
    parts.push({
      kind: "placeholder",
      name: name as PlaceholderName,
      fallback: (parsed[2] ?? "").trim(),
    });
    at = close + CLOSE.length;
  }
  return { source, parts, literal: parts.every((part) => part.kind === "text") };
}

/** Punctuation that closes up to the word before it ("Hi {{first_name}}, …" → "Hi, …"). */
const CLOSING = /^[\s,.;:!?)\]…]|^$/;

/**
 * Renders a template for one webhook. A placeholder without a value takes its fallback; one
 * without either is left out together with the space before it, so "Hi {{first_name}}!" reads
 * "Hi!" rather than "Hi !". Values are used verbatim (a name containing "{{" is not re-read).
 */
export function renderTemplate(template: Template, webhook: NormalizedWebhook | null): string {
  if (template.literal) return template.source;
  let out = "";
  let emptied = false;
  template.parts.forEach((part, i) => {
    if (part.kind === "text") {
      out += part.text;
      return;
    }
    const value = webhook ? PLACEHOLDERS[part.name](webhook)?.trim() : undefined;
    const text = value ? value : part.fallback;
    if (text !== "") {
      out += text;
      return;
    }
    emptied = true;
    const next = template.parts[i + 1];
    const following = next?.kind === "text" ? next.text : "";
    if (CLOSING.test(following)) out = out.replace(/[ \t]+$/, "");
  });
  return emptied ? out.trim() : out;
}

/** The text a template gives when the webhook has no value for any placeholder. */
export function renderWithoutValues(template: Template): string {
  return renderTemplate(template, null);
}
