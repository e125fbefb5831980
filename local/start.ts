import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { DEFAULT_INGRESS, DEFAULTS, INGRESS_KINDS, type IngressKind } from "../lambdas/contract.js";
import { ReplyRulesError } from "../lambdas/core/errors.js";
import { checkOperatorPolicy, ReplyPolicyConfigError } from "../lambdas/core/replyPolicy.js";
import { parseReplyRules } from "../lambdas/core/replyRules.js";
import { writeLocalOutputs } from "./opsOutputs.js";
import { lostOnStopLine } from "./persistence.js";
import { formatReadyLine } from "./readyLine.js";
import { RulesFileError, readRulesFile } from "./rulesFile.js";
import type { LocalStack } from "./stack.js";

/**
 * `npm start`: the local stack as a black box (README.md, "The local stack"). stdout carries exactly one line, `READY {"receiverUrl":…,"vendorUrl":…}`; everything
 * else, Lambda logs included, goes to stderr.
 */

// Reserve stdout for the READY line before anything can write to it: Powertools writes INFO logs
// to process.stdout, so every later stdout write is sent to stderr instead.
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

const USAGE = `Usage: npm start -- [options]

Runs the webhook pipeline locally (DynamoDB Local, fauxqs, a Secrets Manager stand-in, the
receiver behind a stand-in for its function URL or HTTP API, the responder and sender workers, a vendor simulator) and
prints one line once ready:
  READY {"receiverUrl":"http://127.0.0.1:3000/webhooks/whatsapp","vendorUrl":"http://127.0.0.1:3001"}

Options:
  --port N            receiver port on 127.0.0.1 (default 3000; 0 = any free port)
  --vendor-port N     vendor simulator port on 127.0.0.1 (default 3001; 0 = any free port)
  --rules FILE        reply rules JSON (default local/defaultRules.json)
  --max-sqs-delay S   longest single SQS delay hop in seconds, 1-900 (default 900)
  --human-pause S     pause automation S seconds after a person at the business writes
                      (default 3600; 0 = human takeover off)
  --outputs FILE      write the stack outputs (JSON) for \`npm run ops -- <command> --outputs FILE\`
  --data-dir DIR      keep the tables and queues (scheduled replies) in DIR across restarts
  --ingress KIND      the entrance the receiver's events imitate: httpApi (default, as
                      deployed) or functionUrl
  --policy-url URL    send messages no rule matches to your HTTP reply policy at URL (http://
                      on 127.0.0.1/localhost, or https://), signed with REPLY_POLICY_SECRET
  -h, --help          show this help

Output:
  stdout carries only the READY line. The logs (the stack's own lines and the handlers' JSON
  lines) go to stderr: keep them in a file with \`npm start 2> FILE\`.

Environment:
  WEBHOOK_SIGNING_SECRET  signing secret (default: a generated one, printed to stderr)
  SIGNATURE_SCHEME        auto | secret | hmac-sha256 | hmac-sha512 | off (default auto)
  REPLY_POLICY_SECRET     the policy's Standard Webhooks secret, whsec_<base64> (24-64 bytes);
                          required with --policy-url
  POWERTOOLS_LOG_LEVEL    handler log level (default INFO)
`;

const log = (line: string) => process.stderr.write(`${line}\n`);

class UsageError extends Error {}

interface StartOptions {
  port: number;
  vendorPort: number;
  rulesFile?: string;
  maxSqsDelaySeconds: number;
  humanPauseSeconds: number;
  outputsFile?: string;
  dataDir?: string;
  replyPolicy?: { url: string; secret: string };
  ingress: IngressKind;
}

function wholeNumber(
  flag: string,
  raw: string | undefined,
  fallback: number,
  max: number,
  min = 0,
) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function parseFlags(argv: string[]): StartOptions | "help" {
  let parsed: { values: Record<string, string | boolean | undefined> };
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        "vendor-port": { type: "string" },
        rules: { type: "string" },
        "max-sqs-delay": { type: "string" },
        "human-pause": { type: "string" },
        outputs: { type: "string" },
        "data-dir": { type: "string" },
        "policy-url": { type: "string" },
        ingress: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as {
    port?: string;
    "vendor-port"?: string;
    rules?: string;
    "max-sqs-delay"?: string;
    "human-pause"?: string;
    outputs?: string;
    "data-dir"?: string;
    "policy-url"?: string;
    ingress?: string;
    help?: boolean;
  };
  if (values.help) return "help";
  return {
    port: wholeNumber("port", values.port, 3000, 65535),
    vendorPort: wholeNumber("vendor-port", values["vendor-port"], 3001, 65535),
    rulesFile: values.rules,
    maxSqsDelaySeconds: wholeNumber(
      "max-sqs-delay",
      values["max-sqs-delay"],
      DEFAULTS.maxSqsDelaySeconds,
      900,
      1,
    ),
    humanPauseSeconds: wholeNumber(
      "human-pause",
      values["human-pause"],
      DEFAULTS.humanPauseSeconds,
      60 * 24 * 3600,
    ),
    outputsFile: values.outputs,
    dataDir: values["data-dir"],
    replyPolicy: replyPolicyOf(values["policy-url"], process.env.REPLY_POLICY_SECRET),
    ingress: ingressOf(values.ingress),
  };
}

