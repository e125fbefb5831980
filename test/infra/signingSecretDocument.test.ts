import { describe, expect, it } from "vitest";
import { generationUrl, signingSecretDocument } from "../../infra/signingSecretDocument.js";

describe("signingSecretDocument", () => {
  it("holds the one secret of a single generation", () => {
    expect(signingSecretDocument([{ generation: 1, enabled: true, secret: "s1" }])).toEqual({
      current: "s1",
    });
  });

  it("keeps a new, not yet enabled generation live as previous", () => {
    const doc = signingSecretDocument([
      { generation: 1, enabled: true, secret: "s1" },
      { generation: 2, enabled: false, secret: "s2" },
    ]);
    expect(doc).toEqual({ current: "s1", previous: ["s2"] });
  });

  it("makes the newest enabled generation current once both are enabled", () => {
    const doc = signingSecretDocument([
      { generation: 1, enabled: true, secret: "s1" },
      { generation: 2, enabled: true, secret: "s2" },
    ]);
    expect(doc).toEqual({ current: "s2", previous: ["s1"] });
  });

  it("keeps a disabled old generation live until it is removed", () => {
    const doc = signingSecretDocument([
      { generation: 1, enabled: false, secret: "s1" },
      { generation: 2, enabled: true, secret: "s2" },
    ]);
    expect(doc).toEqual({ current: "s2", previous: ["s1"] });
  });

  it("adds an adopted registration's secret and skips unknown ones", () => {
    const doc = signingSecretDocument([{ generation: 1, enabled: true, secret: null }], "kept");
    expect(doc).toEqual({ current: "kept" });
  });

  it("leaves current empty when no secret is known, which the receiver rejects", () => {
    expect(signingSecretDocument([{ generation: 1, enabled: true, secret: null }])).toEqual({
      current: "",
    });
  });
});

describe("generationUrl", () => {
  it("adds the generation as a query parameter", () => {
    expect(generationUrl("https://x.example.com/webhooks/whatsapp", 3)).toBe(
      "https://x.example.com/webhooks/whatsapp?g=3",
    );
  });
});
