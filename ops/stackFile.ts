import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { type RawStackConfig, stackFileName } from "../infra/settings.js";

/**
 * A stack file (Pulumi.<stack>.yaml) read as Pulumi hands its `config:` to the program: strings
 * as they are, structured values as JSON text, secrets as `{ secure: ... }` (encrypted) that are
 * never decrypted here. What `npm run ops -- validate` and `preflight` check before any `up`, with
 * the program's own validator (infra/settings.ts checkStackConfig).
 */
export function rawStackConfig(
  config: Record<string, unknown>,
  namespace: string,
  file: string,
): RawStackConfig {
  const values: Record<string, string | undefined> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      values[key] = undefined;
      secretKeys.add(key);
    } else {
      values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { namespace, values, secretKeys, file };
}

/** A stack file's configuration, with where it is. */
export interface StackFileConfig {
  raw: RawStackConfig;
  /** The stack file's name (`Pulumi.prod.yaml`). */
  file: string;
  /** The project root replyRulesFile is relative to. */
  root: string;
  region?: string;
}

/** Reads Pulumi.yaml's project name and Pulumi.<stack>.yaml from `root`. @throws on I/O */
export async function readStackFileConfig(root: string, stack: string): Promise<StackFileConfig> {
  const project = parse(await readFile(path.join(root, "Pulumi.yaml"), "utf8")) as {
    name?: string;
  } | null;
  const file = stackFileName(stack);
  const document = parse(await readFile(path.join(root, file), "utf8")) as {
    config?: Record<string, unknown>;
  } | null;
  const raw = rawStackConfig(document?.config ?? {}, project?.name ?? "", file);
  return { raw, file, root, region: raw.values["aws:region"] };
}
