import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { parseSigningSecrets, signatureFor } from "../../lambdas/core/signature.js";
import { postWebhook, sampleWebhookBody } from "../../local/sampleWebhook.js";
import { type Command, type FreeContext, nextCommand } from "../command.js";
import { parsePhone, showPhone } from "../contacts.js";
import { messageOf, OpsError, UsageError } from "../errors.js";
import { REQUIRED_OUTPUTS, requireOutputs } from "../outputs.js";

/**
 * `trigger`: one vendor-shaped webhook, signed with the stack's signing secret, POSTed to the
 * stack's receiver, and the receiver's answer. The payload is the demo's (local/sampleWebhook.ts)
 * and the signature the one the receiver checks (lambdas/core/signature.ts): no second builder or
 * signer to drift from them.
 */

/** The contact when none is given: 555-0100 to 0199 are kept for fiction (and pass validation). */
const DEFAULT_CONTACT = "+14155550100";

/** The vendor gives up after 10 s (docs/vendor.md); so does a test delivery. */
const TIMEOUT_MS = 10_000;

const SCHEMES = ["hmac-sha256", "hmac-sha512", "secret"] as const;

/** A signature no secret produces: what a forged delivery would carry. */
const forged = (signature: string) =>
  signature.length > 0
    ? `${signature.slice(0, -1)}${signature.endsWith("0") ? "1" : "0"}`
    : "forged";

