import type * as pulumi from "@pulumi/pulumi";
import {
  type DeployedEnvName,
  FUNCTION_ENV,
  type FunctionName,
  REPLY_POLICY_FUNCTION_ENV,
} from "../lambdas/contract.js";

/** Every env value the stack can give, keyed by env var name (lambdas/contract.ts ENV). */
export type EnvironmentValues = Record<DeployedEnvName, pulumi.Input<string>>;

/**
 * The environment of one function: exactly the names FUNCTION_ENV lists for it, so no function
 * learns another's secret ids or tables.
 */
export function functionEnvironment(
  fn: FunctionName,
  values: EnvironmentValues,
): Record<string, pulumi.Input<string>> {
  const environment: Record<string, pulumi.Input<string>> = {};
  for (const name of FUNCTION_ENV[fn]) {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for ${name}, which ${fn} needs`);
    environment[name] = value;
  }
  return environment;
}

/** The responder's extra environment with an HTTP reply policy: exactly REPLY_POLICY_FUNCTION_ENV. */
export function replyPolicyEnvironment(
  values: Record<(typeof REPLY_POLICY_FUNCTION_ENV)[number], pulumi.Input<string>>,
): Record<string, pulumi.Input<string>> {
  return Object.fromEntries(REPLY_POLICY_FUNCTION_ENV.map((name) => [name, values[name]]));
}
