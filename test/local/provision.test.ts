import { DescribeTableCommand, DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import {
  createDocumentClient,
  createSecretsManagerClient,
  createSqsClient,
} from "../../lambdas/adapters/awsClients.js";
import { TABLES } from "../../lambdas/contract.js";
import { provisionForTest } from "../support/localAws.js";

describe("provisionLocalResources", () => {
  it("creates the contract's tables with TTL, redriven queues and readable secrets", async () => {
    const res = await provisionForTest({ signingSecret: "s3cret", maxReceiveCount: 3 });
    const ddb = createDocumentClient(res.awsEnv);
    const conversation = await ddb.send(
      new DescribeTableCommand({ TableName: res.tables.conversation }),
    );
    expect(conversation.Table?.KeySchema?.map((k) => k.AttributeName)).toEqual(["pk", "sk"]);
    expect(conversation.Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe(
      TABLES.conversation.globalSecondaryIndexes[0].name,
    );
    const ttl = await ddb.send(
      new DescribeTimeToLiveCommand({ TableName: res.tables.sentMarkers }),
    );
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe("expiresAt");

    const sqs = createSqsClient(res.awsEnv);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: res.queues.jobs,
        AttributeNames: ["RedrivePolicy"],
      }),
    );
    expect(JSON.parse(attrs.Attributes?.RedrivePolicy ?? "{}").maxReceiveCount).toBe(3);

    const sm = createSecretsManagerClient(res.awsEnv);
    const secret = await sm.send(new GetSecretValueCommand({ SecretId: res.secrets.signing }));
    expect(secret.SecretString).toBe("s3cret");
  });

  it("makes the jobs queue and its DLQ FIFO without content-based deduplication, replies standard", async () => {
    const res = await provisionForTest({ signingSecret: "s3cret" });
    const sqs = createSqsClient(res.awsEnv);
    const attributesOf = async (url: string) =>
      (
        await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ["FifoQueue", "ContentBasedDeduplication", "RedrivePolicy", "QueueArn"],
          }),
        )
      ).Attributes ?? {};
    const jobs = await attributesOf(res.queues.jobs);
    const jobsDlq = await attributesOf(res.queues.jobsDlq);
    expect(res.queues.jobs).toMatch(/\.fifo$/);
    expect(jobs.FifoQueue).toBe("true");
    expect(jobs.ContentBasedDeduplication).toBe("false");
    expect(jobsDlq.FifoQueue).toBe("true");
    expect(JSON.parse(jobs.RedrivePolicy ?? "{}").deadLetterTargetArn).toBe(jobsDlq.QueueArn);
    expect((await attributesOf(res.queues.replies)).FifoQueue).not.toBe("true");
    expect(res.tables).not.toHaveProperty("idempotency");
  });
});
