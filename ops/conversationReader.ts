import {
  type DynamoDBDocumentClient,
  QueryCommand,
  ScanCommand,
  type ScanCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { contactPk } from "../lambdas/core/conversation.js";
import {
  type ContactView,
  type ConversationItem,
  contactView,
  LEGACY_PLAN_PREFIX,
} from "../lambdas/core/conversationLog.js";

export interface HistoryQuery {
  /** Only messages at or after this ISO time. */
  since?: string;
  limit?: number;
  newestFirst?: boolean;
}

/**
 * Reads conversations back from the conversation table (Query on one contact's partition, Scan of
 * the whole table): for the ops CLI (`conversation`, `pending`, `replay`), the demo and tests. No
 * Lambda uses it, so no Lambda role holds dynamodb:Query or dynamodb:Scan, and it lives under ops/
 * where no Lambda bundle reaches.
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

  /** Every item of a contact's partition (CONTACT, MSG, REPLY; legacy PLAN), in key order. */
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
   * The customers' messages (MSG items of role "user") at or after `since` (ISO time), and every
   * CONTACT item, grouped by contact: what `ops replay` reads. A Scan of the whole table, billed
   * like scanContacts' (there is no index by time).
   */
  async scanCustomerMessages(
    since: string,
    onPage?: (scannedItems: number) => void,
  ): Promise<Map<string, Record<string, unknown>[]>> {
    return this.scanGrouped(
      {
        FilterExpression:
          "sk = :contact OR (begins_with(sk, :msg) AND #role = :user AND #at >= :since)",
        ExpressionAttributeNames: { "#role": "role", "#at": "at" },
        ExpressionAttributeValues: {
          ":contact": "CONTACT",
          ":msg": "MSG#",
          ":user": "user",
          ":since": since,
        },
      },
      onPage,
    );
  }

  /**
   * Every contact's CONTACT and REPLY items and the MSG items that hold a plan (and legacy PLAN
   * items), grouped by contact: what
   * `ops pending` without a phone reads. There is no list of contacts to Query (and no index: it
   * would double every write), so this is a Scan of the whole table with a filter. DynamoDB bills
   * a Scan for every item it reads, filtered out or not: about 0.5 RCU per 4 KB of table read
   * (eventually consistent), i.e. the whole table's size once. Fine for an operator's question,
   * not for a loop.
   */
  async scanContacts(
    onPage?: (scannedItems: number) => void,
  ): Promise<Map<string, Record<string, unknown>[]>> {
    return this.scanGrouped(
      {
        FilterExpression:
          "sk = :contact OR begins_with(sk, :reply) OR " +
          "(begins_with(sk, :msg) AND attribute_exists(#plan)) OR begins_with(sk, :legacyPlan)",
        ExpressionAttributeNames: { "#plan": "plan" },
        ExpressionAttributeValues: {
          ":contact": "CONTACT",
          ":reply": "REPLY#",
          ":msg": "MSG#",
          ":legacyPlan": LEGACY_PLAN_PREFIX,
        },
      },
      onPage,
    );
  }

  /** A filtered Scan of the whole table, its items grouped by contact (page by page). */
  private async scanGrouped(
    filter: Pick<
      ScanCommandInput,
      "FilterExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
    >,
    onPage?: (scannedItems: number) => void,
  ): Promise<Map<string, Record<string, unknown>[]>> {
    const byPhone = new Map<string, Record<string, unknown>[]>();
    let scanned = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({ TableName: this.tableName, ...filter, ExclusiveStartKey: startKey }),
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
