import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { type ContactState, contactPk } from "../core/conversation.js";
import type { ContactStore, ReplyRef } from "../core/ports.js";
import {
  BaseReplyStore,
  NO_ITEM,
  REPLY_TRANSITIONS,
  type ReplyGuard,
  type ReplyItem,
  type ReplyWrite,
  replySk,
} from "../core/replyItem.js";
import { conditionally, readContact, readItem } from "./conversationTable.js";

/**
 * The reply items in the conversation table (REPLY#<planId>#<seq> in the contact's partition):
 * the send state of a reply and its conversation record in one item, so a reply answered once
 * costs two writes (claim, SENT). The protocol is core/replyItem.ts (BaseReplyStore); this store
 * makes each of its writes one conditional UpdateItem, so two workers holding copies of the same
 * reply can never both pass the claim.
 */
export class DynamoReplyStore extends BaseReplyStore implements Pick<ContactStore, "getContact"> {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    super();
  }

  /** The contact's state, read right before a claim (the sender's only read of CONTACT). */
  getContact(phone: string): Promise<ContactState | undefined> {
    return readContact(this.client, this.tableName, phone);
  }

  protected readItem(ref: ReplyRef): Promise<ReplyItem | undefined> {
    return readItem(this.client, this.tableName, keyOf(ref));
  }

  protected applyIfAllowed(ref: ReplyRef, write: ReplyWrite): Promise<boolean> {
    return conditionally(
      this.client,
      new UpdateCommand({ TableName: this.tableName, Key: keyOf(ref), ...updateOf(write) }),
    );
  }
}

function keyOf(ref: ReplyRef) {
  return { pk: contactPk(ref.phone), sk: replySk(ref.planId, ref.seq) };
}

/**
 * The condition's named parts in DynamoDB's words (core/replyItem.ts writeApplies says the same
 * in TypeScript's; a comparison with a missing attribute is false in both).
 */
const CONDITION_PARTS = {
  itemAbsent: () => "attribute_not_exists(pk)",
  statusIn: (placeholders: string[]) => `#status IN (${placeholders.join(", ")})`,
  ownedByCaller: () => "#owner = :callerOwner",
  leaseExpired: () => "#leaseUntil <= :callerNow",
} satisfies Record<ReplyGuard | "itemAbsent" | "statusIn", (...args: never[]) => string>;

/** A write as an UpdateItem's expressions: its changes, under its transition's condition. */
function updateOf(write: ReplyWrite) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const name = (attribute: string) => {
    names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  };

  const set = Object.entries(write.set)
    .filter(([, value]) => value !== undefined)
    .map(([attribute, value]) => {
      values[`:${attribute}`] = value;
      return `${name(attribute)} = :${attribute}`;
    });
  const remove = write.remove.map(name);

  const { from, guards } = REPLY_TRANSITIONS[write.transition];
  const statuses = from.filter((state) => state !== NO_ITEM);
  const fromParts: string[] = [];
  if ((from as readonly string[]).includes(NO_ITEM)) fromParts.push(CONDITION_PARTS.itemAbsent());
  if (statuses.length > 0) {
    name("status");
    const placeholders = statuses.map((status, i) => {
      values[`:from${i}`] = status;
      return `:from${i}`;
    });
    fromParts.push(CONDITION_PARTS.statusIn(placeholders));
  }
  const conditions = [fromParts.length > 1 ? `(${fromParts.join(" OR ")})` : fromParts[0]];
  for (const guard of guards as readonly ReplyGuard[]) {
    if (guard === "ownedByCaller") {
      name("owner");
      values[":callerOwner"] = write.owner;
    } else {
      name("leaseUntil");
      values[":callerNow"] = write.now;
    }
    conditions.push(CONDITION_PARTS[guard]());
  }

  let expression = `SET ${set.join(", ")}`;
  if (remove.length > 0) expression += ` REMOVE ${remove.join(", ")}`;
  if (write.addAttempt) {
    values[":oneAttempt"] = 1;
    expression += ` ADD ${name("attempts")} :oneAttempt`;
  }
  return {
    UpdateExpression: expression,
    ConditionExpression: conditions.join(" AND "),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
