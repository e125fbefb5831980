import * as pulumi from "@pulumi/pulumi";
import {
  checkSettings,
  checkStackConfig,
  decodeSettings,
  replyPolicySecretProblem,
  SECRET_KEYS,
  type SettingsContext,
  type StackSettings,
  splitKey,
  stackFileName,
} from "./settings.js";

export * from "./settings.js";

/**
 * The stack configuration: the only module that reads `pulumi.Config`. Every key is typed,
 * defaulted and validated here, and a bad value stops the program with an error naming the key
 * (`whatsable-replies:<key>`). Secrets stay `pulumi.Output`s and are never unwrapped.
 */

/** Everything the program needs from the stack's configuration. */
export interface StackConfig extends Omit<StackSettings, "replyContacts"> {
  /** Who may get replies: "any", or only these E.164 numbers (none when the list is empty). */
  replyContacts: "any" | string[];
  stack: string;
  /** aws:region, which the AWS provider reads too. */
  region: string;
  /** Secret; never unwrapped by the program. */
  vendorToken: pulumi.Output<string>;
  adoptedSigningSecret?: pulumi.Output<string>;
  /** Secret, checked as `whsec_<base64>` without being shown; set exactly when replyPolicyUrl is. */
  replyPolicySecret?: pulumi.Output<string>;
  /** The webhook's waiting window in seconds, 0 when schedule activity is off. */
  waitingDurationSeconds: number;
}

/** A stack configuration problem; the message lists every bad key. */
export class StackConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "StackConfigError";
  }
}

/**
 * Validates raw config values (as Pulumi hands them over: strings, structured values as JSON)
 * keyed by bare key name. Throws StackConfigError naming `<namespace>:<key>` for each problem.
 *
 * @param root the project root `replyRulesFile` is relative to (Pulumi runs programs there).
 * @param file the stack file the values come from (`Pulumi.prod.yaml`), named in problems that
 *   need an edit there.
 */
export function parseStackSettings(
  raw: Record<string, string | undefined>,
  namespace = "whatsable-replies",
  root = process.cwd(),
  file?: string,
): StackSettings {
  return validateSettings(decodeSettings(raw), {
    name: (key) => `${namespace}:${key}`,
    root,
    file,
  });
}

/**
 * {@link checkSettings}, throwing: StackConfigError listing every problem, each naming its key
 * with `context.name`.
 */
export function validateSettings(
  decoded: Record<string, unknown>,
  context: SettingsContext,
): StackSettings {
  const { settings, problems } = checkSettings(decoded, context);
  if (!settings) throw new StackConfigError(problems);
  return settings;
}

/** Reads and validates the current stack's configuration. */
export function loadStackConfig(): StackConfig {
  const namespace = pulumi.getProject();
  const config = new pulumi.Config();
  const secretNames = new Set<string>(Object.values(SECRET_KEYS));
  const values: Record<string, string | undefined> = {};
  const secretKeys = new Set<string>();
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    const [ns, key] = splitKey(fullKey);
    if (isConfigSecret(fullKey)) secretKeys.add(fullKey);
    // Secret values stay in the runtime: the check needs to know they are set, not what they are.
    values[fullKey] =
      ns === namespace && secretNames.has(key)
        ? undefined
        : ns === namespace
          ? config.get(key)
          : pulumi.runtime.allConfig()[fullKey];
  }
  const { settings, problems } = checkStackConfig({
    namespace,
    values,
    secretKeys,
    file: stackFileName(pulumi.getStack()),
  });
  const region = new pulumi.Config("aws").get("region");
  const vendorToken = config.getSecret(SECRET_KEYS.vendorToken);
  if (problems.length > 0 || !settings || !vendorToken || !region) {
    throw new StackConfigError(problems);
  }
  const policySecret = config.getSecret(SECRET_KEYS.replyPolicySecret);
  return {
    ...settings,
    stack: pulumi.getStack(),
    region,
    vendorToken,
    adoptedSigningSecret: config.getSecret(SECRET_KEYS.adoptedSigningSecret),
    replyPolicySecret:
      policySecret &&
      checkedReplyPolicySecret(policySecret, `${namespace}:${SECRET_KEYS.replyPolicySecret}`),
    waitingDurationSeconds: settings.scheduleActivity ? (settings.waitingDurationSeconds ?? 0) : 0,
    replyContacts: settings.replyContacts ?? (settings.protect ? "any" : []),
  };
}

/** The policy secret, checked once its value is known: a malformed one fails the deployment. */
export function checkedReplyPolicySecret(
  secret: pulumi.Input<string>,
  key: string,
): pulumi.Output<string> {
  return pulumi.output(secret).apply((value) => {
    const problem = replyPolicySecretProblem(value, key);
    if (problem) throw new StackConfigError([problem]);
    return value;
  });
}

/** True when a key was set with --secret. Uses the SDK's own record of secret keys
 * (runtime.isConfigSecret; internal, so it is probed rather than imported); an SDK without it
 * counts every key as encrypted, so the plain-text check never refuses a stack wrongly. */
function isConfigSecret(fullKey: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtime.isConfigSecret !== "function") return true;
  return runtime.isConfigSecret(fullKey);
}
