import type { Command } from "../command.js";
import { dlqCommand } from "./dlq.js";
import { redriveCommand } from "./redrive.js";
import { statusCommand } from "./status.js";

/** The commands, in the order help lists them. */
export const COMMANDS: readonly Command[] = [statusCommand, dlqCommand, redriveCommand];

/**
 * Commands of the contract that read or change a contact's conversation. They wait for the
 * conversation data model of issues 10 and 13 (one table, one partition per contact) rather than
 * being built against the one it replaces. Module boundaries, when they come: ops/conversations.ts
 * (a ConversationReader over the table: messages, plans, reply states of one contact; no SDK
 * outside it), commands/conversation.ts, pending.ts, cancel.ts, pause.ts, resume.ts on top; the
 * state they set is the same CONTACT item the pipeline's human-takeover path sets.
 */
export const PLANNED_COMMANDS: Record<string, string> = {
  conversation: "<phone> [--since 7d]   a contact's messages in order, with each reply's state",
  pending: "[<phone>]              replies scheduled and not yet sent, soonest first",
  cancel: "<phone>                cancel a contact's unsent replies",
  pause: "<phone> [--for 24h]    automation off for a contact",
  resume: "<phone>                automation back on for a contact",
};
