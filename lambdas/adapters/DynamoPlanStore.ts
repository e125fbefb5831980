import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { contactPk, type PlanItem, planSk } from "../core/conversationLog.js";
import type { PlanStore } from "../core/ports.js";

/**
 * Reply plans in the conversation table (PLAN#<planId> in the contact's partition). `create` is
 * one conditional PutItem (attribute_not_exists): two copies of a job store one plan, and the
 * loser reads the stored one back, so both queue the same replies.
 */
export class DynamoPlanStore implements PlanStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(phone: string, planId: string): Promise<PlanItem | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: contactPk(phone), sk: planSk(planId) },
        ConsistentRead: true,
      }),
    );
    return out.Item as PlanItem | undefined;
  }

  async create(plan: PlanItem): Promise<PlanItem> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...plan },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return plan;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Another copy of the job stored its plan first: that one is the plan (a read, rather than
      // ReturnValuesOnConditionCheckFailure, keeps util-dynamodb out of the bundle; races are rare).
      return (await this.get(plan.phone, plan.planId)) ?? plan;
    }
  }
}
