import { describe, expect, it } from "vitest";
import { fifoQueueName } from "../../../infra/components/QueueWithDeadLetter.js";

describe("fifoQueueName", () => {
  it("names a FIFO queue by project, stack and role, with the .fifo suffix SQS requires", () => {
    expect(fifoQueueName("whatsable-replies", "prod", "pipeline-jobs")).toBe(
      "whatsable-replies-prod-pipeline-jobs.fifo",
    );
  });

  it("replaces characters SQS refuses in a name", () => {
    expect(fifoQueueName("acme", "org/team.prod", "jobs")).toBe("acme-org-team-prod-jobs.fifo");
  });

  it("keeps a long stack's queue and its DLQ apart, both within SQS's 80 characters", () => {
    const stack = "customer-support-europe-west-production-blue-green-canary";
    const jobs = fifoQueueName("whatsable-replies", stack, "pipeline-jobs");
    const dlq = fifoQueueName("whatsable-replies", stack, "pipeline-jobs-dlq");
    expect(jobs).not.toBe(dlq);
    for (const name of [jobs, dlq]) {
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(/^whatsable-replies-customer-support.*\.fifo$/);
    }
  });
});
