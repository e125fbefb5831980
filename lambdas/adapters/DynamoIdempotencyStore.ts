import { randomUUID } from "node:crypto";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { ClaimRecord, IdempotencyClaimResult, IdempotencyStore } from "../core/ports.js";

/**
 * Idempotency claims in DynamoDB (table TABLES.idempotency, key `pk`, TTL `expiresAt`).
 * Item: { pk, status: "IN_PROGRESS" | "QUEUED", token, inProgressUntil (epoch ms), expiresAt (epoch s) }.
 * The claim is one conditional PutItem; a refused claim returns the existing item with the error
 * (ReturnValuesOnConditionCheckFailure), so a duplicate costs no extra read.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(
    key: string,
    claim: { now: number; inProgressUntil: number; expiresAt: number },
  ): Promise<IdempotencyClaimResult> {
    const token = randomUUID();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: key,
            status: "IN_PROGRESS",
            token,
            inProgressUntil: claim.inProgressUntil,
            expiresAt: claim.expiresAt,
          },
          // Free, or an abandoned lease, or past its TTL (DynamoDB deletes expired items lazily).
          ConditionExpression:
            "attribute_not_exists(pk) OR (#status = :inProgress AND #lease < :now) OR #expiresAt < :nowSeconds",
          ExpressionAttributeNames: {
            "#status": "status",
            "#lease": "inProgressUntil",
            "#expiresAt": "expiresAt",
          },
          ExpressionAttributeValues: {
            ":inProgress": "IN_PROGRESS",
            ":now": claim.now,
            ":nowSeconds": Math.floor(claim.now / 1000),
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { claimed: true, token };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const old = (error as { Item?: Record<string, AttributeValue> }).Item;
      return { claimed: false, existing: old ? fromAttributes(old) : await this.get(key) };
    }
  }

  async get(key: string): Promise<ClaimRecord | null> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true }),
    );
    const item = result.Item;
    if (!item) return null;
    return toRecord(item.status, item.inProgressUntil, item.expiresAt);
  }

  async markQueued(key: string, token: string, expiresAt: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression: "SET #status = :queued, #expiresAt = :expiresAt",
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: {
            "#status": "status",
            "#expiresAt": "expiresAt",
            "#token": "token",
          },
          ExpressionAttributeValues: {
            ":queued": "QUEUED",
            ":expiresAt": expiresAt,
            ":token": token,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async release(key: string, token: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: key },
          ConditionExpression: "#token = :token AND #status = :inProgress",
          ExpressionAttributeNames: { "#token": "token", "#status": "status" },
          ExpressionAttributeValues: { ":token": token, ":inProgress": "IN_PROGRESS" },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}

/** By name: instanceof breaks when a bundle holds two copies of the SDK. */
function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

/** The error's Item is the low-level attribute map (lib-dynamodb does not unmarshall errors). */
function fromAttributes(item: Record<string, AttributeValue>): ClaimRecord | null {
  return toRecord(item.status?.S, numberOf(item.inProgressUntil), numberOf(item.expiresAt));
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  return value?.N === undefined ? undefined : Number(value.N);
}

function toRecord(
  status: unknown,
  inProgressUntil: unknown,
  expiresAt: unknown,
): ClaimRecord | null {
  if (status !== "IN_PROGRESS" && status !== "QUEUED") return null;
  return {
    status,
    inProgressUntil: typeof inProgressUntil === "number" ? inProgressUntil : 0,
    expiresAt: typeof expiresAt === "number" ? expiresAt : 0,
  };
}
