/**
 * Preload (`node --require`) that makes `require("typescript")` fail, as in a host program that has
 * no `typescript` of its own. @pulumi/pulumi's typescript-shim then falls back to the TypeScript
 * 3.8.3 it vendors (node_modules/@pulumi/pulumi/typescript-shim.js), and the closure serializer
 * parses every captured function with that.
 */
const Module = require("node:module");

const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveWithoutTypescript(request, ...rest) {
  if (request === "typescript") {
    const error = new Error("Cannot find module 'typescript' (hidden: the host has none)");
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
