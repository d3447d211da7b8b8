// Pulumi runs a program's dynamic providers (pulumi.dynamic.Resource, e.g. NodeImage on Kubernetes) through a
// plugin named pulumi-resource-pulumi-nodejs, which the Node.js language host's release ships as a two-line
// script. Our language host is built from Go modules, which hold no such script: this writes ours. It starts the
// Node.js SDK's own provider host from the node_modules nearest the program's folder (where the engine starts
// plugins), with the node on PATH (the toolchain's first).
import * as fs from "node:fs";
import * as path from "node:path";

export const DYNAMIC_PROVIDER_HOST = "pulumi-resource-pulumi-nodejs";

const SCRIPT = `#!/bin/sh
# Written by cp3 setup (toolchain/dynamic-provider.ts): Pulumi's host for a Node.js program's dynamic providers.
# The engine starts it in the program's folder; the SDK is in the nearest node_modules above it.
dir=$PWD
while [ ! -d "$dir/node_modules/@pulumi/pulumi/cmd/dynamic-provider" ] && [ "$dir" != / ]; do dir=$(dirname "$dir"); done
exec node "$dir/node_modules/@pulumi/pulumi/cmd/dynamic-provider" "$@"
`;

/** Writes the script into `dir` unless it is there as written; returns its path. */
export function ensureDynamicProviderHost(dir: string): string {
  const file = path.join(dir, DYNAMIC_PROVIDER_HOST);
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === SCRIPT) return file;
  const temp = `${file}.${process.pid}`;
  fs.writeFileSync(temp, SCRIPT, { mode: 0o755 });
  fs.renameSync(temp, file);
  return file;
}
