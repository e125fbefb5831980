/**
 * The vendor webhook after tolerant parsing: one shape for every payload variant
 * (research/vendor.md §1.3). Produced by parseWebhook (core), consumed by every worker.
 */

/** One entry of `last_messages`. */
export interface ConversationEntry {
  /** "user" (the customer) or "bot" (the business); unknown values are kept as-is. */
  role: string;
  /** Text content; "" for media without caption. */
  content: string;
  /** ISO-8601 time as sent; null when absent or unparseable. */
  timestamp: string | null;
  /** Epoch milliseconds of `timestamp`; null when absent or unparseable. */
  timestampMs: number | null;
  contentType: string | null;
  mediaUrl: string | null;
}

export interface NormalizedWebhook {
  /** Contact's number, digits only (no "+", no spaces); never parsed as a float. */
  phone: string;
  /** Vendor user/contact UUID; null when absent. */
  userId: string | null;
  recipientName: string | null;
  lastMessageOfUser: string | null;
  lastMessageOfBot: string | null;
  messageType: string | null;
  /** Epoch milliseconds (seconds are converted); null when absent or 0. */
  userLastMessageTimeMs: number | null;
  botLastMessageTimeMs: number | null;
  /** Conversation history, sorted oldest first; [] when absent or unparseable. */
  lastMessages: ConversationEntry[];
  conversationParagraph: string | null;
  attachmentUrl: string | null;
  note: string | null;
  noteAutomation: string | null;
  labels: string[];
  /** true contact→business, false business→contact, null when the payload does not say. */
  incomingMessage: boolean | null;
  sendBy: string | null;
  wasMessageByHuman: boolean | null;
  referral: Record<string, unknown> | null;
  /** Fields this version does not know, kept verbatim (never fatal). */
  extra: Record<string, unknown>;
}
