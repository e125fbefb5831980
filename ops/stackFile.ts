import { readFile } from "node:fs/promises";
import path from "node:path";
import yaml from "js-yaml";
import { SECRET_KEYS, type StackConfigView, stackFileName } from "../infra/config.js";

/**
 * A stack file (Pulumi.<stack>.yaml) read as Pulumi hands its `config:` to the program: strings
 * as they are, structured values as JSON text, secrets as `{ secure: ... }` (encrypted) that are
 * never decrypted here. What `npm run ops -- preflight` validates before the first `up`, with the
 * program's own validator (infra/config.ts stackConfigProblems).
 */

/** The `config:` values of a parsed stack file, secrets left out (they stay encrypted). */
export function stackFileValues(document: unknown): {
  values: Record<string, string>;
  secure: Set<string>;
} {
  const config = (document as { config?: Record<string, unknown> } | null)?.config ?? {};
  const values: Record<string, string> = {};
  const secure = new Set<string>();
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      secure.add(key);
      continue;
    }
    values[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { values, secure };
}

/** The view of a stack's configuration the validator takes, from the file's values. */
export function stackConfigView(
  document: unknown,
  { namespace, stack, root }: { namespace: string; stack: string; root: string },
): StackConfigView {
  const { values, secure } = stackFileValues(document);
  const secretKeys = new Set<string>(Object.values(SECRET_KEYS));
  const raw: Record<string, string> = {};
  const secrets: StackConfigView["secrets"] = {};
  const prefix = `${namespace}:`;
  for (const [key, value] of Object.entries(values)) {
    if (!key.startsWith(prefix)) continue;
    const bare = key.slice(prefix.length);
    if (secretKeys.has(bare)) secrets[bare] = "plain";
    else raw[bare] = value;
  }
  for (const key of secure) {
    if (key.startsWith(prefix)) secrets[key.slice(prefix.length)] = "encrypted";
  }
  return {
    namespace,
    raw,
    region: values["aws:region"],
    secrets,
    file: stackFileName(stack),
    root,
  };
}

/** Reads Pulumi.yaml's project name and Pulumi.<stack>.yaml from `root`. @throws on I/O */
export async function readStackConfigView(root: string, stack: string): Promise<StackConfigView> {
  const project = yaml.load(await readFile(path.join(root, "Pulumi.yaml"), "utf8")) as {
    name?: string;
  };
  const document = yaml.load(await readFile(path.join(root, stackFileName(stack)), "utf8"));
  return stackConfigView(document, { namespace: project.name ?? "", stack, root });
}
