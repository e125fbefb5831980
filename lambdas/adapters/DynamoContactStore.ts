import { type AttributeValue, ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import {
  type ContactState,
  claimFromOld,
  contactPk,
  type MessageClaim,
} from "../core/conversation.js";
import {
  type ConversationItem,
  LEGACY_PLAN_PREFIX,
  OPTIONAL_MESSAGE_FIELDS,
  type Plan,
  planOf,
} from "../core/conversationLog.js";
import type { ContactStore, MessageClaimInput, StoredMessage } from "../core/ports.js";
import { CONTACT_SK, conditionally, readContact, readItem } from "./conversationTable.js";

/**
 * The contact side of the conversation table (TABLES.conversation): the CONTACT item, whose every
 * write is one UpdateItem (1 WRU), and the MSG items, each message with the plan it got (one
 * UpdateItem too, so the responder needs no PutItem). Model and states: core/conversation.ts.
 * The responder writes through it; the ops CLI's pause / resume / cancel are its operator methods.
 * Reading a whole conversation back: ops/conversationReader.ts.
 */
export class DynamoContactStore implements ContactStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claimMessage(input: MessageClaimInput): Promise<MessageClaim> {
    const set = [
      "phone = :phone",
      "lastInboundAt = :at",
      "lastInboundKey = :key",
      "lastInboundAcceptedAt = :accepted",
      "planId = :planId",
      "updatedAt = :now",
    ];
    const remove: string[] = [];
    const values: Record<string, unknown> = {
      ":phone": input.phone,
      ":at": input.at,
      ":key": input.key,
      ":accepted": input.acceptedAt,
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
          // core/conversation.ts isNewerMessage: newer by the vendor's message time, then (same
          // second) by acceptance, then by key: every worker orders two messages the same way,
          // whatever order they arrive in. An item claimed before lastInboundAcceptedAt existed
          // goes by key. Never the newest message again: a message the vendor sent without a time
          // carries its acceptance time, which is later on a redelivery after the queue's 5-minute
          // dedupe window; while it is still the newest, the same key is "same". (Once a newer
          // message came, such a repeat is judged by its new time: docs/scheduling.md, section 6.)
          ConditionExpression:
            "(attribute_not_exists(lastInboundAt) OR lastInboundAt < :at OR " +
            "(lastInboundAt = :at AND (lastInboundAcceptedAt < :accepted OR " +
            "((attribute_not_exists(lastInboundAcceptedAt) OR lastInboundAcceptedAt = :accepted) " +
            "AND lastInboundKey < :key)))) AND " +
            "(attribute_not_exists(lastInboundKey) OR lastInboundKey <> :key)",
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
    const paused = await conditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: contactPk(input.phone), sk: CONTACT_SK },
        UpdateExpression:
          "SET phone = :phone, pausedUntil = :until, pauseReason = :human, updatedAt = :now",
        // Never lowers a later pause (an earlier takeover delivered late changes nothing).
        ConditionExpression: "attribute_not_exists(pausedUntil) OR pausedUntil < :until",
        ExpressionAttributeValues: {
          ":phone": input.phone,
          ":until": input.until,
          ":human": "human",
          ":now": input.now,
        },
      }),
    );
    if (paused) await this.raiseCancelBefore(input.phone, input.at, "human", input.now);
  }

  /**
   * Moves the contact's cancel cutoff forward, never back: a takeover processed after an operator's
   * `cancel` (or the reverse) with an earlier time must not revive replies already cancelled.
   * A separate conditional write because DynamoDB has no max() in an update expression.
   */
  private async raiseCancelBefore(phone: string, at: number, reason: string, now: number) {
    await conditionally(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: contactPk(phone), sk: CONTACT_SK },
        UpdateExpression:
          "SET phone = :phone, cancelBefore = :at, cancelReason = :reason, updatedAt = :now",
        ConditionExpression: "attribute_not_exists(cancelBefore) OR cancelBefore < :at",
        ExpressionAttributeValues: { ":phone": phone, ":at": at, ":reason": reason, ":now": now },
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
          "SET phone = :phone, pausedUntil = :until, pauseReason = :operator, updatedAt = :now",
        ExpressionAttributeValues: {
          ":phone": input.phone,
          ":until": input.until,
          ":operator": "operator",
          ":now": input.now,
        },
      }),
    );
    await this.raiseCancelBefore(input.phone, input.now, "operator", input.now);
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
    await this.raiseCancelBefore(input.phone, input.now, "operator", input.now);
  }

  getContact(phone: string): Promise<ContactState | undefined> {
    return readContact(this.client, this.tableName, phone);
  }

  async recordMessage(item: ConversationItem): Promise<ConversationItem> {
    const { pk, sk, ...fields } = item;
    const names: Record<string, string> = { "#plan": "plan" };
    const values: Record<string, unknown> = {};
    const set: string[] = [];
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      set.push(`#${name} = :${name}`);
    }
    // The item is this message as written now: drop what an earlier write of it set and this one
    // does not (e.g. noReplyReason "policy_unavailable" when a redriven job gets its plan).
    const remove = OPTIONAL_MESSAGE_FIELDS.filter((name) => !(`:${name}` in values));
    for (const name of remove) names[`#${name}`] = name;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, sk },
          UpdateExpression:
            `SET ${set.join(", ")}` +
            (remove.length ? ` REMOVE ${remove.map((name) => `#${name}`).join(", ")}` : ""),
          // A stored plan is never replaced: two copies of a job store one plan, the loser gets
          // it back from the failed condition (no extra read) and queues the same replies.
          ConditionExpression: "attribute_not_exists(#plan)",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return item;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const stored = error.Item as Record<string, AttributeValue> | undefined;
      return stored ? (unmarshall(stored) as ConversationItem) : item;
    }
  }

  async findMessage(message: {
    phone: string;
    sk: string;
    consistentRead: boolean;
  }): Promise<StoredMessage | undefined> {
    const item = await readItem<ConversationItem>(
      this.client,
      this.tableName,
      { pk: contactPk(message.phone), sk: message.sk },
      message.consistentRead,
    );
    if (!item) return undefined;
    const plan = planOf(item);
    return {
      ...(plan ? { plan } : {}),
      ...(item.noReplyReason ? { noReplyReason: item.noReplyReason } : {}),
    };
  }

  findLegacyPlan(message: { phone: string; planId: string }): Promise<Plan | undefined> {
    return readItem<Plan>(this.client, this.tableName, {
      pk: contactPk(message.phone),
      sk: `${LEGACY_PLAN_PREFIX}${message.planId}`,
    });
  }
}

/** The item a failed condition returned: the document client leaves it marshalled. */
function unmarshalled(item: Record<string, AttributeValue> | undefined): ContactState | undefined {
  return item ? (unmarshall(item) as ContactState) : undefined;
}
