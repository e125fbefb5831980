import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FunctionName } from "../../lambdas/contract.js";
import { checkedEnvironment } from "../awsLimits.js";
import { LAMBDA_ASSUME_ROLE_POLICY } from "../policies.js";

/** An SQS queue feeding the function through an event source mapping. */
interface QueueTrigger {
  queueArn: pulumi.Input<string>;
  batchSize: number;
  /** Wait up to this long to fill a batch (fewer, fuller invocations). */
  maximumBatchingWindowInSeconds?: number;
  /** Cap on concurrent invocations this queue drives (2 to 1000). */
  maximumConcurrency?: number;
}

export interface PipelineFunctionArgs {
  fn: FunctionName;
  code: pulumi.asset.Archive;
  /** Exactly the function's env (functionEnvironment()). */
  environment: Record<string, pulumi.Input<string>>;
  /** The role's only policy, given the ARN of the function's own log group. */
  policy: (logGroupArn: pulumi.Output<string>) => pulumi.Input<string>;
  timeoutSeconds: number;
  memoryMb: number;
  logRetentionDays: number;
  queueTrigger?: QueueTrigger;
  /** Concurrency reserved for (and capping) the function; none = the account's unreserved pool. */
  reservedConcurrency?: number;
}

/** Lambda's runtime and architecture for every function (Graviton is cheaper per ms). */
export const LAMBDA_RUNTIME = { runtime: "nodejs22.x", architecture: "arm64" } as const;

/**
 * One Lambda with everything it owns: a role with a single inline least-privilege policy, a log
 * group with retention (the function logs there, not to an unmanaged /aws/lambda group), the
 * function itself and, for workers, the SQS event source mapping with partial batch responses.
 */
export class PipelineFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly eventSourceMapping?: aws.lambda.EventSourceMapping;

  constructor(name: string, args: PipelineFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("whatsable:functions:PipelineFunction", name, {}, opts);
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: args.logRetentionDays },
      { parent: this },
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: JSON.stringify(LAMBDA_ASSUME_ROLE_POLICY) },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: this.role.id, policy: args.policy(this.logGroup.arn) },
      { parent: this },
    );
    this.function = new aws.lambda.Function(
      name,
      {
        description: `WhatsAble reply pipeline: ${args.fn}`,
        runtime: LAMBDA_RUNTIME.runtime,
        architectures: [LAMBDA_RUNTIME.architecture],
        handler: "index.handler",
        code: args.code,
        role: this.role.arn,
        timeout: args.timeoutSeconds,
        memorySize: args.memoryMb,
        // A cap as well as a reservation: beyond it Lambda throttles (429 at a function URL).
        reservedConcurrentExecutions: args.reservedConcurrency,
        // Lambda counts the whole environment in bytes; stop at preview, not at deploy.
        environment: {
          variables: pulumi
            .output(args.environment)
            .apply((variables) => checkedEnvironment(args.fn, variables)),
        },
        // JSON lines; the platform's own START/END/REPORT lines (INFO) are dropped: the same
        // figures are in the function's CloudWatch metrics, and they were a third of the log bytes.
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name, systemLogLevel: "WARN" },
      },
      // The function must not run (or be wired to a queue) before its permissions exist.
      { parent: this, dependsOn: [rolePolicy] },
    );
    if (args.queueTrigger) {
      const trigger = args.queueTrigger;
      this.eventSourceMapping = new aws.lambda.EventSourceMapping(
        `${name}-trigger`,
        {
          eventSourceArn: trigger.queueArn,
          functionName: this.function.arn,
          batchSize: trigger.batchSize,
          maximumBatchingWindowInSeconds: trigger.maximumBatchingWindowInSeconds,
          functionResponseTypes: ["ReportBatchItemFailures"],
          scalingConfig:
            trigger.maximumConcurrency === undefined
              ? undefined
              : { maximumConcurrency: trigger.maximumConcurrency },
        },
        { parent: this, dependsOn: [rolePolicy] },
      );
    }
    this.registerOutputs({
      functionName: this.function.name,
      logGroupName: this.logGroup.name,
    });
  }
}
