import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { WEBHOOK_ROUTE } from "../../lambdas/contract.js";

/** What the entrance is: an API Gateway HTTP API (the default) or a Lambda function URL. */
export type WebhookIngressArgs = {
  /** The receiver function. */
  handler: aws.lambda.Function;
} & (
  | {
      /**
       * A function URL: no charge beyond the receiver's invocations. No routing, throttling or
       * access log of its own: the receiver refuses other paths and methods, its reserved
       * concurrency (if any) throttles, and its "webhook" log line is the request log.
       */
      kind: "functionUrl";
    }
  | {
      /** An HTTP API with one route, stage throttling and an access log. */
      kind: "httpApi";
      /** Steady-state requests per second across the API, and the burst above it. */
      throttleRateLimit: number;
      throttleBurstLimit: number;
      logRetentionDays: number;
      /** Serve the webhook at https://<domainName>/… too, with a regional ACM certificate (same
       * region) for that name; DNS (a CNAME or alias to `domainTarget`) stays with the estate. */
      customDomain?: CustomDomain;
    }
);

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
 * The public entrance of the webhook, either
 * - an HTTP API with one route, `POST /webhooks/whatsapp` → receiver (payload format 2.0), an
 *   auto-deployed `$default` stage with access logs and throttling, and the permission for this API
 *   (only this route) to invoke the receiver, or
 * - a Lambda function URL (auth NONE: the receiver verifies the vendor's signature itself;
 *   BUFFERED), whose two public resource-policy statements the AWS provider adds itself.
 * Both hand the receiver the same payload-2.0 event (a function URL's routeKey is "$default").
 */
export class WebhookIngress extends pulumi.ComponentResource {
  readonly kind: WebhookIngressArgs["kind"];
  /** With kind "functionUrl". */
  readonly functionUrl?: aws.lambda.FunctionUrl;
  /** With kind "httpApi". */
  readonly api?: aws.apigatewayv2.Api;
  readonly stage?: aws.apigatewayv2.Stage;
  readonly accessLogs?: aws.cloudwatch.LogGroup;
  /** The full webhook URL, e.g. https://abc.lambda-url.eu-west-1.on.aws/webhooks/whatsapp,
   * https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/whatsapp, or on the custom domain
   * when there is one. */
  readonly url: pulumi.Output<string>;
  /** Where the custom domain's DNS record must point (none without a custom domain). */
  readonly domainTarget?: pulumi.Output<{ targetDomainName: string; hostedZoneId: string }>;

  constructor(name: string, args: WebhookIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("whatsable:ingress:WebhookIngress", name, {}, opts);
    this.kind = args.kind;
    if (args.kind === "functionUrl") {
      this.functionUrl = this.functionUrlIngress(name, args.handler);
      // functionUrl ends in "/"; the receiver answers only on the webhook's path.
      this.url = this.functionUrl.functionUrl.apply(
        (base) => `${base.replace(/\/+$/, "")}${WEBHOOK_ROUTE.path}`,
      );
      this.registerOutputs({ url: this.url, functionUrlId: this.functionUrl.urlId });
      return;
    }
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

  /**
   * A public function URL. Since October 2025 a new function URL answers only when the function's
   * resource policy grants both `lambda:InvokeFunctionUrl` (auth type NONE) and
   * `lambda:InvokeFunction` (condition `lambda:InvokedViaFunctionUrl`, so no direct Invoke for
   * anyone): AWS Lambda Developer Guide, "Control access to Lambda function URLs",
   * https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html. The AWS provider adds exactly
   * these two when it creates a NONE URL, and leaves them on the function when the URL is deleted
   * (@pulumi/aws lambda/functionUrl.d.ts; test/fixtures/contracts/pulumi-aws/
   * function-url-permissions.md). Declared here as well they would be a second pair of public
   * statements, so the program declares none; docs/operations.md ("Switching an existing stack")
   * says how to remove the provider's after a switch to httpApi.
   */
  private functionUrlIngress(name: string, handler: aws.lambda.Function): aws.lambda.FunctionUrl {
    return new aws.lambda.FunctionUrl(
      `${name}-url`,
      {
        functionName: handler.name,
        // The receiver checks the vendor's signature on the raw body itself (docs/vendor.md).
        authorizationType: "NONE",
        // One JSON answer, well under the 6 MB a buffered response may carry.
        invokeMode: "BUFFERED",
      },
      { parent: this },
    );
  }
}
