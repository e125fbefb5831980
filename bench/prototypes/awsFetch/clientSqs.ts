import { callJson, type JsonService } from "./awsJson.js";

/** Stand-in for `@aws-sdk/client-sqs` (esbuild alias; bundle-size prototype): SendMessage only. */

const SQS: JsonService = {
  signingName: "sqs",
  endpointPrefix: "sqs",
  endpointEnv: "SQS",
  targetPrefix: "AmazonSQS",
  jsonVersion: "1.0",
};

export class SendMessageCommand {
  readonly operation = "SendMessage";
  constructor(readonly input: Record<string, unknown>) {}
}

export class SQSClient {
  // biome-ignore lint/complexity/noUselessConstructor: takes (and ignores) the SDK config argument
  constructor(_config: unknown = {}) {}

  send(command: SendMessageCommand): Promise<Record<string, unknown>> {
    return callJson(SQS, command.operation, command.input);
  }

  destroy(): void {}
}
