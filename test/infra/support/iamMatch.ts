/** Escapes a literal for a RegExp. */
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * IAM's wildcard matching, as policies use it for actions and resources: `*` stands for any
 * characters. Case-sensitive unless `ignoreCase` (IAM compares action names case-insensitively).
 */
export function wildcardMatches(pattern: string, text: string, ignoreCase = false): boolean {
  return new RegExp(`^${pattern.split("*").map(literal).join(".*")}$`, ignoreCase ? "i" : "").test(
    text,
  );
}

/** The regex of an ARN shape from AWS's reference data (`arn:${Partition}:sqs:${Region}:…`). */
export function arnShape(template: string): RegExp {
  return new RegExp(
    `^${template
      .split(/\$\{[^}]+\}/)
      .map(literal)
      .join("[^]+")}$`,
  );
}
