import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/**
 * A business's HTTP reply policy, as tests run it: a local endpoint (127.0.0.1) that verifies
 * every request with the `standardwebhooks` package (an implementation independent of the
 * responder's signing), records it, and answers what the test scripted for the contact.
 */

/** A fresh Standard Webhooks secret: whsec_ + 32 random bytes in base64. */
function newPolicySecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** One request the endpoint received. */
interface PolicyCall {
  headers: IncomingHttpHeaders;
  body: string;
  /** `webhook-id`. */
  id: string;
  /** What the independent verifier made of it: the payload, or why it refused. */
  verified: { ok: true; payload: PolicyPayload } | { ok: false; error: string };
  /** The contact (webhook.phone of the payload, when it parsed). */
  phone?: string;
}

interface PolicyPayload {
  webhook: { phone: string } & Record<string, unknown>;
  history: { role: string; content: string; at: string | null }[];
  acceptedAt: string;
}

/** What the endpoint answers: a status and JSON body, or no answer at all (a timeout). */
type PolicyAnswer = { status: number; body?: unknown } | "hang";

export interface PolicyEndpoint {
  /** http://127.0.0.1:<port>/reply */
  url: string;
  secret: string;
  /** Calls so far, for one contact or all. */
  calls(phone?: string): PolicyCall[];
  /**
   * Scripts the answers for a contact, one per call; the last one repeats. Unscripted contacts
   * get `{"messages": []}`.
   */
  answer(phone: string, ...answers: PolicyAnswer[]): void;
  /** Runs after a call for `phone` is recorded, before it is answered (fault injection). */
  beforeAnswer(phone: string, hook: (call: PolicyCall) => Promise<void> | void): void;
  stop(): Promise<void>;
}

export async function startPolicyEndpoint(secret = newPolicySecret()): Promise<PolicyEndpoint> {
  const verifier = new Webhook(secret);
  const calls: PolicyCall[] = [];
  const scripts = new Map<string, PolicyAnswer[]>();
  const hooks = new Map<string, (call: PolicyCall) => Promise<void> | void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let verified: PolicyCall["verified"];
      try {
        const payload = verifier.verify(body, request.headers as Record<string, string>);
        verified = { ok: true, payload: payload as PolicyPayload };
      } catch (error) {
        verified = { ok: false, error: (error as Error).message };
      }
      const phone = verified.ok ? verified.payload.webhook.phone : undefined;
      const call: PolicyCall = {
        headers: request.headers,
        body,
        id: String(request.headers["webhook-id"]),
        verified,
        phone,
      };
      calls.push(call);
      if (!verified.ok) {
        response.writeHead(401, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: "bad signature" }));
        return;
      }
      await hooks.get(phone ?? "")?.(call);
      const script = scripts.get(phone ?? "") ?? [];
      const next = (script.length > 1 ? script.shift() : script[0]) ?? {
        status: 200,
        body: { messages: [] },
      };
      if (next === "hang") return; // the responder's timeout ends it
      response.writeHead(next.status, { "content-type": "application/json" });
      response.end(next.body === undefined ? "" : JSON.stringify(next.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/reply`,
    secret,
    calls: (phone) => (phone === undefined ? [...calls] : calls.filter((c) => c.phone === phone)),
    answer: (phone, ...answers) => {
      scripts.set(phone, answers);
    },
    beforeAnswer: (phone, hook) => {
      hooks.set(phone, hook);
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
