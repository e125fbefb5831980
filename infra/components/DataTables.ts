import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TABLES, type TableSchema } from "../../lambdas/contract.js";
import { statefulResourceOptions } from "../protection.js";

export interface DataTablesArgs {
  /** Prod: DynamoDB deletion protection, Pulumi `protect`, and `retainOnDelete` on each table. */
  protect: boolean;
}

/**
 * The DynamoDB table: the conversation table (contacts, messages, plans and replies with their
 * send state; the reply items are items of it). All on-demand,
 * with point-in-time recovery and TTL on `expiresAt`; key schemas from lambdas/contract.ts TABLES.
 */
export class DataTables extends pulumi.ComponentResource {
  readonly conversation: aws.dynamodb.Table;

  constructor(name: string, args: DataTablesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("whatsable:data:DataTables", name, {}, opts);
    const table = (role: string, schema: TableSchema) =>
      new aws.dynamodb.Table(`${name}-${role}`, tableArgs(schema, args.protect), {
        parent: this,
        // Set on each table: the SDK passes `protect` down from a parent, not `retainOnDelete`.
        ...statefulResourceOptions(args.protect),
      });
    this.conversation = table("conversation", TABLES.conversation);
    this.registerOutputs({
      conversationTableName: this.conversation.name,
    });
  }
}

/** Table settings from a contract key schema (pure, for tests). */
function tableArgs(schema: TableSchema, deletionProtection: boolean): aws.dynamodb.TableArgs {
  const keys = new Set<string>([schema.partitionKey]);
  if (schema.sortKey) keys.add(schema.sortKey);
  for (const index of schema.globalSecondaryIndexes ?? []) {
    keys.add(index.partitionKey);
    if (index.sortKey) keys.add(index.sortKey);
  }
  return {
    billingMode: "PAY_PER_REQUEST",
    hashKey: schema.partitionKey,
    rangeKey: schema.sortKey,
    attributes: [...keys].map((key) => ({ name: key, type: "S" })),
    globalSecondaryIndexes: schema.globalSecondaryIndexes?.map((index) => ({
      name: index.name,
      // Keys only, should a contract table declare an index: no copy of the message text (writes
      // and storage). The conversation table has none (its writes stay at 5 WRU).
      projectionType: "KEYS_ONLY",
      keySchemas: [
        { attributeName: index.partitionKey, keyType: "HASH" },
        ...(index.sortKey ? [{ attributeName: index.sortKey, keyType: "RANGE" }] : []),
      ],
    })),
    ttl: schema.ttlAttribute ? { attributeName: schema.ttlAttribute, enabled: true } : undefined,
    pointInTimeRecovery: { enabled: true },
    deletionProtectionEnabled: deletionProtection,
  };
}
