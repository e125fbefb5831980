import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import {
  loadStackConfig,
  parseStackSettings,
  replyPolicySecretProblem,
  StackConfigError,
  validateSettings,
} from "../../infra/config.js";
import { stackFileSettings } from "./support/stackFiles.js";

const NS = "whatsable-replies";

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a StackConfigError");
}

const problems = (raw: Record<string, string>) => problemsOf(() => parseStackSettings(raw));

describe("parseStackSettings", () => {
  it("reads the human takeover pause and the contacts' languages", () => {
    expect(parseStackSettings({ humanPauseSeconds: "0", languages: '["es","pt"]' })).toMatchObject({
      humanPauseSeconds: 0,
      languages: ["es", "pt"],
    });
  });

  it("refuses a language without default stop words, naming the key", () => {
    expect(problems({ languages: '["xx"]' }).join("\n")).toMatch(/languages/);
  });

  it("fills every default when the stack sets nothing", () => {
    expect(parseStackSettings({})).toMatchObject({
      webhookGenerations: [{ generation: 1, enabled: true }],
      webhookAdopt: false,
      webhookIncoming: true,
      webhookOutgoing: true,
      scheduleActivity: false,
      activeSignature: true,
      managementBaseUrl: "https://api.insightssystem.com/api:qh9OQ3OW",
      vendorBaseUrl: "https://api.insightssystem.com",
      vendorSendPath: "/api:-GWQv5aM/send",
      vendorAuthPrefix: "Bearer ",
      signatureScheme: "auto",
      replyRules: [],
      maxSqsDelaySeconds: 900,
      humanPauseSeconds: 3600,
      languages: ["en"],
      logLevel: "INFO",
      logRetentionDays: 30,
      senderMaxConcurrency: 2,
      maxReceiveCount: 5,
      protect: false,
      dashboard: false,
      // The product's entrance: a webhook behind API Gateway, throttled at its stage.
      ingress: "httpApi",
      throttle: { ingress: "httpApi", rateLimit: 50, burstLimit: 100 },
    });
  });

  describe("ingress and its throttle", () => {
    it("throttles a function URL by the receiver's reserved concurrency when the stack sets one", () => {
      expect(
        parseStackSettings({ ingress: "functionUrl", receiverReservedConcurrency: "25" }).throttle,
      ).toEqual({ ingress: "functionUrl", receiverReservedConcurrency: 25 });
    });

    it("reserves no concurrency for a function URL unless asked (a new account refuses any)", () => {
      expect(parseStackSettings({ ingress: "functionUrl" }).throttle).toEqual({
        ingress: "functionUrl",
        receiverReservedConcurrency: undefined,
      });
    });

    it("throttles an HTTP API at its stage, 50/100 unless the stack says", () => {
      expect(parseStackSettings({ ingress: "httpApi" }).throttle).toEqual({
        ingress: "httpApi",
        rateLimit: 50,
        burstLimit: 100,
      });
      expect(
        parseStackSettings({
          ingress: "httpApi",
          throttleRateLimit: "20",
          throttleBurstLimit: "40",
        }).throttle,
      ).toEqual({ ingress: "httpApi", rateLimit: 20, burstLimit: 40 });
    });

    it("refuses an unknown ingress, naming the choices", () => {
      expect(problems({ ingress: "alb" })).toEqual([
        `${NS}:ingress: must be one of functionUrl, httpApi`,
      ]);
    });

    it("refuses the HTTP API's stage throttle on a function-URL stack, naming both keys", () => {
      expect(
        problems({ ingress: "functionUrl", throttleRateLimit: "50", throttleBurstLimit: "100" }),
      ).toEqual([
        `${NS}:throttleRateLimit: applies to ingress "httpApi" only (API Gateway stage throttling), but ingress is "functionUrl": delete it and throttle with receiverReservedConcurrency, or set ingress: httpApi`,
        `${NS}:throttleBurstLimit: applies to ingress "httpApi" only (API Gateway stage throttling), but ingress is "functionUrl": delete it and throttle with receiverReservedConcurrency, or set ingress: httpApi`,
      ]);
    });

    it("refuses reserved concurrency on an HTTP API stack", () => {
      expect(problems({ ingress: "httpApi", receiverReservedConcurrency: "10" })).toEqual([
        `${NS}:receiverReservedConcurrency: applies to ingress "functionUrl" only, but ingress is "httpApi" (throttled by throttleRateLimit / throttleBurstLimit): delete it, or set ingress: functionUrl`,
      ]);
    });

    it("keeps the 100 executions Lambda wants unreserved on a default account", () => {
      const functionUrl = { ingress: "functionUrl" };
      expect(problems({ ...functionUrl, receiverReservedConcurrency: "901" })).toEqual([
        `${NS}:receiverReservedConcurrency: must be a whole number from 1 to 900`,
      ]);
      expect(problems({ ...functionUrl, receiverReservedConcurrency: "0" })).toEqual([
        `${NS}:receiverReservedConcurrency: must be a whole number from 1 to 900`,
      ]);
    });
  });

  it("decodes values the way Pulumi passes them (numbers, booleans, lists as text)", () => {
    const settings = parseStackSettings({
      scheduleActivity: "true",
      waitingDurationSeconds: "3600",
      webhookGenerations: '[{"generation":2},{"generation":1,"enabled":false}]',
      vendorAuthPrefix: "",
    });
    expect(settings).toMatchObject({
      scheduleActivity: true,
      waitingDurationSeconds: 3600,
      webhookGenerations: [
        { generation: 2, enabled: true },
        { generation: 1, enabled: false },
      ],
      vendorAuthPrefix: "",
    });
  });

  it("names the key of a value with the wrong type", () => {
    expect(problems({ protect: "yes" })).toEqual([`${NS}:protect: must be true or false`]);
  });

  it("names the key of a number out of range", () => {
    expect(problems({ senderMaxConcurrency: "1" })).toEqual([
      `${NS}:senderMaxConcurrency: must be a whole number from 2 to 1000`,
    ]);
  });

  it("rejects a waiting duration that is not a vendor preset when schedule activity is on", () => {
    expect(problems({ scheduleActivity: "true", waitingDurationSeconds: "100" })[0]).toMatch(
      new RegExp(
        `^${NS}:waitingDurationSeconds: must be one of the vendor presets 15, 30, 60, 1800`,
      ),
    );
  });

  it("requires a waiting duration when schedule activity is on", () => {
    expect(problems({ scheduleActivity: "true" })[0]).toMatch(
      /^whatsable-replies:waitingDurationSeconds:/,
    );
  });

  it("rejects a waiting duration when schedule activity is off", () => {
    expect(problems({ waitingDurationSeconds: "60" })).toEqual([
      `${NS}:waitingDurationSeconds: must be 0 (or unset) when scheduleActivity is false`,
    ]);
  });

  it("rejects an unsigned webhook unless verification is explicitly off", () => {
    expect(problems({ activeSignature: "false" })).toEqual([
      `${NS}:signatureScheme: must be "off" when activeSignature is false: unsigned deliveries would all be rejected`,
    ]);
    expect(() =>
      parseStackSettings({ activeSignature: "false", signatureScheme: "off" }),
    ).not.toThrow();
  });

  it("accepts a first registration made disabled, as docs/operations.md advises", () => {
    expect(
      parseStackSettings({ webhookGenerations: '[{"generation":1,"enabled":false}]' })
        .webhookGenerations,
    ).toEqual([{ generation: 1, enabled: false }]);
  });

  it("rejects duplicate or too many webhook generations", () => {
    expect(problems({ webhookGenerations: '[{"generation":1},{"generation":1}]' })).toEqual([
      `${NS}:webhookGenerations: generation numbers must be distinct`,
    ]);
    expect(
      problems({ webhookGenerations: '[{"generation":1},{"generation":2},{"generation":3}]' }),
    ).toEqual([
      `${NS}:webhookGenerations: must list at most two generations (the live one and the one replacing it)`,
    ]);
  });

  it("points into a list when one entry is wrong", () => {
    expect(problems({ webhookGenerations: '[{"generation":0}]' })).toEqual([
      `${NS}:webhookGenerations [0.generation]: generation must be a whole number from 1 to 9999`,
    ]);
  });

  it("rejects reply rules the responder would refuse, naming the rule and the field", () => {
    const rules = JSON.stringify([
      {
        match: "hi",
        messages: [
          { text: "a", delay: 2000 },
          { text: "b", delay: 1000 },
        ],
      },
      {
        name: "menu",
        match: "menu",
        messages: [{ text: "Menu", delay: 0, attachement: "https://x.test/m.pdf" }],
      },
      { match: "(?=x)", messages: [{ text: "  ", delay: 0, attachment: "ftp://x.test/a" }] },
      { match: "late", messages: [{ text: "later", delay: 61 * 24 * 3600 * 1000 }] },
    ]);
    expect(problems({ replyRules: rules })).toEqual([
      `${NS}:replyRules: reply rule 0: messages[1].delay (1000 ms) is earlier than the message before it (2000 ms): delays are offsets from acceptance, so they must not decrease`,
      `${NS}:replyRules: reply rule 1 ("menu"): messages[0].attachement is not a field (did you mean attachment?) [fields: text, delay, attachment, filename]`,
      `${NS}:replyRules: reply rule 2: match is not a pattern RE2 accepts: invalid or unsupported Perl syntax \`(?=\` at character 1`,
      `${NS}:replyRules: reply rule 2: messages[0].text must not be blank`,
      `${NS}:replyRules: reply rule 2: messages[0].attachment must be an absolute http(s) URL`,
      `${NS}:replyRules: reply rule 3: messages[0].delay must be at most 5184000000 ms (60 days)`,
    ]);
  });

  it("lists rule problems together with other keys' problems", () => {
    const rules = JSON.stringify([{ match: "(", messages: [{ text: "x", delay: 0 }] }]);
    expect(problems({ logLevel: "LOUD", replyRules: rules })).toEqual([
      `${NS}:logLevel: must be DEBUG, INFO, WARN or ERROR`,
      `${NS}:replyRules: reply rule 0: match is not a pattern RE2 accepts: missing closing ) at character 1`,
    ]);
  });

  it("rejects a reply scheduled beyond the waiting duration", () => {
    const rules = JSON.stringify([{ match: "hi", messages: [{ text: "later", delay: 61_000 }] }]);
    expect(
      problems({ scheduleActivity: "true", waitingDurationSeconds: "60", replyRules: rules }),
    ).toEqual([
      `${NS}:replyRules: reply rule 0: messages[0].delay (61000 ms) is beyond the webhook's waiting_duration of 60 s`,
    ]);
  });

  it("rejects an unknown placeholder", () => {
    const rules = JSON.stringify([{ messages: [{ text: "Hi {{frist_name}}", delay: 0 }] }]);
    expect(problems({ replyRules: rules })[0]).toMatch(
      /^whatsable-replies:replyRules: reply rule 0: messages\[0\]\.text has an unknown placeholder \{\{frist_name\}\} at character 4/,
    );
  });

  it("accepts inline rules beyond the old 4 KB environment limit (they ship in the bundle)", () => {
    const rules = [{ match: "x", messages: [{ text: "a".repeat(4000), delay: 0 }] }];
    const many = Array.from({ length: 5 }, () => rules[0]);
    expect(parseStackSettings({ replyRules: JSON.stringify(many) }).replyRules).toEqual(many);
  });

  describe("replyRulesFile", () => {
    const LARGE = "test/fixtures/rules/large.json";

    it("reads a rules file from the repository, validated like inline rules", () => {
      const settings = parseStackSettings({ replyRulesFile: LARGE });
      expect(settings.replyRules).toEqual(JSON.parse(readFileSync(LARGE, "utf8")));
      expect(JSON.stringify(settings.replyRules).length).toBeGreaterThan(40 * 1024);
    });

    it("names the file, the rule and the field of a problem inside it", async () => {
      const root = await mkdtemp(path.join(tmpdir(), "rules-"));
      onTestFinished(() => rm(root, { recursive: true, force: true }));
      await mkdir(path.join(root, "rules"));
      await writeFile(
        path.join(root, "rules/replies.json"),
        JSON.stringify([{ name: "hello", match: "hi", messages: [{ text: "Hi", dealy: 0 }] }]),
      );
      expect(
        problemsOf(() => parseStackSettings({ replyRulesFile: "rules/replies.json" }, NS, root)),
      ).toEqual([
        `${NS}:replyRulesFile (rules/replies.json): reply rule 0 ("hello"): messages[0].delay must be a number of milliseconds`,
        `${NS}:replyRulesFile (rules/replies.json): reply rule 0 ("hello"): messages[0].dealy is not a field (did you mean delay?) [fields: text, delay, attachment, filename]`,
      ]);
    });

    it("rejects a file that does not exist", () => {
      expect(problems({ replyRulesFile: "rules/nope.json" })).toEqual([
        `${NS}:replyRulesFile (rules/nope.json): file not found (paths are relative to the project root)`,
      ]);
    });

    it("rejects a file that is not JSON", () => {
      expect(problems({ replyRulesFile: "README.md" })[0]).toMatch(
        /^whatsable-replies:replyRulesFile \(README\.md\): not valid JSON/,
      );
    });

    it.each(["/etc/rules.json", "../rules.json"])(
      "rejects %s, a path outside the project",
      (file) => {
        expect(problems({ replyRulesFile: file })).toEqual([
          `${NS}:replyRulesFile: must be a path inside the project, relative to Pulumi.yaml (e.g. rules/replies.json)`,
        ]);
      },
    );

    it("rejects rules set both inline and as a file", () => {
      expect(problems({ replyRulesFile: LARGE, replyRules: "[]" })).toEqual([
        `${NS}:replyRulesFile: set either replyRules (inline) or replyRulesFile, not both`,
      ]);
    });
  });

  it("caps the body size so the job carrying it fits one SQS message", () => {
    expect(problems({ maxBodyBytes: String(300 * 1024) })).toEqual([
      `${NS}:maxBodyBytes: must be a whole number from 1024 to ${255 * 1024}`,
    ]);
    expect(parseStackSettings({}).maxBodyBytes).toBe(255 * 1024);
  });

  it("refuses a protected stack whose alarms would reach nobody, naming the key", () => {
    expect(problems({ protect: "true" })).toEqual([
      `${NS}:alarmEmail: a protected stack needs an alarm destination: set alarmEmail or alarmTopicArns, else its alarms reach nobody`,
    ]);
  });

  it("accepts an existing SNS topic (PagerDuty, Slack) as the alarm destination", () => {
    const topic = "arn:aws:sns:eu-west-1:123456789012:pagerduty-whatsable";
    expect(
      parseStackSettings({ protect: "true", alarmTopicArns: JSON.stringify([topic]) })
        .alarmTopicArns,
    ).toEqual([topic]);
    expect(problems({ alarmTopicArns: '["pagerduty"]' })).toEqual([
      `${NS}:alarmTopicArns [0]: must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`,
    ]);
  });

  it("takes alarm thresholds from the stack, with defaults for the rest", () => {
    expect(parseStackSettings({ alarmThresholds: '{"quietHours":6}' }).alarmThresholds).toEqual({
      unauthorizedPer5Minutes: 3,
      badRequestsPer5Minutes: 10,
      vendorRefusalsPer15Minutes: 3,
      quietHours: 6,
    });
    expect(problems({ alarmThresholds: '{"quietHours":48}' })).toEqual([
      `${NS}:alarmThresholds [quietHours]: must be a whole number from 0 to 24`,
    ]);
  });

  it("takes reply contacts as E.164 numbers or any", () => {
    expect(parseStackSettings({ replyContacts: "any" }).replyContacts).toBe("any");
    expect(problems({ replyContacts: '["2025550101"]' })).toEqual([
      `${NS}:replyContacts [0]: each contact must be an E.164 number such as +15550100001`,
    ]);
  });

  it.each(["dev", "staging"])("lets %s answer only listed test numbers", (stack) => {
    const contacts = parseStackSettings(stackFileSettings(stack)).replyContacts;
    expect(Array.isArray(contacts) && contacts.length > 0).toBe(true);
  });

  it("registers prod's first webhook disabled, as docs/operations.md advises", () => {
    expect(
      parseStackSettings(stackFileSettings("prod", { filledIn: true })).webhookGenerations,
    ).toEqual([{ generation: 1, enabled: false }]);
  });

  it.each(["staging", "prod"])("names an alarm destination in Pulumi.%s.yaml", (stack) => {
    const settings = parseStackSettings(stackFileSettings(stack, { filledIn: true }));
    expect(settings.alarmEmail ?? settings.alarmTopicArns[0]).toBeTruthy();
  });

  it("rejects a management API that is not https", () => {
    expect(problems({ managementBaseUrl: "http://api.example.com" })).toEqual([
      `${NS}:managementBaseUrl: must be an absolute https:// URL`,
    ]);
  });

  it("rejects an unknown key, which is most likely a typo", () => {
    expect(problems({ throttleRatelimit: "10" })).toEqual([
      `${NS}:throttleRatelimit: unknown config key (typo?)`,
    ]);
  });

  it("names a retired key and what replaced it, instead of calling it a typo", () => {
    expect(
      problems({ idempotencyTtlSeconds: "3600", responderBatchingWindowSeconds: "2" }),
    ).toEqual([
      expect.stringMatching(
        new RegExp(`^${NS}:idempotencyTtlSeconds: no longer used: .*FIFO jobs queue`),
      ),
      expect.stringMatching(
        new RegExp(`^${NS}:responderBatchingWindowSeconds: no longer used: .*FIFO`),
      ),
    ]);
  });

  it("lists every problem at once", () => {
    expect(problems({ protect: "maybe", logLevel: "LOUD", logRetentionDays: "10" })).toEqual([
      `${NS}:logLevel: must be DEBUG, INFO, WARN or ERROR`,
      `${NS}:logRetentionDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`,
      `${NS}:protect: must be true or false`,
    ]);
  });

  it.each(["dev", "staging"])("accepts Pulumi.%s.yaml", (stack) => {
    expect(() => parseStackSettings(stackFileSettings(stack))).not.toThrow();
  });

  it("accepts Pulumi.prod.yaml once its placeholder alarm address is replaced", () => {
    expect(() => parseStackSettings(stackFileSettings("prod", { filledIn: true }))).not.toThrow();
  });

  it("protects only prod", () => {
    expect(parseStackSettings(stackFileSettings("prod", { filledIn: true })).protect).toBe(true);
    expect(parseStackSettings(stackFileSettings("staging")).protect).toBe(false);
    expect(parseStackSettings(stackFileSettings("dev")).protect).toBe(false);
  });
});

