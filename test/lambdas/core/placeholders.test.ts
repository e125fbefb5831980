import { describe, expect, it } from "vitest";
import {
  PLACEHOLDERS,
  parseTemplate,
  renderTemplate,
  TemplateError,
} from "../../../lambdas/core/placeholders.js";
import { aWebhook } from "../../support/replyFixtures.js";
import { thrown } from "../../support/thrown.js";

const render = (text: string, overrides = {}) =>
  renderTemplate(parseTemplate(text), aWebhook(overrides));

const templateError = (text: string) => thrown(TemplateError, () => parseTemplate(text));

describe("placeholders", () => {
  it("fills {{recipient_name}} with the contact's name", () => {
    expect(render("Hello {{recipient_name}}", { recipientName: "Ada Lovelace" })).toBe(
      "Hello Ada Lovelace",
    );
  });

  it("fills {{first_name}} with the first word of the name", () => {
    expect(render("Hi {{first_name}}!", { recipientName: "  María José Pérez " })).toBe(
      "Hi María!",
    );
  });

  it("fills {{phone}} with +digits", () => {
    expect(render("Your number: {{phone}}", { phone: "14155552671" })).toBe(
      "Your number: +14155552671",
    );
  });

  it("fills {{message_type}} with the type of the message answered", () => {
    expect(render("Got your {{message_type}}", { messageType: "image" })).toBe("Got your image");
  });

  it("uses the fallback when the webhook has no value", () => {
    expect(render("Hi {{first_name|there}}!", { recipientName: null })).toBe("Hi there!");
  });

  it("uses the fallback when the value is blank", () => {
    expect(render("Hi {{ recipient_name | friend }}", { recipientName: "   " })).toBe("Hi friend");
  });

  it("uses the fallback when the value is only invisible characters", () => {
    expect(render("Hi {{first_name|there}}!", { recipientName: "\u200b\u2060" })).toBe("Hi there!");
  });

  it("ignores the fallback when there is a value", () => {
    expect(render("Hi {{first_name|there}}", { recipientName: "Ada" })).toBe("Hi Ada");
  });

  it("leaves out a placeholder without value or fallback, and the space before punctuation", () => {
    expect(render("Hi {{first_name}}, welcome!", { recipientName: null })).toBe("Hi, welcome!");
    expect(render("{{first_name}} thanks for writing", { recipientName: "" })).toBe(
      "thanks for writing",
    );
  });

  it("never reads a value as a template", () => {
    expect(render("Hi {{first_name}}", { recipientName: "{{phone}}" })).toBe("Hi {{phone}}");
  });

  it("leaves a text without placeholders as it is", () => {
    expect(render("  Price list: $9 { not a placeholder }  ")).toBe(
      "  Price list: $9 { not a placeholder }  ",
    );
  });

  it("names an unknown placeholder, where it is, and what is known", () => {
    const error = templateError("Dear {{name}}");
    expect(error.position).toBe(6);
    expect(error.message).toBe(
      `has an unknown placeholder {{name}} at character 6 (known: ${Object.keys(PLACEHOLDERS).join(", ")})`,
    );
  });

  it("refuses an unclosed placeholder", () => {
    expect(templateError("Hi {{first_name").message).toMatch(
      /without a closing "}}" at character 4/,
    );
  });

  it("refuses a fallback that holds a placeholder, at the position of its inner {{", () => {
    const error = templateError("{{first_name|{{phone}}}}");
    expect(error.position).toBe(14);
    expect(error.message).toMatch(/a "\{\{" inside the fallback of \{\{first_name\|…\}\}/);
  });

  it("refuses an empty or malformed placeholder", () => {
    expect(templateError("Hi {{}}").message).toMatch(
      /unreadable placeholder \{\{\}\} at character 4/,
    );
    expect(templateError("Hi {{first name}}").position).toBe(4);
  });

  it("suggests only placeholders it accepts when one is unreadable", () => {
    const hint = templateError("Hi {{ first name }}").message;
    const suggested = [...hint.matchAll(/\{\{([^}]*)\}\}/g)].map((m) => m[0]).slice(1);
    expect(suggested.length).toBeGreaterThan(1);
    for (const placeholder of suggested) expect(() => parseTemplate(placeholder)).not.toThrow();
    for (const name of Object.keys(PLACEHOLDERS)) expect(hint).toContain(`{{${name}}}`);
  });
});
