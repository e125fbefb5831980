import * as pulumi from "@pulumi/pulumi";

/** What the program asked the engine for: type, name, inputs, and the options mocks cannot see. */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** What the mocks answered as the resource's state (inputs plus computed outputs such as ARNs). */
  outputs: Record<string, unknown>;
  urn: string;
  parent: string;
  protect: boolean;
  retainOnDelete: boolean;
  additionalSecretOutputs: string[];
  dependencies: string[];
}

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const API_ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com";
/** A function URL as Lambda answers it: with a trailing slash. */
export const FUNCTION_URL = "https://u7x2url.lambda-url.eu-west-1.on.aws/";
/** What the mocked vendor "issues" as signing secret for a registration. */
export const fakeSigningSecret = (name: string) => `fake-signing-secret-for-${name}`;

/** Provider-computed outputs the program reads, fabricated per resource type (the mocks return these). */
export function computedOutputs(
  type: string,
  name: string,
  webhookCount: number,
): Record<string, unknown> {
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case "aws:sqs/queue:Queue":
      return {
        arn: arn("sqs", name),
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
        name,
      };
    case "aws:dynamodb/table:Table":
      return { arn: arn("dynamodb", `table/${name}`), name };
    case "aws:secretsmanager/secret:Secret":
      return { arn: arn("secretsmanager", `secret:${name}-AbCdEf`) };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: arn("logs", `log-group:${name}`), name };
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      return { arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` };
    case "aws:s3/bucket:Bucket":
      return { arn: `arn:aws:s3:::${String(name)}` };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, name };
    case "aws:lambda/function:Function":
      return { arn: arn("lambda", `function:${name}`), name, invokeArn: `invoke:${name}` };
    case "aws:lambda/functionUrl:FunctionUrl":
      return {
        functionUrl: FUNCTION_URL,
        urlId: "u7x2url",
        functionArn: arn("lambda", "function:receiver"),
      };
    case "aws:apigatewayv2/api:Api":
      return { apiEndpoint: API_ENDPOINT, executionArn: arn("execute-api", "abc123") };
    case "aws:sns/topic:Topic":
      return { arn: arn("sns", name) };
    case "aws:scheduler/scheduleGroup:ScheduleGroup":
      return { arn: arn("scheduler", `schedule-group/${name}`), name };
    case "aws:kms/key:Key":
      return { arn: arn("kms", `key/${name}-0000-1111-2222-333344445555`), keyId: `${name}-id` };
    case "pulumi-nodejs:dynamic/whatsable:VendorWebhook":
      return {
        webhookId: 1200 + webhookCount,
        createdAt: 1_775_471_874_139,
        signingSecret: fakeSigningSecret(name),
      };
    default:
      return {};
  }
}

/** The data sources the program reads (aws.getCallerIdentity, aws.getPartition), as the mocks answer them. */
export function invokeResult(token: string): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: ACCOUNT,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci`,
        userId: "AROAEXAMPLE:ci",
        id: ACCOUNT,
      };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    default:
      throw new Error(`unexpected invoke ${token}: add it to the mocks if the program needs it`);
  }
}

/**
 * Installs Pulumi mocks that record every resource with its options (by wrapping the mock
 * monitor's RegisterResource) and emulate the engine's additionalSecretOutputs. Invokes other
 * than the data sources in invokeResult throw.
 */
export async function recordingMocks(options: {
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
}) {
  const recorded: RecordedResource[] = [];
  const secretOutputs = new Map<string, string[]>();
  const inputsByKey = new Map<string, Record<string, unknown>>();
  const outputsByKey = new Map<string, Record<string, unknown>>();
  let webhookCount = 0;

  pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.type === "pulumi-nodejs:dynamic/whatsable:VendorWebhook") webhookCount++;
        inputsByKey.set(`${args.type}::${args.name}`, args.inputs);
        const state: Record<string, unknown> = {
          ...args.inputs,
          ...computedOutputs(args.type, args.name, webhookCount),
        };
        outputsByKey.set(`${args.type}::${args.name}`, { ...state });
        for (const key of secretOutputs.get(`${args.type}::${args.name}`) ?? []) {
          if (state[key] !== undefined) state[key] = pulumi.secret(state[key]);
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        return invokeResult(args.token);
      },
    },
    options.project,
    options.stack,
    false,
  );

  type RegisterRequest = {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getAdditionalsecretoutputsList(): string[];
    getDependenciesList(): string[];
  };
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: (err: unknown, resp: unknown) => void): void;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const key = `${req.getType()}::${req.getName()}`;
    secretOutputs.set(key, req.getAdditionalsecretoutputsList());
    register(req, (err, resp) => {
      if (!err) {
        recorded.push({
          type: req.getType(),
          name: req.getName(),
          inputs: inputsByKey.get(key) ?? {},
          outputs: outputsByKey.get(key) ?? {},
          urn: (resp as { getUrn(): string }).getUrn(),
          parent: req.getParent(),
          protect: req.getProtect() === true,
          retainOnDelete: req.getRetainondelete() === true,
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          dependencies: req.getDependenciesList(),
        });
      }
      callback(err, resp);
    });
  };
  return recorded;
}

/** Resolves an Output's value (mocks resolve every value, secret or not). */
export function unwrap<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}
