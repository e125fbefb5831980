import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { type ContactState, contactPk } from "../core/conversation.js";

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
