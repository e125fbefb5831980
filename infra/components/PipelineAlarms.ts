import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface PipelineAlarmsArgs {
  /** Dead-letter queues by label: any message in one is an alarm. */
  deadLetterQueues: Record<string, pulumi.Input<string>>;
  /** Work queues by label whose oldest message must not wait too long. */
  workQueues: Record<string, pulumi.Input<string>>;
  /** Function names by label: errors and throttles alarm. */
  functions: Record<string, pulumi.Input<string>>;
  apiId: pulumi.Input<string>;
  /** Email that receives alarm notifications (needs confirming once). */
  alarmEmail?: string;
  /** Also create a CloudWatch dashboard with the same metrics, under this name. */
  dashboardName?: string;
  region: string;
}

/** A job waiting this long in the jobs queue means the responder is stuck or failing. */
const MAX_JOB_AGE_SECONDS = 300;

/** One CloudWatch alarm, as data (pure, for tests and the dashboard). */
export interface AlarmSpec {
  key: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  statistic: "Sum" | "Maximum";
  periodSeconds: number;
  threshold: number;
}

/** The alarms of the pipeline: DLQ depth, job age, Lambda errors and throttles, API 5xx. */
export function alarmSpecs(args: PipelineAlarmsArgs): AlarmSpec[] {
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
  specs.push({
    key: "api-5xx",
    description: "The webhook API answered 5xx: the vendor will see failed deliveries.",
    namespace: "AWS/ApiGateway",
    metricName: "5xx",
    dimensions: { ApiId: args.apiId, Stage: "$default" },
    statistic: "Sum",
    periodSeconds: 300,
    threshold: 0,
  });
  return specs;
}

/**
 * Alarms to an SNS topic (optionally mailed), and an optional dashboard. Every alarm fires on
 * "greater than threshold" and treats missing data as fine (idle queues report nothing).
 */
export class PipelineAlarms extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: PipelineAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("whatsable:monitoring:PipelineAlarms", name, {}, opts);
    this.topic = new aws.sns.Topic(
      `${name}-topic`,
      { kmsMasterKeyId: "alias/aws/sns" },
      { parent: this },
    );
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(
        `${name}-email`,
        { topic: this.topic.arn, protocol: "email", endpoint: args.alarmEmail },
        { parent: this },
      );
    }
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
            evaluationPeriods: 1,
            threshold: spec.threshold,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [this.topic.arn],
            okActions: [this.topic.arn],
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
    this.registerOutputs({ topicArn: this.topic.arn });
  }
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
