import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RECEIVER_REQUEST_LOG } from "../../lambdas/contract.js";

/** Alarm thresholds from stack config (whatsable-replies:alarmThresholds). */
export interface AlarmThresholds {
  unauthorizedPer5Minutes: number;
  badRequestsPer5Minutes: number;
  vendorRefusalsPer15Minutes: number;
  /** 0 = no quiet alarm. */
  quietHours: number;
}

export interface PipelineAlarmsArgs {
  /** Dead-letter queues by label: any message in one is an alarm. */
  deadLetterQueues: Record<string, pulumi.Input<string>>;
  /** Work queues by label whose oldest message must not wait too long. */
  workQueues: Record<string, pulumi.Input<string>>;
  /** Function names by label: errors and throttles alarm. */
  functions: Record<string, pulumi.Input<string>>;
  /** The entrance: where its 5xx metric and its request log (one line per request) are. */
  ingress: IngressMonitoring;
  /** The sender's log group (Powertools JSON lines with `message`). */
  senderLogGroupName: pulumi.Input<string>;
  /** Namespace of the metrics taken from the logs; one per stack. */
  metricNamespace: string;
  thresholds: AlarmThresholds;
  /** Email that receives alarm notifications (needs confirming once). */
  alarmEmail?: string;
  /** Existing SNS topics (PagerDuty, Slack) notified beside the stack's own topic. */
  alarmTopicArns?: readonly string[];
  /** An existing topic to publish every alarm to instead of creating one (then no key either). */
  topicArn?: pulumi.Input<string>;
  /** An existing KMS key for the topic this component creates, instead of creating one; its
   * policy must let cloudwatch.amazonaws.com use it (alarmTopicKeyPolicy shows how). */
  kmsKeyArn?: pulumi.Input<string>;
  /** Also create a CloudWatch dashboard with the same metrics, under this name. */
  dashboardName?: string;
  region: string;
}

/**
 * What the alarms watch of the entrance. An HTTP API has its own 5xx metric and access log; a
 * function URL has Lambda's Url5xxCount, and the receiver's "webhook" line is its request log.
 */
export type IngressMonitoring =
  | {
      kind: "httpApi";
      apiId: pulumi.Input<string>;
      /** The access log group (JSON lines with `status`, see WebhookIngress ACCESS_LOG_FORMAT). */
      accessLogGroupName: pulumi.Input<string>;
    }
  | {
      kind: "functionUrl";
      /** The receiver, whose function URL this is. */
      functionName: pulumi.Input<string>;
      /** The receiver's log group (Powertools JSON lines; one "webhook" line per request). */
      receiverLogGroupName: pulumi.Input<string>;
    };

/** A job waiting this long in the jobs queue means the responder is stuck or failing. */
const MAX_JOB_AGE_SECONDS = 300;

/**
 * Metrics counted from log lines (CloudWatch Logs metric filters), by key. The first three count
 * requests by the status they were answered with, in the entrance's request log (requestLogPattern);
 * the sender's line is the one lambdas/core/deliverReply.ts writes for a permanent vendor refusal.
 */
export const LOG_METRICS = {
  unauthorized: { log: "requests", status: 401 },
  badRequests: { log: "requests", status: 400 },
  accepted: { log: "requests", status: 200 },
  vendorRefusals: {
    log: "sender",
    pattern: '{ $.message = "vendor refused the reply; not retrying" }',
  },
} as const;

/**
 * The filter counting requests answered `status` in the entrance's request log. The access log's
 * `status` is a JSON string ("$context.status" in ACCESS_LOG_FORMAT), hence the quotes; the
 * receiver's is a number, on its "webhook" line only (other lines of its log carry no request).
 */
export function requestLogPattern(kind: IngressMonitoring["kind"], status: number): string {
  return kind === "httpApi"
    ? `{ $.status = "${status}" }`
    : `{ $.message = "${RECEIVER_REQUEST_LOG.message}" && $.status = ${status} }`;
}

