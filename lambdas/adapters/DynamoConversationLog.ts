import { type AttributeValue, ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import {
  type ContactState,
  claimFromOld,
  contactPk,
  type MessageClaim,
} from "../core/conversation.js";
import type { ConversationItem } from "../core/conversationLog.js";
import type { ContactStore, MessageClaimInput } from "../core/ports.js";
import { CONTACT_SK, conditionally, readContact } from "./conversationTable.js";

/**
 * The contact side of the conversation table (TABLES.conversation): the CONTACT item, whose every
 * write is one UpdateItem (1 WRU), and the MSG items. Model and states: core/conversation.ts.
 * The responder writes through it; the ops CLI's pause / resume / cancel are its operator methods.
 * Reading a whole conversation back: DynamoConversationReader.
 */
export class DynamoConversationLog implements ContactStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claimMessage(input: MessageClaimInput): Promise<MessageClaim> {
    const set = [
      "phone = :phone",
      "lastInboundAt = :at",
      "lastInboundKey = :key",
      "planId = :planId",
      "updatedAt = :now",
    ];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ":phone": input.phone,
      ":at": input.at,
      ":key": input.key,
      ":planId": input.planId,
      ":now": input.now,
    };
    if (input.intent === "stop") {
      // The first stop word's plan holds the one confirmation; a repeated one keeps it.
      set.push(
        "optedOut = :true",
        "optedOutAt = :at",
        "optOutPlanId = if_not_exists(optOutPlanId, :planId)",
      );
      values[":true"] = true;
    } else if (input.intent === "start") {
      set.push("optedOut = :false", "optedInAt = :at");
      remove.push("optOutPlanId");
      values[":false"] = false;
    }
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: contactPk(input.phone), sk: CONTACT_SK },
          UpdateExpression: `SET ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
          // Newer by the vendor's message time, then (same time) by key: every worker orders two
          // messages the same way, whatever order they arrive in.
          ConditionExpression:
            "attribute_not_exists(lastInboundAt) OR lastInboundAt < :at OR " +
            "(lastInboundAt = :at AND lastInboundKey < :key)",
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_OLD",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      const before = out.Attributes as ContactState | undefined;
      return { kind: "newest", before };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return claimFromOld(unmarshalled(error.Item), input.key);
    }
  }

  async takeOver(input: { phone: string; at: number; until: number; now: number }) {
    await conditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: contactPk(input.phone), sk: CONTACT_SK },
        UpdateExpression:
          "SET phone = :phone, pausedUntil = :until, pauseReason = :human, " +
          "cancelBefore = :at, cancelReason = :human, updatedAt = :now",
        // Never lowers a later pause (an earlier takeover delivered late changes nothing).
        ConditionExpression: "attribute_not_exists(pausedUntil) OR pausedUntil < :until",
        ExpressionAttributeValues: {
          ":phone": input.phone,
          ":until": input.until,
          ":human": "human",
          ":at": input.at,
          ":now": input.now,
        },
      }),
    );
  }

  async optOutLate(input: { phone: string; at: number; now: number }) {
    await conditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: contactPk(input.phone), sk: CONTACT_SK },
        UpdateExpression: "SET optedOut = :true, optedOutAt = :at, updatedAt = :now",
        ConditionExpression:
          "(attribute_not_exists(optedInAt) OR optedInAt < :at) AND " +
          "(attribute_not_exists(optedOutAt) OR optedOutAt < :at)",
        ExpressionAttributeValues: { ":true": true, ":at": input.at, ":now": input.now },
      }),
    );
  }

  async pause(input: { phone: string; until: number; now: number }) {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: contactPk(input.phone), sk: CONTACT_SK },
        UpdateExpression:
          "SET phone = :phone, pausedUntil = :until, pauseReason = :operator, " +
          "cancelBefore = :now, cancelReason = :operator, updatedAt = :now",
        ExpressionAttributeValues: {
          ":phone": input.phone,
          ":until": input.until,
          ":operator": "operator",
          ":now": input.now,
        },
      }),
    );
  }

  async resume(input: { phone: string; now: number; optIn: boolean }) {
    // An opt-out is the customer's word: only an explicit optIn (the customer asked the business
    // in person) lifts it; a plain resume lifts the pause and leaves a stop word in force.
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: contactPk(input.phone), sk: CONTACT_SK },
        UpdateExpression: input.optIn
          ? "SET phone = :phone, optedOut = :false, optedInAt = :now, updatedAt = :now " +
            "REMOVE pausedUntil, pauseReason, optOutPlanId"
          : "SET phone = :phone, updatedAt = :now REMOVE pausedUntil, pauseReason",
        ExpressionAttributeValues: input.optIn
          ? { ":phone": input.phone, ":false": false, ":now": input.now }
          : { ":phone": input.phone, ":now": input.now },
      }),
    );
  }

  async cancelPending(input: { phone: string; now: number }) {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: contactPk(input.phone), sk: CONTACT_SK },
        UpdateExpression:
          "SET phone = :phone, cancelBefore = :now, cancelReason = :operator, updatedAt = :now",
        ExpressionAttributeValues: {
          ":phone": input.phone,
          ":operator": "operator",
          ":now": input.now,
        },
      }),
    );
  }

  getContact(phone: string): Promise<ContactState | undefined> {
    return readContact(this.client, this.tableName, phone);
  }

  async putMessage(item: ConversationItem): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...item } }));
  }
}

/** The item a failed condition returned: the document client leaves it marshalled. */
function unmarshalled(item: Record<string, AttributeValue> | undefined): ContactState | undefined {
  return item ? (unmarshall(item) as ContactState) : undefined;
}
