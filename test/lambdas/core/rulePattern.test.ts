import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRulePattern, PatternError } from "../../../lambdas/core/rulePattern.js";
import { thrown } from "../../support/thrown.js";

const patternError = (source: string) => thrown(PatternError, () => compileRulePattern(source));

describe("compileRulePattern", () => {
  it("searches anywhere in the text, case-insensitively", () => {
    const pattern = compileRulePattern("\\bprice\\b");
    expect(pattern.test("What is the PRICE?")).toBe(true);
    expect(pattern.test("priceless")).toBe(false);
  });

  it("understands Unicode classes and scripts", () => {
    expect(compileRulePattern("^\\p{L}+$").test("ÁrvíztűrőTükörfúrógép")).toBe(true);
    expect(compileRulePattern("\\p{Greek}").test("καλημέρα")).toBe(true);
    expect(compileRulePattern("\\p{L}").test("{} 123 !?")).toBe(false);
  });

  it("folds case beyond ASCII", () => {
    expect(compileRulePattern("ñandú").test("ÑANDÚ")).toBe(true);
  });

  it("matches a catastrophic pattern against a long adversarial text without backtracking", () => {
    const pattern = compileRulePattern("(a+)+$");
    // Exponential for a backtracking engine; RE2 answers in one pass over the text.
    expect(pattern.test(`${"a".repeat(4095)}!`)).toBe(false);
    expect(compileRulePattern("(x+x+)+y").test("x".repeat(4096))).toBe(false);
    expect(compileRulePattern("(.*a){12}").test("a".repeat(4096))).toBe(true);
  });

  it.each([
    ["lookahead", "yes(?=please)", 4, "(?="],
    ["negative lookahead", "^(?!no)", 2, "(?!"],
    ["backreference", "(a)\\1", 4, "\\1"],
    ["bad repeat", "x{3,1}", 2, "{3,1}"],
    ["reversed range", "[z-a]", 2, "z-a"],
    ["unknown class", "\\p{Klingon}", 1, "\\p{Klingon}"],
  ])("refuses a %s and says where it is", (_, source, position, fragment) => {
    const error = patternError(source);
    expect(error.position).toBe(position);
    expect(error.message).toContain(`\`${fragment}\``);
    expect(error.message).toMatch(new RegExp(`at character ${position}$`));
  });

  it("points at the parenthesis that is never closed", () => {
    const error = patternError("(hi|hello) (there");
    expect(error.position).toBe(12);
    expect(error.message).toMatch(/missing closing \) at character 12$/);
  });

  it("points at the parenthesis that closes nothing", () => {
    expect(patternError("hi) there").position).toBe(3);
  });

  it("does not count escaped or bracketed parentheses", () => {
    expect(patternError("\\( [(] (x").position).toBe(8);
  });

  it("agrees with JS RegExp on patterns both engines accept", () => {
    const atoms = fc.constantFrom("a", "b", "ab", "[ab]", "a*", "b+", "(a|b)", "\\d", "x?", ".");
    fc.assert(
      fc.property(
        fc.array(atoms, { minLength: 1, maxLength: 5 }),
        fc.string({ unit: fc.constantFrom("a", "b", "A", "B", "1", "x", " "), maxLength: 12 }),
        (parts, text) => {
          const source = parts.join("");
          expect(compileRulePattern(source).test(text)).toBe(new RegExp(source, "i").test(text));
        },
      ),
    );
  });
});
