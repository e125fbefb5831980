import fc from "fast-check";
import { getCountries, getExampleNumber } from "libphonenumber-js/min";
import examples from "libphonenumber-js/mobile/examples";
import { describe, expect, it } from "vitest";
import { canonicalPhone, maskPhone, phoneProblem } from "../../../lambdas/core/phone.js";

/**
 * One number, one contact: every way a person or the vendor writes a valid number reads as the
 * same E.164 number, the one that was validated. The numbers come from libphonenumber-js's own
 * example numbers (one valid mobile number per country), so every country's rules are exercised.
 */

const numbers = getCountries().flatMap((country) => {
  const example = getExampleNumber(country, examples);
  return example ? [example] : [];
});
const aNumber = fc.constantFrom(...numbers);
/** Separators people type between digits; each gap gets none or one. */
const withSeparators = (text: string) =>
  fc
    .array(fc.constantFrom("", "", " ", "-", ".", "(", ")"), {
      minLength: text.length,
      maxLength: text.length,
    })
    .map((gaps) => [...text].map((ch, i) => ch + (gaps[i] ?? "")).join(""));

describe("canonicalPhone", () => {
  it("has an example number for every country libphonenumber knows", () => {
    expect(numbers.length).toBeGreaterThan(240);
  });

  it("reads the trunk '(0)' after the country code as the number it validates, not another one", () => {
    // The case: validated as +44 20 7946 0958, but sent to +44 020 7946 0958.
    expect(canonicalPhone("+44 (0) 20 7946 0958")).toEqual({
      digits: "442079460958",
      countryCode: "44",
    });
    expect(canonicalPhone("4402079460958")?.digits).toBe("442079460958");
  });

  it("keeps a leading 0 that belongs to the number (Italy)", () => {
    expect(canonicalPhone("+39 06 1234 5678")?.digits).toBe("390612345678");
  });

  it("gives E.164, international, 00-prefixed, bare-digit and trunk forms the same number", () => {
    fc.assert(
      fc.property(aNumber, (number) => {
        const want = number.number.slice(1);
        const forms = [
          number.number,
          number.formatInternational(),
          `00${want}`,
          want,
          `+${number.countryCallingCode} ${number.formatNational()}`,
        ];
        for (const form of forms) expect(canonicalPhone(form)?.digits).toBe(want);
      }),
      { numRuns: 300 },
    );
  });

  it("reads any spacing, dashes, dots and parentheses in a number as the same number", () => {
    fc.assert(
      fc.property(
        aNumber.chain((number) =>
          fc.tuple(fc.constant(number), withSeparators(number.formatInternational())),
        ),
        ([number, typed]) => {
          expect(canonicalPhone(typed)?.digits).toBe(number.number.slice(1));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is its own fixed point: the canonical number reads as itself", () => {
    fc.assert(
      fc.property(aNumber, (number) => {
        const once = canonicalPhone(number.formatInternational());
        expect(once && canonicalPhone(once.digits)).toEqual(once);
      }),
    );
  });

  it("refuses a national number written with its trunk 0 and no country code", () => {
    const trunkNational = numbers
      .map((number) => number.formatNational())
      .filter((national) => national.replace(/\D/g, "").startsWith("0"));
    expect(trunkNational.length).toBeGreaterThan(100);
    fc.assert(
      fc.property(fc.constantFrom(...trunkNational), (national) => {
        expect(canonicalPhone(national)).toBeUndefined();
        expect(phoneProblem(national)).toMatch(/valid international number/);
      }),
    );
  });

  it.each([
    ["a number too short for its country", "1415555"],
    ["letters", "+44 20 CALL NOW"],
    ["an international prefix other than 00 (011 from North America)", "011442079460958"],
  ])("refuses %s", (_name, raw) => {
    expect(canonicalPhone(raw)).toBeUndefined();
  });
});

describe("maskPhone", () => {
  it("keeps the country code, so two countries' numbers ending alike look different", () => {
    const uk = maskPhone("447400123456");
    const us = maskPhone("12015553456");
    expect(uk).toBe("+44 ••••••3456");
    expect(us).toBe("+1 ••••••3456");
    expect(uk).not.toBe(us);
  });

  it("masks every form of a number alike", () => {
    expect(maskPhone("+44 (0) 20 7946 0958")).toBe(maskPhone("442079460958"));
  });

  it("shows only the last 4 digits of a number that is not valid (no known country code)", () => {
    expect(maskPhone("00000123456")).toBe("•••••••3456");
  });
});
