import type { ConversationItem, PlanItem } from "../../lambdas/core/conversationLog.js";
import type { DeliveryDeps, DeliverySettings } from "../../lambdas/core/deliverReply.js";
import { CLAIMABLE_STATUSES, markerKey, type SentMarker } from "../../lambdas/core/deliverReply.js";
import type { ScheduledReply } from "../../lambdas/core/messages.js";
import type {
  Clock,
  ConversationLogStore,
  Logger,
  MessageQueue,
  PlanStore,
  SentMarkerStore,
  VendorSender,
} from "../../lambdas/core/ports.js";
import type { OutgoingMessage, SendOutcome } from "../../lambdas/core/vendorSend.js";

/**
 * In-memory stand-ins for the sender's ports, with the same conditional semantics as the DynamoDB
 * adapters, and a simulated clock: for fast, exhaustive tests of the delivery workflow. The real
 * adapters are exercised by the integration tests.
 */

export class SimulatedClock implements Clock {
  constructor(public current = 0) {}
  now = () => this.current;
  sleep = async (ms: number) => {
    this.current += Math.max(0, ms);
  };
}

export class MemoryMarkers implements SentMarkerStore {
  readonly items = new Map<string, SentMarker>();

  async get(planId: string, seq: number) {
    const item = this.items.get(markerKey(planId, seq));
    return item ? { ...item } : undefined;
  }

  async claim(input: Parameters<SentMarkerStore["claim"]>[0]) {
    const pk = markerKey(input.planId, input.seq);
    const existing = this.items.get(pk);
    if (existing && !CLAIMABLE_STATUSES.includes(existing.status)) {
      return { claimed: false as const, existing: { ...existing } };
    }
    this.items.set(pk, {
      pk,
      planId: input.planId,
      seq: input.seq,
      status: "SENDING",
      owner: input.owner,
      leaseUntil: input.now + input.leaseMs,
      attempts: (existing?.attempts ?? 0) + 1,
      updatedAt: input.now,
      expiresAt: Math.floor(input.now / 1000) + input.ttlSeconds,
      ...(existing?.reason ? { reason: existing.reason } : {}),
    });
    return { claimed: true as const };
  }

  async markSent(input: Parameters<SentMarkerStore["markSent"]>[0]) {
    const item = this.items.get(markerKey(input.planId, input.seq));
    if (!item || item.owner !== input.owner) return false;
    Object.assign(item, { status: "SENT", sentAt: input.sentAt, updatedAt: input.sentAt });
    delete item.leaseUntil;
    delete item.reason;
    return true;
  }

  async finish(input: Parameters<SentMarkerStore["finish"]>[0]) {
    const item = this.items.get(markerKey(input.planId, input.seq));
    if (!item || item.owner !== input.owner || item.status !== "SENDING") return false;
    Object.assign(item, { status: input.status, reason: input.reason, updatedAt: input.now });
    delete item.leaseUntil;
    return true;
  }

  async markUnknown(input: Parameters<SentMarkerStore["markUnknown"]>[0]) {
    const item = this.items.get(markerKey(input.planId, input.seq));
    if (item?.status !== "SENDING" || item.owner !== input.owner) return false;
    if ((item.leaseUntil ?? 0) > input.now) return false;
    Object.assign(item, { status: "UNKNOWN", updatedAt: input.now });
    delete item.leaseUntil;
    return true;
  }
}

/** A vendor that answers from a script (default: success) and records what it delivered. */
export class ScriptedVendor implements VendorSender {
  readonly delivered: (OutgoingMessage & { at: number })[] = [];
  readonly calls: OutgoingMessage[] = [];
  private readonly script: (SendOutcome | Error)[] = [];
  /** Decides the outcome when the script is empty; default success. */
  decide: (message: OutgoingMessage) => SendOutcome = () => ({ kind: "sent", status: 200 });

  constructor(private readonly clock: Clock) {}

  answer(...outcomes: (SendOutcome | Error)[]) {
    this.script.push(...outcomes);
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    this.calls.push(message);
    const next = this.script.shift() ?? this.decide(message);
    if (next instanceof Error) throw next;
    if (next.kind === "sent") this.delivered.push({ ...message, at: this.clock.now() });
    return next;
  }
}

export class MemoryLog implements ConversationLogStore {
  readonly items = new Map<string, ConversationItem>();
  async append(items: readonly ConversationItem[]) {
    for (const item of items) this.items.set(`${item.pk}|${item.sk}`, item);
  }
}

/** PLAN items with the adapter's condition: the first plan stored under an id is the plan. */
export class MemoryPlans implements PlanStore {
  readonly plans = new Map<string, PlanItem>();
  readonly created: string[] = [];
  async get(phone: string, planId: string) {
    const plan = this.plans.get(`${phone}|${planId}`);
    return plan && structuredClone(plan);
  }
  async create(plan: PlanItem) {
    const key = `${plan.phone}|${plan.planId}`;
    const stored = this.plans.get(key);
    if (stored) return structuredClone(stored);
    this.plans.set(key, structuredClone(plan));
    this.created.push(plan.planId);
    return plan;
  }
}

export class RecordingQueue implements MessageQueue {
  readonly sent: { body: ScheduledReply; delaySeconds: number; at: number }[] = [];
  constructor(private readonly clock: Clock) {}
  async send(body: unknown, options: { delaySeconds?: number } = {}) {
    this.sent.push({
      body: structuredClone(body) as ScheduledReply,
      delaySeconds: options.delaySeconds ?? 0,
      at: this.clock.now(),
    });
  }
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export const TEST_SETTINGS: DeliverySettings = {
  maxHopSeconds: 900,
  maxSendAttempts: 5,
  retryBaseSeconds: 2,
  leaseMs: 10_000,
  ttlSeconds: 90 * 24 * 3600,
  orderPollMs: 100,
  orderWaitInProcessMs: 3000,
};

/** The sender's dependencies, all in memory, sharing one simulated clock. */
export function memoryDeliveryDeps(overrides: Partial<DeliverySettings> = {}, start = 0) {
  const clock = new SimulatedClock(start);
  let owners = 0;
  const deps = {
    markers: new MemoryMarkers(),
    vendor: new ScriptedVendor(clock),
    conversationLog: new MemoryLog(),
    repliesQueue: new RecordingQueue(clock),
    clock,
    logger: silentLogger,
    newOwner: () => `owner-${++owners}`,
    random: () => 0.5,
    settings: { ...TEST_SETTINGS, ...overrides },
  } satisfies DeliveryDeps;
  return deps;
}
