import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { WEBHOOK_ROUTE } from "../../lambdas/contract.js";

export interface WebhookIngressArgs {
  /** The receiver function. */
  handler: aws.lambda.Function;
  /** Steady-state requests per second across the API, and the burst above it. */
  throttleRateLimit: number;
  throttleBurstLimit: number;
  logRetentionDays: number;
  /** Serve the webhook at https://<domainName>/… too, with a regional ACM certificate (same
   * region) for that name; DNS (a CNAME or alias to `domainTarget`) stays with the estate. */
  customDomain?: CustomDomain;
}

/** An API Gateway custom domain for the webhook. */
export interface CustomDomain {
  /** e.g. hooks.example.com */
  domainName: string;
  /** ARN of an ACM certificate for domainName, in the stack's region. */
  certificateArn: pulumi.Input<string>;
}

/** Access log line: who, what, how it ended. No headers, so no signature reaches the logs. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLength: "$context.responseLength",
  latencyMs: "$context.responseLatency",
  integrationLatencyMs: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
});

/** The vendor's deadline for a 2xx (docs/vendor.md): answer or fail well within 10 s. */
const INTEGRATION_TIMEOUT_MS = 10_000;

/**
 * The public entrance: an HTTP API with one route, `POST /webhooks/whatsapp` → receiver
 * (payload format 2.0), an auto-deployed `$default` stage with access logs and throttling, and the
 * permission for this API (only this route) to invoke the receiver.
 */
export class WebhookIngress extends pulumi.ComponentResource {
  readonly api: aws.apigatewayv2.Api;
  readonly stage: aws.apigatewayv2.Stage;
  readonly accessLogs: aws.cloudwatch.LogGroup;
  /** The full webhook URL, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/whatsapp,
   * or on the custom domain when there is one. */
  readonly url: pulumi.Output<string>;
  /** Where the custom domain's DNS record must point (none without a custom domain). */
  readonly domainTarget?: pulumi.Output<{ targetDomainName: string; hostedZoneId: string }>;

  constructor(name: string, args: WebhookIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("whatsable:ingress:WebhookIngress", name, {}, opts);
    this.api = new aws.apigatewayv2.Api(
      `${name}-api`,
      { protocolType: "HTTP", description: "WhatsAble webhook receiver" },
      { parent: this },
    );
    const integration = new aws.apigatewayv2.Integration(
      `${name}-receiver`,
      {
        apiId: this.api.id,
        integrationType: "AWS_PROXY",
        integrationUri: args.handler.arn,
        integrationMethod: "POST",
        payloadFormatVersion: "2.0",
        timeoutMilliseconds: INTEGRATION_TIMEOUT_MS,
      },
      { parent: this },
    );
    const route = new aws.apigatewayv2.Route(
      `${name}-route`,
      {
        apiId: this.api.id,
        routeKey: `${WEBHOOK_ROUTE.method} ${WEBHOOK_ROUTE.path}`,
        target: pulumi.interpolate`integrations/${integration.id}`,
      },
      { parent: this },
    );
    // Standard class, not Infrequent Access: the alarms' metric filters read this log
    // (PipelineAlarms LOG_METRICS), and IA log groups take no metric filters.
    this.accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access-logs`,
      { retentionInDays: args.logRetentionDays },
      { parent: this },
    );
    this.stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: "$default",
        autoDeploy: true,
        accessLogSettings: { destinationArn: this.accessLogs.arn, format: ACCESS_LOG_FORMAT },
        defaultRouteSettings: {
          throttlingRateLimit: args.throttleRateLimit,
          throttlingBurstLimit: args.throttleBurstLimit,
          // Per-route metrics are billed as custom metrics and nothing reads them: the alarms and
          // the dashboard use the stage's free metrics (one route anyway).
          detailedMetricsEnabled: false,
        },
      },
      { parent: this, dependsOn: [route] },
    );
    new aws.lambda.Permission(
      `${name}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: args.handler.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${this.api.executionArn}/*/${WEBHOOK_ROUTE.method}${WEBHOOK_ROUTE.path}`,
      },
      { parent: this },
    );
    this.url = pulumi.interpolate`${this.api.apiEndpoint}${WEBHOOK_ROUTE.path}`;
    if (args.customDomain) {
      const { domainName, certificateArn } = args.customDomain;
      const domain = new aws.apigatewayv2.DomainName(
        `${name}-domain`,
        {
          domainName,
          domainNameConfiguration: {
            certificateArn,
            endpointType: "REGIONAL",
            securityPolicy: "TLS_1_2",
          },
        },
        { parent: this },
      );
      const mapping = new aws.apigatewayv2.ApiMapping(
        `${name}-domain-mapping`,
        { apiId: this.api.id, domainName: domain.id, stage: this.stage.id },
        { parent: this },
      );
      // Through the mapping's id: whoever registers this URL waits until the domain routes here.
      this.url = pulumi.interpolate`${mapping.id.apply(() => `https://${domainName}`)}${WEBHOOK_ROUTE.path}`;
      this.domainTarget = domain.domainNameConfiguration.apply((c) => ({
        targetDomainName: c.targetDomainName,
        hostedZoneId: c.hostedZoneId,
      }));
    }
    this.registerOutputs({ url: this.url, apiId: this.api.id });
  }
}
