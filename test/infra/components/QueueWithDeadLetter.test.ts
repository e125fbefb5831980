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

  it("keeps the name of a DLQ deployed when its name was cut without colliding", () => {
    // The jobs queue's name fits with one character to spare; the DLQ's, 4 characters longer, was
    // cut to 75 + ".fifo" and differs from it in its last character.
    const role = "pipeline-jobs";
    const stack = "s".repeat(74 - "whatsable-replies--".length - role.length);
    expect(fifoQueueName("whatsable-replies", stack, role)).toHaveLength(79);
    const dlq = fifoQueueName("whatsable-replies", stack, `${role}-dlq`);
    expect(dlq).toBe(`${`whatsable-replies-${stack}-${role}-dlq`.slice(0, 75)}.fifo`);
    expect(dlq).not.toBe(fifoQueueName("whatsable-replies", stack, role));
  });

  it("hashes a DLQ whose cut name would be its queue's", () => {
    const role = "pipeline-jobs";
    const stack = "s".repeat(75 - "whatsable-replies--".length - role.length);
    expect(fifoQueueName("whatsable-replies", stack, `${role}-dlq`)).not.toBe(
      fifoQueueName("whatsable-replies", stack, role),
    );
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
