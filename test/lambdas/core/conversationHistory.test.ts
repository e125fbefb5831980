import { describe, expect, it } from "vitest";
import { parseConversationHistory } from "../../../lambdas/core/conversationHistory.js";

const entry = (content: string, timestamp?: unknown) => ({ type: "user", content, timestamp });

describe("parseConversationHistory", () => {
  it("sorts oldest first whatever order the vendor sent", () => {
    const { entries } = parseConversationHistory(
      [
        entry("c", "2025-01-03T00:00:00Z"),
        entry("a", "2025-01-01T00:00:00Z"),
        entry("b", "2025-01-02T00:00:00Z"),
      ],
      "last_messages",
    );
    expect(entries.map((e) => e.content)).toEqual(["a", "b", "c"]);
  });

  it("keeps the given order for equal timestamps (stable)", () => {
    const same = "2025-01-01T00:00:00Z";
    const { entries } = parseConversationHistory(
      [entry("first", same), entry("second", same), entry("third", same)],
      "last_messages",
    );
    expect(entries.map((e) => e.content)).toEqual(["first", "second", "third"]);
  });

  it("puts entries without a readable timestamp after the dated ones, in their order", () => {
    const { entries } = parseConversationHistory(
      [entry("x"), entry("dated", "2025-01-01T00:00:00Z"), entry("y", "soon")],
      "last_messages",
    );
    expect(entries.map((e) => e.content)).toEqual(["dated", "x", "y"]);
    expect(entries[2]).toMatchObject({ timestamp: "soon", timestampMs: null });
  });

  it("reads numeric timestamps (seconds or ms) and gives them an ISO form", () => {
    const { entries } = parseConversationHistory([entry("a", 1749506891)], "last_messages");
    expect(entries[0]).toMatchObject({
      timestampMs: 1749506891000,
      timestamp: "2025-06-09T22:08:11.000Z",
    });
  });

  it("parses a JSON-encoded array", () => {
    const { entries, plainText } = parseConversationHistory(
      JSON.stringify([entry("a", "2025-01-01T00:00:00Z")]),
      "last_messages",
    );
    expect(entries).toHaveLength(1);
    expect(plainText).toBeNull();
  });

  it("hands back plain text that is not a JSON array", () => {
    expect(parseConversationHistory("User: hi", "last_messages")).toEqual({
      entries: [],
      plainText: "User: hi",
    });
  });

  it("fills missing item fields with defaults", () => {
    const { entries } = parseConversationHistory([{}], "last_messages");
    expect(entries[0]).toEqual({
      role: "unknown",
      content: "",
      timestamp: null,
      timestampMs: null,
      contentType: null,
      mediaUrl: null,
    });
  });
});
