import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { type ContactState, contactPk } from "../core/conversation.js";
import { attachmentContentType } from "../core/conversationLog.js";
import { CLAIMABLE_STATUSES, replySk, type SentMarker } from "../core/deliverReply.js";
import type { ScheduledReply } from "../core/messages.js";
import type {
  CancelInput,
  ContactStore,
  FinishInput,
  MarkerClaimInput,
  MarkerClaimResult,
  MarkSentInput,
  MarkUnknownInput,
  ReplyRef,
  SentMarkerStore,
} from "../core/ports.js";
import { conditionally, readContact } from "./conversationTable.js";

function keyOf(ref: ReplyRef) {
  return { pk: contactPk(ref.phone), sk: replySk(ref.planId, ref.seq) };
}

/** The conversation fields of a reply's item, set when the item is created (claim or cancel). */
function conversationFields(reply: ScheduledReply) {
  return {
    ":phone": reply.phone,
    ":userId": reply.userId,
    ":role": "bot",
    ":content": reply.text,
    ":contentType": reply.attachment ? attachmentContentType(reply.attachment) : "text",
    ":mediaUrl": reply.attachment ?? null,
    ":dueAt": reply.dueAt,
    ":planId": reply.planId,
    ":seq": reply.seq,
  };
}
const CONVERSATION_SET =
  "phone = :phone, userId = :userId, #role = :role, content = :content, " +
  "contentType = :contentType, mediaUrl = :mediaUrl, dueAt = :dueAt, planId = :planId, seq = :seq";

/**
 * Reply items (sent-markers) in the conversation table (REPLY#<planId>#<seq> in the contact's
 * partition): the send state of a reply and its conversation record in one item, so a reply
 * answered once costs two writes (claim, SENT). Every transition is one conditional UpdateItem,
 * so two workers holding copies of the same reply can never both pass the claim.
 */
export class DynamoSentMarkers implements SentMarkerStore, Pick<ContactStore, "getContact"> {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The contact's state, read right before a claim (the sender's only read of CONTACT). */
  getContact(phone: string): Promise<ContactState | undefined> {
    return readContact(this.client, this.tableName, phone);
  }

  async get(ref: ReplyRef): Promise<SentMarker | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keyOf(ref),
        ConsistentRead: true,
      }),
    );
    return out.Item as SentMarker | undefined;
  }

  async claim(input: MarkerClaimInput): Promise<MarkerClaimResult> {
    const claimed = await conditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(input),
        UpdateExpression:
          "SET #status = :sending, #owner = :owner, leaseUntil = :lease, updatedAt = :now, " +
          `expiresAt = :expires, ${CONVERSATION_SET} ADD attempts :one`,
        ConditionExpression: "attribute_not_exists(pk) OR #status IN (:retry, :gaveUp)",
        ExpressionAttributeNames: { "#status": "status", "#owner": "owner", "#role": "role" },
        ExpressionAttributeValues: {
          ":sending": "SENDING",
          ":owner": input.owner,
          ":lease": input.now + input.leaseMs,
          ":now": input.now,
          ":expires": Math.floor(input.now / 1000) + input.ttlSeconds,
          ...conversationFields(input.reply),
          ":one": 1,
          ":retry": CLAIMABLE_STATUSES[0],
          ":gaveUp": CLAIMABLE_STATUSES[1],
        },
      }),
    );
    if (claimed) return { claimed: true };
    return { claimed: false, existing: await this.get(input) };
  }

  markSent(input: MarkSentInput): Promise<boolean> {
    return conditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(input),
        UpdateExpression:
          "SET #status = :sent, sentAt = :at, #at = :iso, updatedAt = :at REMOVE leaseUntil, reason",
        ConditionExpression: "#owner = :owner",
        ExpressionAttributeNames: { "#status": "status", "#owner": "owner", "#at": "at" },
        ExpressionAttributeValues: {
          ":sent": "SENT",
          ":at": input.sentAt,
          ":iso": new Date(input.sentAt).toISOString(),
          ":owner": input.owner,
        },
      }),
    );
  }

  finish(input: FinishInput): Promise<boolean> {
    return conditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(input),
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
    return conditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(input),
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

  cancel(input: CancelInput): Promise<boolean> {
    return conditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(input),
        UpdateExpression:
          "SET #status = :cancelled, cancelReason = :reason, updatedAt = :now, " +
          `expiresAt = :expires, ${CONVERSATION_SET} REMOVE leaseUntil`,
        ConditionExpression: "attribute_not_exists(pk) OR #status IN (:retry, :gaveUp)",
        ExpressionAttributeNames: { "#status": "status", "#role": "role" },
        ExpressionAttributeValues: {
          ":cancelled": "CANCELLED",
          ":reason": input.reason,
          ":now": input.now,
          ":expires": Math.floor(input.now / 1000) + input.ttlSeconds,
          ...conversationFields(input.reply),
          ":retry": CLAIMABLE_STATUSES[0],
          ":gaveUp": CLAIMABLE_STATUSES[1],
        },
      }),
    );
  }
}