/** Every metric filter of the alarms: its metric, the log it reads, its pattern. */
export function logMetricFilters(
  ingress: IngressMonitoring,
  senderLogGroupName: pulumi.Input<string>,
) {
  const requestLog =
    ingress.kind === "httpApi" ? ingress.accessLogGroupName : ingress.receiverLogGroupName;
  return Object.entries(LOG_METRICS).map(([metric, spec]) =>
    "status" in spec
      ? {
          metric: metric as LogMetric,
          logGroupName: requestLog,
          pattern: requestLogPattern(ingress.kind, spec.status),
        }
      : { metric: metric as LogMetric, logGroupName: senderLogGroupName, pattern: spec.pattern },
  );
}

type LogMetric = keyof typeof LOG_METRICS;

/** One CloudWatch alarm, as data (pure, for tests and the dashboard). */
export interface AlarmSpec {
  key: string;
  /** What happened and what to do: the first line of the runbook entry in docs/operations.md. */
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  statistic: "Sum" | "Maximum";
  periodSeconds: number;
  /** Consecutive periods that must breach (default 1). */
  evaluationPeriods?: number;
  threshold: number;
  /** Default "GreaterThanThreshold". */
  comparison?: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
  /** Default "notBreaching": idle queues and functions report nothing. */
  treatMissingData?: "notBreaching" | "breaching";
}

/** What alarmSpecs needs: the log-based alarms only when the metric namespace and thresholds are given. */
export type AlarmSpecArgs = Pick<
  PipelineAlarmsArgs,
  "deadLetterQueues" | "workQueues" | "functions" | "ingress" | "region"
> &
  Partial<Pick<PipelineAlarmsArgs, "metricNamespace" | "thresholds">>;

/**
 * The alarms of the pipeline: DLQ depth, job age, Lambda errors and throttles, the entrance's 5xx, and (from
 * the logs) runs of 401s and 400s, vendor refusals, and a stack gone quiet.
 */
export function alarmSpecs(args: AlarmSpecArgs): AlarmSpec[] {
  const specs: AlarmSpec[] = [];
  for (const [label, queueName] of Object.entries(args.deadLetterQueues)) {
    specs.push({
      key: `${label}-dlq-depth`,
      description: `Messages in the ${label} dead-letter queue: they failed every retry. Inspect, fix, redrive.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: queueName },
      statistic: "Maximum",
      periodSeconds: 60,
      threshold: 0,
    });
  }
  for (const [label, queueName] of Object.entries(args.workQueues)) {
    specs.push({
      key: `${label}-age`,
      description: `The oldest message in the ${label} queue waited over ${MAX_JOB_AGE_SECONDS} s.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: queueName },
      statistic: "Maximum",
      periodSeconds: 60,
      threshold: MAX_JOB_AGE_SECONDS,
    });
  }
  for (const [label, functionName] of Object.entries(args.functions)) {
    for (const metricName of ["Errors", "Throttles"]) {
      specs.push({
        key: `${label}-${metricName.toLowerCase()}`,
        description: `${label} Lambda ${metricName.toLowerCase()} in the last 5 minutes.`,
        namespace: "AWS/Lambda",
        metricName,
        dimensions: { FunctionName: functionName },
        statistic: "Sum",
        periodSeconds: 300,
        threshold: 0,
      });
    }
  }
  if (args.metricNamespace && args.thresholds) {
    specs.push(...logAlarmSpecs(args.metricNamespace, args.thresholds));
  }
  // One key for both entrances: switching ingress updates this alarm in place.
  specs.push({
    key: "api-5xx",
    statistic: "Sum",
    periodSeconds: 300,
    threshold: 0,
    ...(args.ingress.kind === "httpApi"
      ? {
          description: "The webhook API answered 5xx: the vendor will see failed deliveries.",
          namespace: "AWS/ApiGateway",
          metricName: "5xx",
          dimensions: { ApiId: args.ingress.apiId, Stage: "$default" },
        }
      : {
          // Lambda's function URL metrics ("Monitoring Lambda function URLs",
          // https://docs.aws.amazon.com/lambda/latest/dg/urls-monitoring.html): function errors
          // and timeouts count here, as do the receiver's own 500/503 answers.
          description:
            "The webhook function URL answered 5xx: the vendor will see failed deliveries.",
          namespace: "AWS/Lambda",
          metricName: "Url5xxCount",
          dimensions: { FunctionName: args.ingress.functionName },
        }),
  });
  return specs;
}

