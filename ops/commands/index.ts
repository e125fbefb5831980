import type { Command } from "../command.js";
import { cancelCommand } from "./cancel.js";
import { conversationCommand } from "./conversation.js";
import { dlqCommand } from "./dlq.js";
import { pauseCommand } from "./pause.js";
import { pendingCommand } from "./pending.js";
import { preflightCommand } from "./preflight.js";
import { redriveCommand } from "./redrive.js";
import { replayCommand } from "./replay.js";
import { resumeCommand } from "./resume.js";
import { statusCommand } from "./status.js";
import { triggerCommand } from "./trigger.js";
import { validateCommand } from "./validate.js";

/** The commands, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  statusCommand,
  conversationCommand,
  pendingCommand,
  cancelCommand,
  pauseCommand,
  resumeCommand,
  dlqCommand,
  redriveCommand,
  validateCommand,
  triggerCommand,
  replayCommand,
  // Before a stack exists: last, as it is used once per stack.
  preflightCommand,
];
