import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, type UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { type ContactState, contactPk } from "../core/conversation.js";

/** What the conversation table's adapters share (DynamoConversationLog, DynamoSentMarkers). */

/** Sort key of a contact's state item. */
export const CONTACT_SK = "CONTACT";

/**
 * A strongly consistent read of a contact's CONTACT item (1 RCU under 4 KB, no WRU). Shared by the responder's and the sender's adapters, each of which holds
 * only the grants of its own function.
 */
export async function readContact(
  client: DynamoDBDocumentClient,
  tableName: string,
  phone: string,
): Promise<ContactState | undefined> {
  const out = await client.send(
    new GetCommand({
      TableName: tableName,
      Key: { pk: contactPk(phone), sk: CONTACT_SK },
      ConsistentRead: true,
    }),
  );
  return out.Item as ContactState | undefined;
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
