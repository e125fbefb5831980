import { type AttributeValue, ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import {
  type ContactState,
  claimFromOld,
  contactPk,
  type MessageClaim,
} from "../core/conversation.js";
import {
  attachmentContentType,
  type ContactView,
  type ConversationItem,
  contactView,
  LEGACY_PLAN_PREFIX,
  type Plan,
  planOf,
} from "../core/conversationLog.js";
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
  MessageClaimInput,
  ReplyRef,
  SentMarkerStore,
  StoredMessage,
} from "../core/ports.js";

/**
 * The conversation table (TABLES.conversation; one partition per contact, pk PHONE#<digits>), in
 * one module: the table protocol its items share (keys, the consistent CONTACT read, conditional
 * writes), then one store per port, each holding only the calls its port needs:
 * - DynamoConversationLog (ContactStore): the CONTACT item and the MSG items, each message with
 *   the reply plan it got (responder, ops CLI);
 * - DynamoSentMarkers (SentMarkerStore): REPLY#<planId>#<seq> items (sender);
 * - DynamoConversationReader: reads a conversation back (ops CLI, demo, tests; no Lambda).
 * A function's IAM policy follows the calls its handler makes (test/infra/iamByUse.test.ts), not
 * the classes this module holds.
 */

// --- Table protocol ---

/** Sort key of a contact's state item. */
const CONTACT_SK = "CONTACT";

/** A read of one item: strongly consistent (1 RCU under 4 KB) unless told otherwise (0.5). */
async function readItem<T>(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: { pk: string; sk: string },
  consistentRead = true,
): Promise<T | undefined> {
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: consistentRead }),
  );
  return out.Item as T | undefined;
}

/**
 * A contact's CONTACT item. Shared by the responder's and the sender's adapters, each of which
 * holds only the grants of its own function.
 */
function readContact(
  client: DynamoDBDocumentClient,
  tableName: string,
  phone: string,
): Promise<ContactState | undefined> {
  return readItem(client, tableName, { pk: contactPk(phone), sk: CONTACT_SK });
}

/** Runs a conditional write: true when it applied, false when its condition did not hold. */
async function conditionally(
  client: DynamoDBDocumentClient,
  command: UpdateCommand,
): Promise<boolean> {
  try {
    await client.send(command);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

// --- Contacts and messages ---

/**
 * The contact side of the conversation table (TABLES.conversation): the CONTACT item, whose every
 * write is one UpdateItem (1 WRU), and the MSG items, each message with the plan it got (one
 * UpdateItem too, so the responder needs no PutItem). Model and states: core/conversation.ts.
 * The responder writes through it; the ops CLI's pause / resume / cancel are its operator methods.
 * Reading a whole conversation back: DynamoConversationReader (below).
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

/**
 * The MSG item attributes a write may leave out (messageItem sets them only when they apply), and
 * removes when it does. Not planId: a write without one keeps the plan id an earlier write set (a
 * message an earlier release planned on a PLAN item, logged again by a late repeat, still shows
 * the plan it got).
 */
export const OPTIONAL_MESSAGE_FIELDS = [
  "human",
  "sendBy",
  "noReplyReason",
  "warnings",
  "referral",
] as const satisfies readonly (keyof ConversationItem)[];

/** The item a failed condition returned: the document client leaves it marshalled. */
function unmarshalled(item: Record<string, AttributeValue> | undefined): ContactState | undefined {
  return item ? (unmarshall(item) as ContactState) : undefined;
}

// --- Reply items (sent-markers) ---

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

  get(ref: ReplyRef): Promise<SentMarker | undefined> {
    return readItem(this.client, this.tableName, keyOf(ref));
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

// --- Reading conversations back ---

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
