import en from "zod/v4/locales/en.js";

/**
 * Parse options that give zod/mini's issues the English messages classic zod gives by default
 * ("Invalid input: expected string, received number"). zod/mini loads no locale (its issues read
 * only "Invalid input"); passing the map per parse, rather than `z.config(...)`, keeps this module
 * free of global side effects. Use: `schema.safeParse(value, ENGLISH_ISSUES)`.
 */
export const ENGLISH_ISSUES = { error: en().localeError } as const;