function ingressOf(raw: string | undefined): IngressKind {
  if (raw === undefined) return DEFAULT_INGRESS;
  if (!(INGRESS_KINDS as readonly string[]).includes(raw)) {
    throw new UsageError(`--ingress must be one of ${INGRESS_KINDS.join(", ")}, got "${raw}"`);
  }
  return raw as IngressKind;
}

/** --policy-url with REPLY_POLICY_SECRET, checked as the responder checks them; never echoes the secret. */
function replyPolicyOf(
  url: string | undefined,
  secret: string | undefined,
): StartOptions["replyPolicy"] {
  if (url === undefined) return undefined;
  try {
    checkOperatorPolicy(url, secret || undefined);
  } catch (error) {
    if (error instanceof ReplyPolicyConfigError) throw new UsageError(error.message);
    throw error;
  }
  if (!secret) {
    throw new UsageError(
      "--policy-url needs the policy's secret in the environment: REPLY_POLICY_SECRET=whsec_<base64>",
    );
  }
  return { url, secret: secret.trim() };
}

function fail(message: string, code: number): never {
  log(`error: ${message}`);
  process.exit(code);
}

async function main() {
  let options: StartOptions | "help";
  try {
    options = parseFlags(process.argv.slice(2));
  } catch (error) {
    log(`error: ${(error as Error).message}\n`);
    log(USAGE);
    process.exit(2);
  }
  if (options === "help") {
    writeStdout(USAGE);
    return;
  }

  // Loaded only now, so bad flags are refused without loading the AWS SDK first.
  const { LOCAL_TIMING, startLocalStack } = await import("./stack.js");
  let rules: unknown;
  if (options.rulesFile) {
    try {
      rules = readRulesFile(options.rulesFile);
      parseReplyRules(rules, { waitingDurationSeconds: LOCAL_TIMING.waitingDurationSeconds });
    } catch (error) {
      if (error instanceof RulesFileError) fail(error.message, 1);
      if (error instanceof ReplyRulesError) fail(`${options.rulesFile}: ${error.message}`, 1);
      throw error;
    }
  }

  log(
    "logs: the stack's lines and the handlers' JSON lines (POWERTOOLS_LOG_LEVEL, default INFO) " +
      "go to stderr, this stream; stdout carries only the READY line",
  );

  let signingSecret = process.env.WEBHOOK_SIGNING_SECRET;
  if (!signingSecret) {
    signingSecret = randomBytes(32).toString("base64url");
    log(`local-only webhook signing secret (generated; set WEBHOOK_SIGNING_SECRET to choose one):`);
    log(`  ${signingSecret}`);
  }

  let stack: LocalStack | undefined;
  let shutdownAt: number | undefined;
  const shutdown = async (signal: string) => {
    if (shutdownAt !== undefined) {
      // Wrappers (npx, tsx) may deliver the same signal twice; only a later repeat forces exit.
      if (Date.now() - shutdownAt < 2000) return;
      log(`${signal} again: exiting without a clean shutdown`);
      process.exit(1);
    }
    shutdownAt = Date.now();
    if (!stack) return; // still starting: main() stops it once startLocalStack returns
    log(`${signal}: stopping the local stack`);
    setTimeout(() => {
      log("shutdown took longer than 20 s: exiting");
      process.exit(1);
    }, 20_000).unref();
    const lost = await lostOnStopLine(stack, options.dataDir);
    if (lost) log(lost);
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    stack = await startLocalStack({
      port: options.port,
      ingress: options.ingress,
      vendorPort: options.vendorPort,
      rules,
      maxSqsDelaySeconds: options.maxSqsDelaySeconds,
      humanPauseSeconds: options.humanPauseSeconds,
      signingSecret,
      signatureScheme: process.env.SIGNATURE_SCHEME || DEFAULTS.signatureScheme,
      dataDir: options.dataDir,
      replyPolicy: options.replyPolicy,
      log,
    });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE") {
      fail(
        `${err.message}: the port is taken; choose another with --port / --vendor-port (0 = any free port)`,
        1,
      );
    }
    fail(`the local stack did not start: ${err.message}`, 1);
  }
  if (shutdownAt !== undefined) {
    await stack.stop();
    process.exit(0);
  }
  process.on("uncaughtException", (error) => {
    log(`uncaught error: ${error.stack ?? error.message}`);
    void stack?.stop().finally(() => process.exit(1));
  });
  if (options.outputsFile) {
    try {
      await writeLocalOutputs(stack, options.outputsFile);
    } catch (error) {
      await stack.stop();
      fail(`cannot write --outputs ${options.outputsFile}: ${(error as Error).message}`, 1);
    }
    log(`stack outputs written to ${options.outputsFile} (npm run ops -- --help)`);
  }
  if (options.dataDir) log(`tables and queues kept in ${options.dataDir}`);
  if (options.replyPolicy) {
    // Origin and path only: a query string may carry someone's token.
    const { origin, pathname } = new URL(options.replyPolicy.url);
    log(`messages no rule matches go to the reply policy at ${origin}${pathname}`);
  }
  writeStdout(`${formatReadyLine(stack)}\n`);
}

main().catch((error: Error) => fail(error.stack ?? error.message, 1));
