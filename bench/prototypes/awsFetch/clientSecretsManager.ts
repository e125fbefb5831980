import { callJson, type JsonService } from "./awsJson.js";

/** Stand-in for `@aws-sdk/client-secrets-manager` (esbuild alias; bundle-size prototype). */

const SECRETS_MANAGER: JsonService = {
  signingName: "secretsmanager",
  endpointPrefix: "secretsmanager",
  endpointEnv: "SECRETS_MANAGER",
  targetPrefix: "secretsmanager",
  jsonVersion: "1.1",
};

export class GetSecretValueCommand {
  readonly operation = "GetSecretValue";
  constructor(readonly input: Record<string, unknown>) {}
}

export class SecretsManagerClient {
  // biome-ignore lint/complexity/noUselessConstructor: takes (and ignores) the SDK config argument
  constructor(_config: unknown = {}) {}

  send(command: GetSecretValueCommand): Promise<Record<string, unknown>> {
    return callJson(SECRETS_MANAGER, command.operation, command.input);
  }

  destroy(): void {}
}