/** Alarms on metrics counted from the logs (LOG_METRICS). */
function logAlarmSpecs(namespace: string, t: AlarmThresholds): AlarmSpec[] {
  const specs: AlarmSpec[] = [];
  const fromLogs = (metric: LogMetric) => ({
    namespace,
    metricName: metric,
    dimensions: {},
    statistic: "Sum" as const,
  });
  specs.push({
    key: "api-401",
    description: `${t.unauthorizedPer5Minutes}+ deliveries answered 401 in 5 minutes: the vendor signs with a secret the receiver does not know (rotation or adoption gone wrong). Runbook: docs/operations.md#alarm-runbook.`,
    ...fromLogs("unauthorized"),
    periodSeconds: 300,
    threshold: t.unauthorizedPer5Minutes,
    comparison: "GreaterThanOrEqualToThreshold",
  });
  specs.push({
    key: "api-400",
    description: `${t.badRequestsPer5Minutes}+ deliveries answered 400 in 5 minutes: payloads the receiver cannot read (vendor format change). Runbook: docs/operations.md#alarm-runbook.`,
    ...fromLogs("badRequests"),
    periodSeconds: 300,
    threshold: t.badRequestsPer5Minutes,
    comparison: "GreaterThanOrEqualToThreshold",
  });
  specs.push({
    key: "vendor-refusals",
    description: `${t.vendorRefusalsPer15Minutes}+ replies refused by the vendor in 15 minutes (invalid number, message limit, account): customers are not answered. Runbook: docs/operations.md#alarm-runbook.`,
    ...fromLogs("vendorRefusals"),
    periodSeconds: 900,
    threshold: t.vendorRefusalsPer15Minutes,
    comparison: "GreaterThanOrEqualToThreshold",
  });
  if (t.quietHours > 0) {
    specs.push({
      key: "quiet",
      description: `No delivery accepted for ${t.quietHours} h on a stack that usually has traffic: the registration may be disabled or deleted at the vendor, or the API unreachable. Runbook: docs/operations.md#alarm-runbook.`,
      ...fromLogs("accepted"),
      periodSeconds: 3600,
      evaluationPeriods: t.quietHours,
      threshold: 1,
      comparison: "LessThanThreshold",
      // No accepted line at all produces no data point: that is exactly the silence to catch.
      treatMissingData: "breaching",
    });
  }
  return specs;
}

/**
 * Alarms to an encrypted SNS topic (optionally mailed) and to any existing topics the stack names,
 * metric filters for what only the logs show (401s, 400s, vendor refusals, accepted deliveries),
 * and an optional dashboard.
 */
