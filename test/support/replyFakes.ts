import {
  type ContactState,
  claimFromOld,
  contactPk,
  isNewerMessage,
  type MessageClaim,
} from "../../lambdas/core/conversation.js";
import {
  type ConversationItem,
  OPTIONAL_MESSAGE_FIELDS,
  type Plan,
  planOf,
} from "../../lambdas/core/conversationLog.js";
import {
  type DeliveryDeps,
  type DeliverySettings,
  deliverReply,
  isAcknowledged,
} from "../../lambdas/core/deliverReply.js";
import type { ScheduledReply } from "../../lambdas/core/messages.js";
import type {
  Clock,
  ContactStore,
  Logger,
  MessageClaimInput,
  MessageQueue,
  ReplyRef,
  StoredMessage,
  VendorSender,
} from "../../lambdas/core/ports.js";
import {
  applyWrite,
  BaseReplyStore,
  type ReplyItem,
  type ReplyWrite,
  replySk,
} from "../../lambdas/core/replyItem.js";
import type { OutgoingMessage, SendOutcome } from "../../lambdas/core/vendorSend.js";

/**
 * In-memory stand-ins for the responder's and the sender's ports, with the same conditional
 * semantics as the DynamoDB stores (test/support/contracts/ holds both to one suite per port), and
 * a simulated clock: for fast, exhaustive tests of the delivery workflow.
 */

export class SimulatedClock implements Clock {
  constructor(public current = 0) {}
  now = () => this.current;
  sleep = async (ms: number) => {
    this.current += Math.max(0, ms);
  };
}

/**
 * Reply items in memory: the protocol of core/replyItem.ts (BaseReplyStore) over a map, each write
 * applied as the table applies it (applyWrite), so the fake and the DynamoDB store differ only in
 * where the item lives (test/support/contracts/replyStore.ts holds both to that).
 */
export class MemoryReplies extends BaseReplyStore {
  readonly items = new Map<string, ReplyItem>();

  protected async readItem(ref: ReplyRef) {
    const item = this.items.get(replySk(ref.planId, ref.seq));
    return item ? { ...item } : undefined;
  }

  protected async applyIfAllowed(ref: ReplyRef, write: ReplyWrite) {
    const key = { pk: contactPk(ref.phone), sk: replySk(ref.planId, ref.seq) };
    const next = applyWrite(key, this.items.get(key.sk), write);
    if (next) this.items.set(key.sk, next);
    return next !== undefined;
  }
}

/** Contacts and MSG items (with their plans) in memory, with the DynamoDB adapter's conditions. */
export class MemoryContacts implements ContactStore {
  readonly contacts = new Map<string, ContactState>();
  readonly messages = new Map<string, ConversationItem>();
  /** findMessage calls: each is one strongly consistent read on DynamoDB. */
  reads = 0;

  /** The CONTACT item, created as an UpdateItem creates it: its key and what the write sets. */
  private contact(phone: string): ContactState {
    let contact = this.contacts.get(phone);
    if (!contact) {
      contact = { pk: contactPk(phone), sk: "CONTACT" } as ContactState;
      this.contacts.set(phone, contact);
    }
    return contact;
  }

  /** raiseCancelBefore: the cutoff moves forward, never back. */
  private raiseCancelBefore(phone: string, at: number, reason: "human" | "operator", now: number) {
    const contact = this.contact(phone);
    if (contact.cancelBefore !== undefined && contact.cancelBefore >= at) return;
    Object.assign(contact, { phone, cancelBefore: at, cancelReason: reason, updatedAt: now });
  }

  async claimMessage(input: MessageClaimInput): Promise<MessageClaim> {
    const old = this.contacts.get(input.phone);
    const before = old ? structuredClone(old) : undefined;
    if (old?.lastInboundKey === input.key || !isNewerMessage(old, input)) {
      return claimFromOld(before, input.key);
    }
    const contact = this.contact(input.phone);
    Object.assign(contact, {
      phone: input.phone,
      lastInboundAt: input.at,
      lastInboundKey: input.key,
      lastInboundAcceptedAt: input.acceptedAt,
      planId: input.planId,
      updatedAt: input.now,
    });
    if (input.intent === "stop") {
      Object.assign(contact, { optedOut: true, optedOutAt: input.at });
      contact.optOutPlanId ??= input.planId;
    } else if (input.intent === "start") {
      Object.assign(contact, { optedOut: false, optedInAt: input.at });
      delete contact.optOutPlanId;
    }
    return { kind: "newest", before };
  }

