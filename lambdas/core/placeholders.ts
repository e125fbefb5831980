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

type PlaceholderName = keyof typeof PLACEHOLDERS;

const PLACEHOLDER_NAMES = Object.keys(PLACEHOLDERS) as PlaceholderName[];

/** How to write one, naming only placeholders that exist (a hint must not suggest a refused one). */
const PLACEHOLDER_HINT = `write one of ${PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(", ")}, with a fallback after "|" if you like: {{first_name|there}}`;

/** A parsed text: literal runs and placeholders, in order. */
type TemplatePart =
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
    const fallback = parsed[2] ?? "";
    const nested = fallback.indexOf(OPEN);
    if (nested >= 0) {
      // The first "}}" closes the placeholder, so "{{first_name|{{phone}}}}" would send a literal
      // "{{phone}}" followed by "}}": a fallback is plain text.
      const at = open + OPEN.length + inner.indexOf("|") + 1 + nested + 1;
      throw new TemplateError(
        `has a "{{" inside the fallback of {{${name}|…}} at character ${at} (a fallback is plain text, not a placeholder)`,
        at,
      );
    }
    if (!(PLACEHOLDER_NAMES as string[]).includes(name)) {
      throw new TemplateError(
        `has an unknown placeholder {{${name}}} at character ${open + 1} (known: ${PLACEHOLDER_NAMES.join(", ")})`,
        open + 1,
      );
    }
    parts.push({ kind: "placeholder", name: name as PlaceholderName, fallback: fallback.trim() });
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
    // A name of only invisible characters is no name: "Hi {{first_name|there}}" must not read "Hi ".
    const text = value && !isBlankText(value) ? value : part.fallback;
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

/**
 * Characters that show nothing on their own: Unicode's White_Space (U+00A0 no-break space among
 * them), format characters (Cf: U+200B zero width space, U+2060 word joiner, bidi marks) and
 * Default_Ignorable_Code_Point (variation selectors, U+3164 Hangul filler, tags). Unicode's own
 * properties rather than a hand list, so a character the list forgot cannot make a text look
 * non-blank. String.prototype.trim only knows White_Space.
 */
const INVISIBLE = /^[\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}]*$/u;

/** True when a text would show as an empty message: nothing but invisible characters. */
export function isBlankText(text: string): boolean {
  return INVISIBLE.test(text);
}

/**
 * Why a blank text reads blank, for an error message: ' (only invisible characters: U+200B at
 * character 1, U+00A0 at character 3)', or "" for an empty or plainly spaced text. Code points
 * and positions only, never the text (it may come from a policy's answer).
 */
export function describeBlankText(text: string): string {
  const seen = new Set<string>();
  const found: string[] = [];
  // Positions count UTF-16 units, like the placeholder errors' (and String.prototype.indexOf).
  let at = 0;
  for (const c of text) {
    at += c.length;
    if (" \t\r\n".includes(c) || seen.has(c) || found.length >= 3) continue;
    seen.add(c);
    const code = (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    found.push(`U+${code} at character ${at - c.length + 1}`);
  }
  return found.length ? ` (only invisible characters: ${found.join(", ")})` : "";
}
