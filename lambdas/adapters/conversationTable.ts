import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, type UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { type ContactState, contactPk } from "../core/conversation.js";

/**
 * What the conversation table's stores share (TABLES.conversation; one partition per contact, pk
 * PHONE#<digits>; model in core/conversation.ts): the consistent read of an item, the CONTACT
 * read, a conditional write. One store per port, each in a file of its own:
 * - DynamoContactStore (ContactStore): the CONTACT item and the MSG items (responder, ops CLI);
 * - DynamoReplyStore (ReplyStore): the reply items, REPLY#<planId>#<seq> (sender).
 * The ops CLI's reader of whole conversations is ops/conversationReader.ts: no Lambda uses it.
 * A function's IAM policy follows the calls its handler makes (test/infra/iamByUse.test.ts), not
 * the stores a module holds.
 */

/** Sort key of a contact's state item. */
export const CONTACT_SK = "CONTACT";

/** A read of one item: strongly consistent (1 RCU under 4 KB) unless told otherwise (0.5). */
export async function readItem<T>(
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
 * A contact's CONTACT item. Shared by the responder's and the sender's stores, each of which
 * holds only the grants of its own function.
 */
export function readContact(
  client: DynamoDBDocumentClient,
  tableName: string,
  phone: string,
): Promise<ContactState | undefined> {
  return readItem(client, tableName, { pk: contactPk(phone), sk: CONTACT_SK });
}

/** Runs a conditional write: true when it applied, false when its condition did not hold. */
export async function conditionally(
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