export class PipelineAlarms extends pulumi.ComponentResource {
  /** The key this component made for its topic (none with topicArn or kmsKeyArn). */
  readonly key?: aws.kms.Key;
  /** The topic this component made (none with topicArn). */
  readonly topic?: aws.sns.Topic;
  /** The topic every alarm notifies: topicArn, or the one made here. */
  readonly topicArn: pulumi.Output<string>;
  readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: PipelineAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("whatsable:monitoring:PipelineAlarms", name, {}, opts);
    if (args.topicArn !== undefined) {
      this.topicArn = pulumi.output(args.topicArn);
    } else {
      // The AWS-managed alias/aws/sns key does not let CloudWatch use it, so alarms published to
      // a topic encrypted with it are dropped. A customer-managed key whose policy lets CloudWatch
      // (for this account only) encrypt to the topic keeps the topic encrypted and alarms heard.
      if (args.kmsKeyArn === undefined) {
        const identity = aws.getCallerIdentityOutput({}, { parent: this });
        const partition = aws.getPartitionOutput({}, { parent: this });
        this.key = new aws.kms.Key(
          `${name}-topic-key`,
          {
            description: "Encrypts the alarm topic; CloudWatch alarms may use it to publish",
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi
              .output({ account: identity.accountId, part: partition.partition })
              .apply(({ account, part }) => JSON.stringify(alarmTopicKeyPolicy(account, part))),
          },
          { parent: this },
        );
      }
      this.topic = new aws.sns.Topic(
        `${name}-topic`,
        { kmsMasterKeyId: this.key?.arn ?? args.kmsKeyArn },
        { parent: this },
      );
      this.topicArn = this.topic.arn;
    }
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(
        `${name}-email`,
        { topic: this.topicArn, protocol: "email", endpoint: args.alarmEmail },
        { parent: this },
      );
    }
    for (const { metric, logGroupName, pattern } of logMetricFilters(
      args.ingress,
      args.senderLogGroupName,
    )) {
      new aws.cloudwatch.LogMetricFilter(
        `${name}-${metric}`,
        {
          logGroupName,
          pattern,
          metricTransformation: {
            namespace: args.metricNamespace,
            name: metric,
            value: "1",
            unit: "Count",
          },
        },
        { parent: this },
      );
    }
    const actions = [this.topicArn, ...(args.alarmTopicArns ?? [])];
    const specs = alarmSpecs(args);
    this.alarms = specs.map(
      (spec) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-${spec.key}`,
          {
            alarmDescription: spec.description,
            namespace: spec.namespace,
            metricName: spec.metricName,
            dimensions: spec.dimensions,
            statistic: spec.statistic,
            period: spec.periodSeconds,
            evaluationPeriods: spec.evaluationPeriods ?? 1,
            threshold: spec.threshold,
            comparisonOperator: spec.comparison ?? "GreaterThanThreshold",
            treatMissingData: spec.treatMissingData ?? "notBreaching",
            alarmActions: actions,
            okActions: actions,
          },
          { parent: this },
        ),
    );
    if (args.dashboardName) {
      new aws.cloudwatch.Dashboard(
        `${name}-dashboard`,
        { dashboardName: args.dashboardName, dashboardBody: dashboardBody(specs, args.region) },
        { parent: this },
      );
    }
    this.registerOutputs({ topicArn: this.topicArn });
  }
}

/**
 * The alarm topic key's policy: the account administers it through IAM (the default key policy
 * statement), and CloudWatch may use it for alarms of this account only
 * (AWS: "Amazon SNS topic encryption with CloudWatch alarms").
 */
export function alarmTopicKeyPolicy(accountId: string, partition = "aws") {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersTheKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsPublishToTheEncryptedTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}

/** One graph per alarm, two per row. */
function dashboardBody(specs: AlarmSpec[], region: string): pulumi.Output<string> {
  return pulumi.all(specs.map((spec) => pulumi.output(spec.dimensions))).apply((dimensions) =>
    JSON.stringify({
      widgets: specs.map((spec, i) => ({
        type: "metric",
        x: (i % 2) * 12,
        y: Math.floor(i / 2) * 6,
        width: 12,
        height: 6,
        properties: {
          title: spec.key,
          region,
          stat: spec.statistic,
          period: spec.periodSeconds,
          metrics: [
            [spec.namespace, spec.metricName, ...Object.entries(dimensions[i] ?? {}).flat()],
          ],
        },
      })),
    }),
  );
}
