import type * as pulumi from "@pulumi/pulumi";

/**
 * Options for stateful resources (tables, secrets). With `protect` (prod), Pulumi refuses to
 * delete them and, should they leave the program anyway, keeps them in AWS (retainOnDelete).
 * Apply to each stateful resource itself: the Node SDK passes `protect` from a parent component to
 * its children, but not `retainOnDelete`.
 */
export function statefulResourceOptions(protect: boolean): pulumi.CustomResourceOptions {
  return protect ? { protect: true, retainOnDelete: true } : {};
}