describe("parseStackSettings: every problem in one run", () => {
  it("reports bad keys, relations between the good ones and the rules together", () => {
    expect(
      problems({
        maxReceiveCount: "0",
        activeSignature: "false",
        signatureScheme: "auto",
        ingress: "functionUrl",
        throttleRateLimit: "10",
        protect: "true",
        replyRules: JSON.stringify([{ match: "(", messages: [{ text: "x", delay: 0 }] }]),
      }),
    ).toEqual([
      `${NS}:maxReceiveCount: must be a whole number from 1 to 1000`,
      `${NS}:signatureScheme: must be "off" when activeSignature is false: unsigned deliveries would all be rejected`,
      expect.stringMatching(
        new RegExp(`^${NS}:throttleRateLimit: applies to ingress "httpApi" only`),
      ),
      expect.stringMatching(
        new RegExp(`^${NS}:alarmEmail: a protected stack needs an alarm destination`),
      ),
      expect.stringMatching(new RegExp(`^${NS}:replyRules: reply rule 0: match`)),
    ]);
  });
});

describe("loadStackConfig", () => {
  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: () => {
          throw new Error("config tests create no resources");
        },
        call: () => {
          throw new Error("config tests call nothing");
        },
      },
      NS,
      "dev",
    );
  });

  const load = (config: Record<string, string>, secretKeys: string[] = []) => {
    pulumi.runtime.setAllConfig(config, secretKeys);
    return loadStackConfig();
  };
  const token = { [`${NS}:vendorToken`]: "tok-secret-value" };

  it("keeps the vendor token a secret Output", async () => {
    const config = load({ "aws:region": "eu-west-1", ...token }, [`${NS}:vendorToken`]);
    expect(await pulumi.isSecret(config.vendorToken)).toBe(true);
    expect(config).toMatchObject({ stack: "dev", region: "eu-west-1", waitingDurationSeconds: 0 });
  });

  it("names the missing vendor token and how to set it", () => {
    expect(problemsOf(() => load({ "aws:region": "eu-west-1" }))).toEqual([
      `${NS}:vendorToken: required; set it with \`pulumi config set --secret vendorToken <token>\``,
    ]);
  });

  it("refuses a vendor token stored in plain text", () => {
    expect(problemsOf(() => load({ "aws:region": "eu-west-1", ...token }))).toEqual([
      `${NS}:vendorToken: must be stored encrypted; run \`pulumi config set --secret vendorToken <value>\``,
    ]);
  });

  it("names aws:region when it is missing", () => {
    expect(problemsOf(() => load(token, [`${NS}:vendorToken`]))).toEqual([
      "aws:region: required (e.g. `pulumi config set aws:region eu-west-1`)",
    ]);
  });

  it("reports bad settings together with missing secrets", () => {
    expect(
      problemsOf(() => load({ "aws:region": "eu-west-1", [`${NS}:dashboard`]: "often" })),
    ).toEqual([
      `${NS}:dashboard: must be true or false`,
      `${NS}:vendorToken: required; set it with \`pulumi config set --secret vendorToken <token>\``,
    ]);
  });

  describe("the HTTP reply policy", () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
    const withPolicy = (url: string, value?: string) => ({
      "aws:region": "eu-west-1",
      ...token,
      [`${NS}:replyPolicyUrl`]: url,
      ...(value === undefined ? {} : { [`${NS}:replyPolicySecret`]: value }),
    });
    const secrets = [`${NS}:vendorToken`, `${NS}:replyPolicySecret`];

    it("keeps the policy secret a secret Output, checked and unchanged", async () => {
      const config = load(withPolicy("https://policy.example.com/reply", secret), secrets);
      expect(config.replyPolicyUrl).toBe("https://policy.example.com/reply");
      expect(await pulumi.isSecret(config.replyPolicySecret as pulumi.Output<string>)).toBe(true);
    });

    it("refuses a URL that is not https, naming the key", () => {
      expect(
        problemsOf(() => load(withPolicy("http://policy.example.com/", secret), secrets)),
      ).toEqual([`${NS}:replyPolicyUrl: must be an absolute https:// URL`]);
    });

    it("refuses a URL carrying credentials", () => {
      expect(
        problemsOf(() => load(withPolicy("https://user:pw@policy.example.com/", secret), secrets)),
      ).toEqual([
        `${NS}:replyPolicyUrl: must not carry credentials (the request is signed with replyPolicySecret instead)`,
      ]);
    });

    it.each([
      ["https://169.254.169.254/latest/api/token", "must not point to a link-local address"],
      ["https://localhost/reply", "must not point to a loopback name"],
      ["https://[::1]/reply", "must not point to a loopback address"],
      ["https://2130706433/reply", "must not point to a loopback address"],
      [
        "https://10.0.0.5/reply",
        "points to a private address (10.0.0.5): set replyPolicyPrivateEndpoint",
      ],
      [
        "https://[fd00::1]/reply",
        "points to a private address (fd00::1): set replyPolicyPrivateEndpoint",
      ],
    ])("refuses %s at preview, naming the key", (url, problem) => {
      const [only, ...rest] = problemsOf(() => load(withPolicy(url, secret), secrets));
      expect(rest).toEqual([]);
      expect(only).toMatch(`${NS}:replyPolicyUrl: ${problem}`);
    });

    it("accepts a private endpoint when the stack opts in (reached through a VPC)", () => {
      const values = {
        ...withPolicy("https://10.0.0.5/reply", secret),
        [`${NS}:replyPolicyPrivateEndpoint`]: "true",
      };
      expect(load(values, secrets).replyPolicyUrl).toBe("https://10.0.0.5/reply");
    });

    it("refuses the metadata address even with the opt-in", () => {
      const values = {
        ...withPolicy("https://169.254.169.254/", secret),
        [`${NS}:replyPolicyPrivateEndpoint`]: "true",
      };
      expect(problemsOf(() => load(values, secrets))).toEqual([
        `${NS}:replyPolicyUrl: must not point to a link-local address (the instance metadata service lives there) (169.254.169.254)`,
      ]);
    });

    it("names the missing secret and how to set it", () => {
      expect(problemsOf(() => load(withPolicy("https://policy.example.com/"), secrets))).toEqual([
        `${NS}:replyPolicySecret: required with replyPolicyUrl; set it with \`pulumi config set --secret replyPolicySecret whsec_<base64>\``,
      ]);
    });

    it("refuses a secret without a URL", () => {
      const config = { "aws:region": "eu-west-1", ...token, [`${NS}:replyPolicySecret`]: secret };
      expect(problemsOf(() => load(config, secrets))).toEqual([
        `${NS}:replyPolicySecret: set, but replyPolicyUrl is not; set both or neither`,
      ]);
    });

    it("refuses a secret stored in plain text", () => {
      expect(
        problemsOf(() =>
          load(withPolicy("https://policy.example.com/", secret), [`${NS}:vendorToken`]),
        ),
      ).toEqual([
        `${NS}:replyPolicySecret: must be stored encrypted; run \`pulumi config set --secret replyPolicySecret <value>\``,
      ]);
    });

    it("finds a malformed secret naming the key and the problem, never the value", () => {
      const bad = "whsec_not*base64";
      const problem = replyPolicySecretProblem(bad, `${NS}:replyPolicySecret`);
      expect(problem).toBe(
        `${NS}:replyPolicySecret: the reply policy secret after whsec_ must be standard base64`,
      );
      expect(problem).not.toContain("not*base64");
      expect(replyPolicySecretProblem(secret, `${NS}:replyPolicySecret`)).toBeUndefined();
    });
  });

  it("ignores other namespaces' keys", () => {
    const config = { "aws:region": "eu-west-1", "aws:defaultTags": "{}", ...token };
    expect(() => load(config, [`${NS}:vendorToken`])).not.toThrow();
  });
});

