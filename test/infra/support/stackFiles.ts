import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { rawStackConfig } from "../../../ops/stackFile.js";

/** Parses a YAML file of the repository. */
export function loadYamlFile(file: string): unknown {
  return yaml.load(readFileSync(file, "utf8"));
}

/**
 * What a user writes over the placeholders of the stack files before a first deployment
 * (docs/operations.md, "First deployment, step by step"): prod refuses its placeholder alarm
 * address until then. A stand-in address (never mailed: tests call no AWS).
 */
export const FILLED_IN: Record<string, Record<string, string>> = {
  prod: { "whatsable-replies:alarmEmail": "oncall@ops.whatsable-replies.io" },
};

/**
 * The `config:` of Pulumi.<stack>.yaml in the form the Pulumi runtime hands it to the program:
 * strings as they are, structured values (lists, numbers, booleans) as JSON text. `filledIn`
 * replaces the placeholders as a user does (FILLED_IN).
 */
export function stackFileConfig(
  stack: string,
  { filledIn = false }: { filledIn?: boolean } = {},
): Record<string, string> {
  const document = loadYamlFile(`Pulumi.${stack}.yaml`) as { config?: Record<string, unknown> };
  const { values } = rawStackConfig(document.config ?? {}, "", `Pulumi.${stack}.yaml`);
  // Secrets (`secure:`) stay out: the runtime hands the program their values, never read here.
  const plain = Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined);
  return { ...Object.fromEntries(plain), ...(filledIn ? FILLED_IN[stack] : {}) };
}

/** The settings of one stack file, keyed without the project prefix (for parseStackSettings). */
export function stackFileSettings(
  stack: string,
  { filledIn = false }: { filledIn?: boolean } = {},
  namespace = "whatsable-replies",
) {
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(stackFileConfig(stack, { filledIn }))) {
    if (key.startsWith(`${namespace}:`)) settings[key.slice(namespace.length + 1)] = value;
  }
  return settings;
}
