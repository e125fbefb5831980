import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
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

  /**
   * Every contact's CONTACT, PLAN and REPLY items (not the MSG items), grouped by contact: what
   * `ops pending` without a phone reads. There is no list of contacts to Query (and no index: it
   * would double every write), so this is a Scan of the whole table with a filter. DynamoDB bills
   * a Scan for every item it reads, filtered out or not: about 0.5 RCU per 4 KB of table read
   * (eventually consistent), i.e. the whole table's size once. Fine for an operator's question,
   * not for a loop.
   */
  async scanContacts(
    onPage?: (scannedItems: number) => void,
  ): Promise<Map<string, Record<string, unknown>[]>> {
    const byPhone = new Map<string, Record<string, unknown>[]>();
    let scanned = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: "sk = :contact OR begins_with(sk, :plan) OR begins_with(sk, :reply)",
          ExpressionAttributeValues: {
            ":contact": "CONTACT",
            ":plan": "PLAN#",
            ":reply": "REPLY#",
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        const phone = String(item.pk).replace(/^PHONE#/, "");
        const items = byPhone.get(phone) ?? [];
        items.push(item);
        byPhone.set(phone, items);
      }
      scanned += out.ScannedCount ?? 0;
      onPage?.(scanned);
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return byPhone;
  }
}
