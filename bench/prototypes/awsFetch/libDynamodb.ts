import type { Command, DynamoDBClient } from "./clientDynamodb.js";

/**
 * Stand-in for `@aws-sdk/lib-dynamodb` (esbuild alias; bundle-size prototype): the document
 * commands the receiver uses, marshalling plain values to AttributeValues and back.
 */

type AttributeValue = Record<string, unknown>;

function marshall(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === "string") return { S: value };
  if (typeof value === "number" || typeof value === "bigint") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.filter((v) => v !== undefined).map(marshall) };
  if (typeof value === "object") return { M: marshallMap(value as Record<string, unknown>) };
  throw new TypeError(`cannot marshall ${typeof value}`);
}

function marshallMap(map: Record<string, unknown> | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(map ?? {})) {
    if (value !== undefined) out[key] = marshall(value);
  }
  return out;
}

function unmarshall(value: AttributeValue): unknown {
  if ("S" in value) return value.S;
  if ("N" in value) return Number(value.N);
  if ("BOOL" in value) return value.BOOL;
  if ("NULL" in value) return null;
  if ("L" in value) return (value.L as AttributeValue[]).map(unmarshall);
  if ("M" in value) return unmarshallMap(value.M as Record<string, AttributeValue>);
  return value;
}

function unmarshallMap(map: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, unmarshall(value)]));
}

class DocumentCommand implements Command {
  readonly input: Record<string, unknown>;
  constructor(
    readonly operation: string,
    input: Record<string, unknown>,
  ) {
    const marshalled: Record<string, unknown> = { ...input };
    for (const field of ["Item", "Key", "ExpressionAttributeValues", "ExclusiveStartKey"]) {
      if (input[field] !== undefined)
        marshalled[field] = marshallMap(input[field] as Record<string, unknown>);
    }
    this.input = marshalled;
  }
}

export class PutCommand extends DocumentCommand {
  constructor(input: Record<string, unknown>) {
    super("PutItem", input);
  }
}
export class GetCommand extends DocumentCommand {
  constructor(input: Record<string, unknown>) {
    super("GetItem", input);
  }
}
export class UpdateCommand extends DocumentCommand {
  constructor(input: Record<string, unknown>) {
    super("UpdateItem", input);
  }
}
export class DeleteCommand extends DocumentCommand {
  constructor(input: Record<string, unknown>) {
    super("DeleteItem", input);
  }
}

export class DynamoDBDocumentClient {
  private constructor(private readonly client: DynamoDBClient) {}

  static from(client: DynamoDBClient, _options?: unknown): DynamoDBDocumentClient {
    return new DynamoDBDocumentClient(client);
  }

  async send(command: Command): Promise<Record<string, unknown>> {
    // Like lib-dynamodb, errors (and the Item on a failed condition) stay low-level.
    const output = await this.client.send(command);
    const result: Record<string, unknown> = { ...output };
    for (const field of ["Item", "Attributes"]) {
      if (output[field])
        result[field] = unmarshallMap(output[field] as Record<string, AttributeValue>);
    }
    if (Array.isArray(output.Items)) {
      result.Items = (output.Items as Record<string, AttributeValue>[]).map(unmarshallMap);
    }
    return result;
  }

  destroy(): void {}
}