  async takeOver(input: { phone: string; at: number; until: number; now: number }) {
    const contact = this.contact(input.phone);
    if (contact.pausedUntil !== undefined && contact.pausedUntil >= input.until) return;
    Object.assign(contact, {
      phone: input.phone,
      pausedUntil: input.until,
      pauseReason: "human",
      updatedAt: input.now,
    });
    this.raiseCancelBefore(input.phone, input.at, "human", input.now);
  }

  async optOutLate(input: { phone: string; at: number; now: number }) {
    const old = this.contacts.get(input.phone);
    if ((old?.optedInAt ?? -1) >= input.at || (old?.optedOutAt ?? -1) >= input.at) return;
    Object.assign(this.contact(input.phone), {
      optedOut: true,
      optedOutAt: input.at,
      updatedAt: input.now,
    });
  }

  async pause(input: { phone: string; until: number; now: number }) {
    Object.assign(this.contact(input.phone), {
      phone: input.phone,
      pausedUntil: input.until,
      pauseReason: "operator",
      updatedAt: input.now,
    });
    this.raiseCancelBefore(input.phone, input.now, "operator", input.now);
  }

  async resume(input: { phone: string; now: number; optIn: boolean }) {
    const contact = this.contact(input.phone);
    Object.assign(contact, { phone: input.phone, updatedAt: input.now });
    delete contact.pausedUntil;
    delete contact.pauseReason;
    if (input.optIn) {
      Object.assign(contact, { optedOut: false, optedInAt: input.now });
      delete contact.optOutPlanId;
    }
  }

  async cancelPending(input: { phone: string; now: number }) {
    this.raiseCancelBefore(input.phone, input.now, "operator", input.now);
  }

  async getContact(phone: string) {
    const contact = this.contacts.get(phone);
    return contact ? structuredClone(contact) : undefined;
  }

  /**
   * The adapter's conditional write: a stored plan is kept, and its item returned; otherwise the
   * item as written now, keeping what an earlier write set that this one may not drop (planId).
   */
  async recordMessage(item: ConversationItem) {
    const key = `${item.pk}|${item.sk}`;
    const stored = this.messages.get(key);
    if (stored?.plan) return structuredClone(stored);
    const kept = { ...stored };
    for (const name of OPTIONAL_MESSAGE_FIELDS) delete kept[name];
    this.messages.set(key, structuredClone({ ...kept, ...item }));
    return item;
  }

  /**
   * The MSG items as an eventually consistent read may see them: a copy taken by
   * {@link lagReplica} that no later write reaches (DynamoDB: such a read "may not reflect the
   * results of a recently completed write"). Absent: every read sees every write.
   */
  private replica?: Map<string, ConversationItem>;

  /** From now on, eventually consistent reads see the MSG items as they are now, not later writes. */
  lagReplica() {
    this.replica = structuredClone(this.messages);
  }

  /** Reads and counts (`reads`) like the adapter. */
  async findMessage(message: {
    phone: string;
    sk: string;
    consistentRead: boolean;
  }): Promise<StoredMessage | undefined> {
    this.reads += 1;
    const items = message.consistentRead ? this.messages : (this.replica ?? this.messages);
    const item = items.get(`${contactPk(message.phone)}|${message.sk}`);
    if (!item) return undefined;
    const plan = planOf(structuredClone(item));
    return {
      ...(plan ? { plan } : {}),
      ...(item.noReplyReason ? { noReplyReason: item.noReplyReason } : {}),
    };
  }

  /** No earlier release wrote here: there is never a legacy PLAN item (a read all the same). */
  async findLegacyPlan(): Promise<Plan | undefined> {
    this.reads += 1;
    return undefined;
  }

  /** The plan stored for a plan id, on whichever MSG item holds it. */
  planOf(planId: string): Plan | undefined {
    const item = [...this.messages.values()].find((m) => m.plan && m.planId === planId);
    return item && planOf(item);
  }
}