describe("placeholders on a protected stack", () => {
  // The reserved names as RFC 2606 lists them (test/fixtures/contracts/ietf/reserved-names.md).
  const rfc = readFileSync("test/fixtures/contracts/ietf/reserved-names.md", "utf8");
  const reservedTlds = [...rfc.matchAll(/^\s+\.([a-z]+)\s+\[RFC2606\]$/gm)].map((m) => m[1]);
  const reservedDomains = [...rfc.matchAll(/^\s+([a-z]+\.[a-z]+)\s+\[RFC2606\]$/gm)].map(
    (m) => m[1],
  );
  const nanpa = readFileSync("test/fixtures/contracts/nanpa/fictional-numbers.md", "utf8");
  const [first, last] = ["first", "last"].map((k) =>
    Number(new RegExp(`${k}: (\\d+)`).exec(nanpa)?.[1]),
  );
  const prod = { protect: "true", alarmTopicArns: '["arn:aws:sns:eu-west-1:123456789012:p"]' };

  it("reads the four reserved top-level names and three example domains from the RFC", () => {
    expect(reservedTlds).toEqual(["test", "example", "invalid", "localhost"]);
    expect(reservedDomains).toEqual(["example.com", "example.net", "example.org"]);
  });

  it.each([
    ...reservedDomains.map((d) => `oncall@${d}`),
    ...reservedDomains.map((d) => `oncall@alerts.${d}`),
    ...reservedTlds.map((tld) => `oncall@acme.${tld}`),
  ])("refuses alarmEmail %s, naming the key and the file to edit", (address) => {
    const found = problemsOf(() =>
      parseStackSettings(
        { protect: "true", alarmEmail: address },
        NS,
        process.cwd(),
        "Pulumi.prod.yaml",
      ),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      new RegExp(
        `^${NS}:alarmEmail: an address under \\S+, a name reserved for examples .*edit it in Pulumi\\.prod\\.yaml$`,
      ),
    );
  });

  it("lets an unprotected stack keep a placeholder address (dev, staging)", () => {
    expect(parseStackSettings({ alarmEmail: "oncall@example.com" }).alarmEmail).toBe(
      "oncall@example.com",
    );
  });

  it("refuses a URL under a reserved name (reply policy, vendor APIs)", () => {
    const found = problemsOf(() =>
      parseStackSettings({
        ...prod,
        replyPolicyUrl: "https://policy.example.org/reply",
        vendorBaseUrl: "https://vendor.test",
      }),
    );
    expect(found).toEqual([
      expect.stringMatching(new RegExp(`^${NS}:replyPolicyUrl: a URL under example\\.org`)),
      expect.stringMatching(new RegExp(`^${NS}:vendorBaseUrl: a URL under \\.test`)),
    ]);
  });

  it("refuses the fictional 555-01xx numbers as reply contacts, without repeating them", () => {
    const fictional = [`+1202${first}`, `+1415${last}`];
    const found = problemsOf(() =>
      parseStackSettings({
        ...prod,
        replyContacts: JSON.stringify(["+14155550200", ...fictional]),
      }),
    );
    expect(found).toEqual([
      expect.stringMatching(new RegExp(`^${NS}:replyContacts \\[1\\]: a fictional number`)),
      expect.stringMatching(new RegExp(`^${NS}:replyContacts \\[2\\]: a fictional number`)),
    ]);
    expect(found.join("\n")).not.toMatch(/555\d{4}/);
  });

  it("refuses Pulumi.prod.yaml as shipped, naming alarmEmail and the file", () => {
    const found = problemsOf(() =>
      parseStackSettings(stackFileSettings("prod"), NS, process.cwd(), "Pulumi.prod.yaml"),
    );
    expect(found).toEqual([
      expect.stringMatching(
        new RegExp(`^${NS}:alarmEmail: .*example\\.com.*Pulumi\\.prod\\.yaml$`),
      ),
    ]);
  });

  it("reports placeholders together with every other problem", () => {
    const found = problems({ protect: "true", alarmEmail: "a@example.com", logLevel: "LOUD" });
    expect(found).toEqual([
      `${NS}:logLevel: must be DEBUG, INFO, WARN or ERROR`,
      expect.stringMatching(new RegExp(`^${NS}:alarmEmail: an address under example\\.com`)),
    ]);
  });

  it("names the program, not a stack file, for a component's args", () => {
    const found = problemsOf(() =>
      validateSettings(
        { protect: true, alarmEmail: "a@example.net" },
        { name: (k) => `args.${k}`, root: process.cwd() },
      ),
    );
    expect(found).toEqual([
      expect.stringMatching(
        /^args\.alarmEmail: .*change it where the program creates the component$/,
      ),
    ]);
  });
});
