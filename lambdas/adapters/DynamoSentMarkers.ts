import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { CLAIMABLE_STATUSES, markerKey, type SentMarker } from "../core/deliverReply.js";
import type {
  FinishInput,
  MarkerClaimInput,
  MarkerClaimResult,
  MarkSentInput,
  MarkUnknownInput,
  SentMarkerStore,
} from "../core/ports.js";

/**
 * Sent-markers in DynamoDB (TABLES.sentMarkers). Every transition is one conditional UpdateItem,
 * so two workers holding copies of the same reply can never both pass the claim.
 */
export class DynamoSentMarkers implements SentMarkerStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(planId: string, seq: number): Promise<SentMarker | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: markerKey(planId, seq) },
        ConsistentRead: true,
      }),
    );
    return out.Item as SentMarker | undefined;
  }

  async claim(input: MarkerClaimInput): Promise<MarkerClaimResult> {
    const claimed = await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: markerKey(input.planId, input.seq) },
        UpdateExpression:
          "SET #status = :sending, #owner = :owner, leaseUntil = :lease, updatedAt = :now, " +
          "expiresAt = :expires, planId = :planId, seq = :seq ADD attempts :one",
        ConditionExpression: "attribute_not_exists(pk) OR #status IN (:retry, :gaveUp)",
        ExpressionAttributeNames: { "#status": "status", "#owner": "owner" },
        ExpressionAttributeValues: {
          ":sending": "SENDING",
          ":owner": input.owner,
          ":lease": input.now + input.leaseMs,
          ":now": input.now,
          ":expires": Math.floor(input.now / 1000) + input.ttlSeconds,
          ":planId": input.planId,
          ":seq": input.seq,
          ":one": 1,
          ":retry": CLAIMABLE_STATUSES[0],
          ":gaveUp": CLAIMABLE_STATUSES[1],
        },
      }),
    );
    if (claimed) return { claimed: true };
    return { claimed: false, existing: await this.get(input.planId, input.seq) };
  }

  markSent(input: MarkSentInput): Promise<boolean> {
    return this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: markerKey(input.planId, input.seq) },
        UpdateExpression:
          "SET #status = :sent, sentAt = :at, updatedAt = :at REMOVE leaseUntil, reason",
        ConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#status": "status", "#owner": "owner" },
        ExpressionAttributeValues: { ":sent": "SENT", ":at": input.sentAt, ":owner": input.owner },
      }),
    );
  }

  finish(input: FinishInput): Promise<boolean> {
    return this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: markerKey(input.planId, input.seq) },
        UpdateExpression:
          "SET #status = :status, reason = :reason, updatedAt = :now REMOVE leaseUntil",
        ConditionExpression: "#owner = :owner AND #status = :sending",
        ExpressionAttributeNames: { "#status": "status", "#owner": "owner" },
        ExpressionAttributeValues: {
          ":status": input.status,
          ":reason": input.reason,
          ":now": input.now,
          ":owner": input.owner,
          ":sending": "SENDING",
        },
      }),
    );
  }

  markUnknown(input: MarkUnknownInput): Promise<boolean> {
    return this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: markerKey(input.planId, input.seq) },
        UpdateExpression:
          "SET #status = :unknown, reason = :reason, updatedAt = :now REMOVE leaseUntil",
        ConditionExpression: "#status = :sending AND #owner = :owner AND leaseUntil <= :now",
        ExpressionAttributeNames: { "#status": "status", "#owner": "owner" },
        ExpressionAttributeValues: {
          ":unknown": "UNKNOWN",
          ":reason": "the sender stopped during the vendor call; delivery unknown",
          ":now": input.now,
          ":sending": "SENDING",
          ":owner": input.owner,
        },
      }),
    );
  }

  /** Runs a conditional write: true when it applied, false when its condition did not hold. */
  private async conditionally(command: UpdateCommand): Promise<boolean> {
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