/** The live signing secret (the current one): from the stack's Secrets Manager, or the env. */
async function signingSecret({ target, clients, env }: FreeContext): Promise<string> {
  if (!target || !clients) {
    const secret = env.WEBHOOK_SIGNING_SECRET;
    if (!secret) {
      throw new UsageError(
        "trigger: which signing secret? give --stack NAME or --outputs FILE (the stack's secret " +
          "is read from Secrets Manager), or set WEBHOOK_SIGNING_SECRET with --to URL",
      );
    }
    return secret;
  }
  const { secretArns } = requireOutputs(target.outputs, ["secretArns"], target.source);
  if (!secretArns.signingSecret) {
    throw new OpsError(
      `${target.source} has no "secretArns.signingSecret": deploy a version that exports it, or use --to URL with WEBHOOK_SIGNING_SECRET`,
    );
  }
  try {
    const out = await clients.secretsManager.send(
      new GetSecretValueCommand({ SecretId: secretArns.signingSecret }),
    );
    const [current] = parseSigningSecrets(out.SecretString ?? "");
    if (!current) throw new OpsError("the signing secret is empty");
    return current;
  } catch (error) {
    // The SDK's and the parser's messages never hold the value.
    throw new OpsError(`cannot read the signing secret of ${target.source}: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

function receiverUrl({ target, values }: FreeContext): string {
  const to = values.to as string | undefined;
  if (to !== undefined) return to;
  if (!target)
    throw new UsageError("trigger: where to? give --to URL, --stack NAME or --outputs FILE");
  return requireOutputs(target.outputs, REQUIRED_OUTPUTS.trigger, target.source).endpointUrl;
}

interface Answer {
  status: number;
  body: unknown;
}

export const triggerCommand: Command = {
  name: "trigger",
  summary: "send one signed test webhook to a receiver and show its answer",
  args: "",
  target: "optional",
  description: [
    "Builds the payload the vendor sends when a contact writes (the demo's), signs it with the",
    "stack's signing secret and POSTs it to the stack's receiver; prints the HTTP answer.",
    "",
    "The secret: with --stack or --outputs, the current one from the stack's Secrets Manager",
    "(secretArns.signingSecret; never printed); with --to URL alone, WEBHOOK_SIGNING_SECRET.",
    "The receiver: --to URL, else the stack's endpointUrl.",
    "",
    "The message goes through the whole pipeline: the rules answer it, and the replies are sent",
    "to --contact for real by a deployed stack that may answer that number (replyContacts).",
    `The default contact, ${DEFAULT_CONTACT}, is a fictional number.`,
    "",
    "--repeat sends the same delivery twice (a vendor retry: no second reply), --human sends a",
    "message typed by a person at the business (pauses the bot for the contact), and",
    "--bad-signature signs it wrongly: the receiver must answer 401. Exit 0 when the receiver",
    "answered as it should (2xx; 401 with --bad-signature), 1 otherwise.",
  ].join("\n"),
  options: {
    to: {
      type: "string",
      valueName: "URL",
      help: "the receiver's URL (default: the stack's endpointUrl)",
    },
    text: { type: "string", valueName: "TEXT", help: 'the message\'s text (default "hello")' },
    contact: {
      type: "string",
      valueName: "PHONE",
      help: `who writes, in international format (default ${DEFAULT_CONTACT}, fictional)`,
    },
    repeat: { type: "boolean", help: "send the same delivery twice, as a vendor retry does" },
    human: { type: "boolean", help: "a message typed by a person at the business (takeover)" },
    "bad-signature": {
      type: "boolean",
      help: "sign it wrongly: the receiver must refuse it (401)",
    },
    scheme: {
      type: "string",
      valueName: "SCHEME",
      help: `how to sign: ${SCHEMES.join(", ")} (default hmac-sha256, which "auto" accepts)`,
    },
  },
  check(positionals, values) {
    if (positionals.length > 0) {
      throw new UsageError(`trigger takes no arguments (got ${positionals.join(" ")}): use --text`);
    }
    if (values.contact !== undefined) parsePhone("trigger", values.contact as string, true);
    if (
      values.scheme !== undefined &&
      !(SCHEMES as readonly string[]).includes(values.scheme as string)
    ) {
      throw new UsageError(`trigger: --scheme must be one of ${SCHEMES.join(", ")}`);
    }
    if (values.to !== undefined && !URL.canParse(values.to as string)) {
      throw new UsageError(`trigger: --to "${values.to}" is not a URL`);
    }
    if (values.text === "") throw new UsageError("trigger: --text must not be empty");
  },
  examples: [
    "trigger --outputs local.json --text 'hi, what are your prices?'",
    "trigger --outputs local.json --bad-signature",
    "trigger --to http://127.0.0.1:3000/webhooks/whatsapp   # signed with $WEBHOOK_SIGNING_SECRET",
    "trigger --stack dev --contact +14155550177 --repeat",
  ],
  async run(context) {
    const { values, now } = context;
    const url = receiverUrl(context);
    const secret = await signingSecret(context);
    const phone = parsePhone(
      "trigger",
      (values.contact as string | undefined) ?? DEFAULT_CONTACT,
      true,
    );
    const text = (values.text as string | undefined) ?? "hello";
    const scheme = (values.scheme as string | undefined) ?? "hmac-sha256";
    const badSignature = values["bad-signature"] === true;
    const body = sampleWebhookBody({
      phone,
      text,
      at: now(),
      ...(values.human === true ? { outgoing: { human: true } } : {}),
    });
    const signature = signatureFor(body, secret, scheme);
    const header = badSignature ? forged(signature) : signature;
    const deliveries = values.repeat === true ? 2 : 1;
    const answers: Answer[] = [];
    for (let i = 0; i < deliveries; i++) {
      try {
        answers.push(await postWebhook(url, body, header, TIMEOUT_MS));
      } catch (error) {
        throw new OpsError(`POST ${url} failed: ${messageOf(error)}`, { cause: error });
      }
    }
    const expected = (status: number) =>
      badSignature ? status === 401 : status >= 200 && status < 300;
    const ok = answers.every((answer) => expected(answer.status));
    const kind =
      values.human === true ? "a message typed by a person at the business to" : "a message from";
    const lines = [
      `POST ${url}`,
      `  ${kind} ${showPhone(phone)}: ${JSON.stringify(text)}`,
      `  signed ${badSignature ? `WRONGLY (${scheme}; the receiver must refuse it)` : `with the stack's secret (${scheme})`}`,
      ...answers.map(
        (answer, i) =>
          `${deliveries > 1 ? (i === 0 ? "first delivery" : "repeat") : "answer"}: ${answer.status} ${typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body)}`,
      ),
    ];
    if (!ok) {
      lines.push(
        badSignature
          ? "expected 401: the receiver accepted a delivery it cannot have verified"
          : "expected 2xx (401: the secret or scheme does not match the receiver's)",
      );
    } else if (!badSignature && context.target) {
      lines.push(`\nWhat it got: ${nextCommand(context, "conversation", showPhone(phone))}`);
    }
    return {
      ok,
      text: lines.join("\n"),
      json: {
        url,
        contact: showPhone(phone),
        scheme,
        badSignature,
        answers,
        ok,
      },
    };
  },
};
