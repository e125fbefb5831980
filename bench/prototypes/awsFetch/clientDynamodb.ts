import { callJson, type JsonService } from "./awsJson.js";

/** Stand-in for `@aws-sdk/client-dynamodb` (esbuild alias; bundle-size prototype). */

const DYNAMODB: JsonService = {
  signingName: "dynamodb",
  endpointPrefix: "dynamodb",
  endpointEnv: "DYNAMODB",
  targetPrefix: "DynamoDB_20120810",
  jsonVersion: "1.0",
};

export interface Command {
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

export class DynamoDBClient {
  // biome-ignore lint/complexity/noUselessConstructor: takes (and ignores) the SDK config argument
  constructor(_config: unknown = {}) {}

  send(command: Command): Promise<Record<string, unknown>> {
    return callJson(DYNAMODB, command.operation, command.input);
  }

  destroy(): void {}
}