/** A vendor that answers from a script (default: success) and records what it delivered. */
class ScriptedVendor implements VendorSender {
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

const TEST_SETTINGS: DeliverySettings = {
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
    replies: new MemoryReplies(),
    vendor: new ScriptedVendor(clock),
    contacts: new MemoryContacts(),
    repliesQueue: new RecordingQueue(clock),
    clock,
    logger: silentLogger,
    newOwner: () => `owner-${++owners}`,
    random: () => 0.5,
    settings: { ...TEST_SETTINGS, ...overrides },
  } satisfies DeliveryDeps;
  return deps;
}

/** A message on the simulated replies queue. */
export interface InFlight {
  reply: ScheduledReply;
  visibleAt: number;
  receiveCount: number;
}

/**
 * Runs the sender (core/deliverReply.ts) over a simulated replies queue on the deps' simulated
 * clock until the queue is empty, as Lambda does: every message is handled as soon as it is
 * received, concurrently with the others (a batch's records run in parallel, invocations scale
 * out), so a reply waiting in-process for its predecessor does not hold that predecessor back.
 * Each message is received `receiveLateness` (cycling) after it became visible; its hops and
 * order waits go back on the queue, a failed attempt comes back after its backoff. The clock's
 * sleeps become timers of this discrete-event loop while it runs; time only moves from one event
 * to the next, never with the wall clock. Returns how many hops the sender took.
 */
export async function drainSimulatedQueue(
  queue: InFlight[],
  deps: ReturnType<typeof memoryDeliveryDeps>,
  receiveLateness: number[],
): Promise<{ hops: number }> {
  const { clock } = deps;
  const timers: { at: number; wake: () => void }[] = [];
  const pending: (InFlight & { receiveAt: number })[] = [];
  let step = 0;
  let hops = 0;
  let running = 0;
  let copied = deps.repliesQueue.sent.length;
  const receive = (message: InFlight) => {
    const lateness = receiveLateness[step++ % receiveLateness.length] ?? 0;
    pending.push({ ...message, receiveAt: message.visibleAt + lateness });
  };
  const handle = async (message: InFlight) => {
    running += 1;
    message.receiveCount += 1;
    const result = await deliverReply(message.reply, { receiveCount: message.receiveCount }, deps);
    if (result.kind === "hopped") hops += 1;
    if (!isAcknowledged(result) && "delaySeconds" in result) {
      receive({ ...message, visibleAt: clock.now() + result.delaySeconds * 1000 });
    }
    running -= 1;
  };
  // Every fake resolves in microtasks: once a macrotask turn has passed, each running delivery is
  // finished or asleep on a timer.
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  const realSleep = clock.sleep;
  clock.sleep = (ms) =>
    new Promise<void>((wake) => timers.push({ at: clock.current + Math.max(0, ms), wake }));
  const failures: unknown[] = [];
  try {
    for (const message of queue.splice(0)) receive(message);
    for (let guard = 0; ; guard++) {
      if (guard > 400_000) throw new Error("simulation did not settle");
      await settle();
      for (const copy of deps.repliesQueue.sent.slice(copied)) {
        receive({
          reply: copy.body,
          visibleAt: copy.at + copy.delaySeconds * 1000,
          receiveCount: 0,
        });
      }
      copied = deps.repliesQueue.sent.length;
      if (failures.length > 0) throw failures[0];
      timers.sort((a, b) => a.at - b.at);
      pending.sort((a, b) => a.receiveAt - b.receiveAt);
      const timer = timers[0];
      const message = pending[0];
      if (timer && (!message || timer.at <= message.receiveAt)) {
        timers.shift();
        clock.current = Math.max(clock.current, timer.at);
        timer.wake();
      } else if (message) {
        pending.shift();
        clock.current = Math.max(clock.current, message.receiveAt);
        const { receiveAt: _, ...inFlight } = message;
        handle(inFlight).catch((error: unknown) => failures.push(error));
      } else if (running === 0) {
        return { hops };
      } else {
        throw new Error("a delivery is stuck on something other than the simulated clock");
      }
    }
  } finally {
    clock.sleep = realSleep;
  }
}
