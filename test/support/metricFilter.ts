/**
 * CloudWatch Logs JSON metric filter patterns, evaluated on a parsed log line: the subset the
 * alarms use, `{ $.field = "text" }` and `{ $.field = 401 }`, joined with `&&`. A quoted value
 * matches only a JSON string, a bare number only a JSON number, as CloudWatch compares them
 * (docs: "Filter pattern syntax for metric filters, JSON log events"). Anything else throws, so a
 * pattern this cannot read fails its test instead of passing it.
 */
export function matchesFilter(pattern: string, line: Record<string, unknown>): boolean {
  const body = /^\{ (.+) \}$/.exec(pattern)?.[1];
  if (!body) throw new Error(`unsupported filter ${pattern}`);
  return body.split(" && ").every((term) => {
    const parsed = /^\$\.(\w+) = (?:"([^"]*)"|(-?\d+(?:\.\d+)?))$/.exec(term);
    if (!parsed) throw new Error(`unsupported filter term ${term} in ${pattern}`);
    const [, field, text, number] = parsed;
    const value = line[field as string];
    return text !== undefined ? value === text : value === Number(number);
  });
}
