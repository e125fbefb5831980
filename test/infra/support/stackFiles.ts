import { readFileSync } from "node:fs";
import yaml from "js-yaml";

/** Parses a YAML file of the repository. */
export function loadYamlFile(file: string): unknown {
  return yaml.load(readFileSync(file, "utf8"));
}

/**
 * The `config:` of Pulumi.<stack>.yaml in the form the Pulumi runtime hands it to the program:
 * strings as they are, structured values (lists, numbers, booleans) as JSON text.
 */
export function stackFileConfig(stack: string): Record<string, string> {
  const document = loadYamlFile(`Pulumi.${stack}.yaml`) as {
    config?: Record<string, unknown>;
  };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(document.config ?? {})) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

/** The settings of one stack file, keyed without the project prefix (for parseStackSettings). */
export function stackFileSettings(stack: string, namespace = "whatsable-replies") {
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(stackFileConfig(stack))) {
    if (key.startsWith(`${namespace}:`)) settings[key.slice(namespace.length + 1)] = value;
  }
  return settings;
}
