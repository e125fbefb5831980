import * as pulumi from "@pulumi/pulumi";
import {
  createVendorWebhookProvider,
  VENDOR_WEBHOOK_PROVIDER_VERSION,
  type VendorWebhookInputs,
} from "./vendorWebhookProvider.js";

/** Arguments of a VendorWebhook; everything but `url` has the provider's default. */
export type VendorWebhookArgs = {
  [K in keyof Omit<VendorWebhookInputs, "url" | "providerVersion">]?: pulumi.Input<
    VendorWebhookInputs[K]
  >;
} & {
  url: pulumi.Input<string>;
  /**
   * @deprecated Ignored: the provider reads the management API's Authorization prefix from stack
   * config `managementAuthPrefix` (provider configuration, not resource state).
   */
  authPrefix?: pulumi.Input<string>;
};

/** Outputs the engine must store encrypted: the vendor shows the signing secret only once. */
const VENDOR_WEBHOOK_SECRET_OUTPUTS = ["signingSecret"] as const;

/** The dynamic resource's type token: `pulumi-nodejs:dynamic/whatsable:VendorWebhook`. */
export const VENDOR_WEBHOOK_TYPE = { module: "whatsable", type: "VendorWebhook" } as const;

// One provider object for the program: Pulumi serialises it into each resource's state. It is
// never configured in the program process, so it holds no token (configure runs in the provider
// process).
const provider = createVendorWebhookProvider();

/**
 * A webhook registration at the vendor (docs/vendor.md, "Management API"), managed by Pulumi: create, refresh
 * (drift, gone out of band), in-place update, replace and delete. The one-time signing secret is a
 * secret output. The vendor token never passes through here: the provider reads it from stack
 * config (`vendorToken`) or the environment.
 */
export class VendorWebhook extends pulumi.dynamic.Resource {
  declare readonly url: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly webhookId: pulumi.Output<number>;
  /** Epoch milliseconds, as the vendor reports it. */
  declare readonly createdAt: pulumi.Output<number>;
  /** The one-time signing secret; null when adopted (unknown) or when signing is off. */
  declare readonly signingSecret: pulumi.Output<string | null>;

  constructor(name: string, args: VendorWebhookArgs, opts?: pulumi.CustomResourceOptions) {
    const { authPrefix: _providerConfig, ...registration } = args;
    super(
      provider,
      name,
      {
        ...registration,
        providerVersion: VENDOR_WEBHOOK_PROVIDER_VERSION,
        webhookId: undefined,
        createdAt: undefined,
        signingSecret: undefined,
      },
      vendorWebhookOptions(opts),
      VENDOR_WEBHOOK_TYPE.module,
      VENDOR_WEBHOOK_TYPE.type,
    );
  }
}

/** The caller's options with the signing secret always added to additionalSecretOutputs. */
export function vendorWebhookOptions(
  opts: pulumi.CustomResourceOptions = {},
): pulumi.CustomResourceOptions {
  const secretOutputs = new Set([
    ...(opts.additionalSecretOutputs ?? []),
    ...VENDOR_WEBHOOK_SECRET_OUTPUTS,
  ]);
  return { ...opts, additionalSecretOutputs: [...secretOutputs] };
}
