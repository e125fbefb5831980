import { parsePhoneNumberFromString } from "libphonenumber-js/min";

/**
 * The one reading of a contact's phone number: the parse that validates a number also gives the
 * number every other part uses (the contact key PHONE#<digits>, the FIFO group, the message key,
 * the recipient of replies, the ops CLI's argument). Without it, "+44 (0) 20 7946 0958" was
 * validated as the UK number +44 20 7946 0958 (libphonenumber drops the trunk "0") while the vendor
 * was asked to send to +44 020…, and the same person could be two contacts, an opt-out under one
 * form missing the other.
 *
 * libphonenumber-js, "min" metadata: the national number patterns and lengths of every country,
 * the smallest build that validates (the "max" build adds type patterns this does not need).
 */

/** A valid international number in E.164, without the "+" (what the table and queues store). */
export interface CanonicalPhone {
  /** E.164 digits without "+", e.g. "442079460958". */
  digits: string;
  /** The country calling code, e.g. "44". */
  countryCode: string;
}

export const PHONE_PROBLEM = "not a valid international number (country code + national number)";

/**
 * The canonical number of `raw`, or undefined when it is not a valid international number.
 * Accepted: an optional "+" or the "00" international prefix, then the country code and the
 * national number, with spaces, dashes, dots or parentheses anywhere, and a national trunk prefix
 * after the country code ("+44 (0) 20…", "+49 030…"), which E.164 drops. Not accepted: a national
 * number without its country code ("020 7946 0958"): the pipeline has no default country, and a
 * guess could reach someone else. Other international prefixes ("011", "0011") are not read either:
 * no country code starts with 0, so they never pass as valid.
 */
export function canonicalPhone(raw: string): CanonicalPhone | undefined {
  const compact = raw.trim().replace(/[\s\-().]/g, "");
  const international = compact.startsWith("+")
    ? compact
    : compact.startsWith("00")
      ? `+${compact.slice(2)}`
      : `+${compact}`;
  if (!/^\+\d{1,20}$/.test(international)) return undefined;
  const parsed = parsePhoneNumberFromString(international);
  if (!parsed?.isValid()) return undefined;
  return { digits: parsed.number.slice(1), countryCode: parsed.countryCallingCode };
}

/** Why a number cannot be a contact's, or undefined when it can (see {@link canonicalPhone}). */
export function phoneProblem(raw: string): string | undefined {
  return canonicalPhone(raw) ? undefined : PHONE_PROBLEM;
}

/**
 * Masks a phone number for logs and the ops CLI: the country code and the last 4 digits
 * ("+44 ••••••0958"), so two countries' numbers ending alike stay apart. A number that is not
 * valid has no known country code: only its last 4 digits ("•••••••2671").
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  if (digits.length <= 4) return "•".repeat(digits.length);
  const canonical = canonicalPhone(phone);
  if (canonical) {
    const national = canonical.digits.slice(canonical.countryCode.length);
    const shown = national.slice(-4);
    return `+${canonical.countryCode} ${"•".repeat(Math.max(0, national.length - shown.length))}${shown}`;
  }
  return `${"•".repeat(digits.length - 4)}${digits.slice(-4)}`;
}
