import { describe, expect, it } from "vitest";
import { vendorWebhookOptions } from "../../../infra/dynamic/VendorWebhook.js";

describe("vendorWebhookOptions", () => {
  it("marks the signing secret as a secret output when the caller gives no options", () => {
    expect(vendorWebhookOptions().additionalSecretOutputs).toEqual(["signingSecret"]);
  });

  it("keeps the caller's options and secret outputs", () => {
    const options = vendorWebhookOptions({ protect: true, additionalSecretOutputs: ["url"] });
    expect(options).toEqual({ protect: true, additionalSecretOutputs: ["url", "signingSecret"] });
  });

  it("does not list the signing secret twice", () => {
    const options = vendorWebhookOptions({ additionalSecretOutputs: ["signingSecret"] });
    expect(options.additionalSecretOutputs).toEqual(["signingSecret"]);
  });
});
