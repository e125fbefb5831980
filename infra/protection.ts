import type * as pulumi from "@pulumi/pulumi";

/**
 * Options for stateful resources (tables, secrets). With `protect` (prod), Pulumi refuses to
 * delete them and, should they leave the program anyway, keeps them in AWS (retainOnDelete).
 * Both options are inherited by a component's children.
 */
export function statefulResourceOptions(protect: boolean): pulumi.ComponentResourceOptions {
  return protect ? { protect: true, retainOnDelete: true } : {};
}
