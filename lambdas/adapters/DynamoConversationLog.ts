import { setTimeout as sleep } from "node:timers/promises";
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { TABLES } from "../contract.js";
import type { ConversationItem } from "../core/conversationLog.js";
import type { ConversationLogStore } from "../core/ports.js";

/** DynamoDB accepts at most 25 puts per BatchWriteItem. */
const BATCH_SIZE = 25;
/** Rounds of re-sending throttled (unprocessed) items before giving up. */
const MAX_UNPROCESSED_ROUNDS = 6;

const BY_USER_INDEX = TABLES.conversation.globalSecondaryIndexes[0].name;

export interface HistoryQuery {
  /** Only messages at or after this ISO time. */
  since?: string;
  limit?: number;
  newestFirst?: boolean;
}

/**
 * The conversation log in DynamoDB (TABLES.conversation). Items have deterministic keys, so plain
 * batched puts are idempotent: a message already logged is rewritten with the same content.
 */
export class DynamoConversationLog implements ConversationLogStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(items: readonly ConversationItem[]): Promise<void> {
    for (let start = 0; start < items.length; start += BATCH_SIZE) {
      let pending = items
        .slice(start, start + BATCH_SIZE)
        .map((item) => ({ PutRequest: { Item: { ...item } } }));
      for (let round = 0; pending.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) {
          throw new Error(
            `conversation log: ${pending.length} item(s) stayed unprocessed (throttled)`,
          );
        }
        if (round > 0) await sleep(50 * 2 ** round);
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      }
    }
  }

  /** One customer's messages over time (oldest first unless newestFirst). */
  byPhone(phone: string, query: HistoryQuery = {}): Promise<ConversationItem[]> {
    return this.query("pk", `PHONE#${phone}`, undefined, query);
  }

  /** One vendor user's messages over time, through the byUser index. */
  byUser(userId: string, query: HistoryQuery = {}): Promise<ConversationItem[]> {
    return this.query("gsi1pk", `USER#${userId}`, BY_USER_INDEX, query);
  }

  private async query(
    keyName: string,
    keyValue: string,
    indexName: string | undefined,
    query: HistoryQuery,
  ): Promise<ConversationItem[]> {
    const sortKey = indexName ? "gsi1sk" : "sk";
    const items: ConversationItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexName,
          KeyConditionExpression: query.since
            ? "#k = :k AND #s >= :since"
            : "#k = :k AND begins_with(#s, :msg)",
          ExpressionAttributeNames: { "#k": keyName, "#s": sortKey },
          ExpressionAttributeValues: query.since
            ? { ":k": keyValue, ":since": `MSG#${query.since}` }
            : { ":k": keyValue, ":msg": "MSG#" },
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
}
