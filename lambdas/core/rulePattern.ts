import { RE2JS, RE2JSException, RE2JSSyntaxException } from "re2js";
import { DomainError } from "./errors.js";

/**
 * A rule's `match`, compiled with RE2 semantics (re2js, a port of Go's regexp): matching takes time
 * linear in the text whatever the pattern, so no customer message can make a rule backtrack (JS
 * RegExp needs 2^n steps for `(a+)+$` against n a's and a "!"). RE2 refuses what it cannot run in
 * linear time (lookarounds, backreferences); such a pattern fails validation with its position.
 * Unicode classes (`\p{L}`, `\p{Greek}`) work; `\d`, `\w`, `\b` are ASCII, as in JS without the
 * `u` flag. Matching is case-insensitive and unanchored (a search, like RegExp.test).
 */

/** A compiled pattern. */
export interface RulePattern {
  source: string;
  test(text: string): boolean;
}

/** A pattern RE2 does not accept; `position` is 1-based in the pattern. */
export class PatternError extends DomainError {
  override name = "PatternError";
  constructor(
    message: string,
    readonly position: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 1-based position of the first unbalanced parenthesis, skipping escapes and classes. */
function unbalancedParenthesis(source: string): number | undefined {
  const open: number[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
      if (source[i + 1] === "^") i++;
      if (source[i + 1] === "]") i++; // "[]…]" and "[^]…]": a leading "]" is literal
    } else if (c === "(") {
      open.push(i);
    } else if (c === ")") {
      if (open.pop() === undefined) return i + 1;
    }
  }
  const last = open.pop();
  return last === undefined ? undefined : last + 1;
}

/**
 * Where in `source` RE2's error lies. RE2 quotes the offending part (`(?=`, `\1`, `{2,1}`), or the
 * whole pattern for unbalanced parentheses, which are then located by a scan.
 */
function errorPosition(source: string, quoted: string): number {
  const fragment =
    quoted.startsWith("(?i)") && !source.startsWith("(?i)") ? quoted.slice(4) : quoted;
  if (fragment !== source) {
    const at = source.indexOf(fragment);
    if (at >= 0) return at + 1;
  }
  return unbalancedParenthesis(source) ?? 1;
}

/** Compiles a rule pattern. @throws PatternError naming the problem and its position. */
export function compileRulePattern(source: string): RulePattern {
  try {
    const compiled = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
    return { source, test: (text) => compiled.test(text) };
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    const syntax = error instanceof RE2JSSyntaxException;
    const quoted = syntax && typeof error.input === "string" ? error.input : "";
    const reason = syntax ? error.error : error.message;
    const position = errorPosition(source, quoted);
    // For unbalanced parentheses RE2 quotes the whole pattern: the position says more.
    const fragment = quoted.replace(/^\(\?i\)/, "");
    const shown = fragment && !/\)/.test(reason) ? ` \`${fragment}\`` : "";
    throw new PatternError(
      `is not a pattern RE2 accepts: ${reason}${shown} at character ${position}`,
      position,
      { cause: error },
    );
  }
}
