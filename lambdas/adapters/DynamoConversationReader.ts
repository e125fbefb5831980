import { type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { contactPk } from "../core/conversation.js";
import { type ContactView, type ConversationItem, contactView } from "../core/conversationLog.js";

export interface HistoryQuery {
  /** Only messages at or after this ISO time. */
  since?: string;
  limit?: number;
  newestFirst?: boolean;
}

/**
 * Reads conversations back from the conversation table (Query on one contact's partition): for
 * the ops CLI (`conversation`, `pending`) and tests. No Lambda uses it, so no Lambda role holds
 * dynamodb:Query.
 */
export class DynamoConversationReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** One contact's messages over time (MSG items; oldest first unless newestFirst). */
  async byPhone(phone: string, query: HistoryQuery = {}): Promise<ConversationItem[]> {
    const items: ConversationItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: query.since
            ? "pk = :k AND sk BETWEEN :since AND :end"
            : "pk = :k AND begins_with(sk, :msg)",
          ExpressionAttributeValues: query.since
            ? { ":k": contactPk(phone), ":since": `MSG#${query.since}`, ":end": "MSG$" }
            : { ":k": contactPk(phone), ":msg": "MSG#" },
          ScanIndexForward: !query.newestFirst,
          Limit: query.limit,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((out.Items ?? []) as ConversationItem[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey && (query.limit === undefined || items.length < query.limit));
    return query.limit === undefined ? items : items.slice(0, query.limit);
  }

  /**
   * A contact's whole conversation: state, messages, plans, replies and their timeline (one
   * strongly consistent Query of its partition). What the ops CLI's `conversation` and `pending` read.
   */
  async conversation(phone: string): Promise<ContactView> {
    return contactView(await this.partition(phone));
  }

  /** Every item of a contact's partition (CONTACT, MSG, PLAN, REPLY), in key order. */
  async partition(phone: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :k",
          ExpressionAttributeValues: { ":k": contactPk(phone) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
