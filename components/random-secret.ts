import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

export interface RandomSecretArgs {
  /** Random bytes behind the value. @default 24 */
  readonly bytes?: number;
}

/**
 * A random secret (a password) generated per stack and held only as a Pulumi secret. The engine's built-in
 * Stash keeps the value drawn at creation in the state; later updates draw a new one, which `ignoreChanges`
 * discards, so the value changes only when the stack is created anew.
 */
export class RandomSecret extends pulumi.ComponentResource {
  public readonly value: pulumi.Output<string>;

  constructor(name: string, args: RandomSecretArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("cp3:secrets:RandomSecret", name, {}, opts);
    const bytes = args.bytes ?? 24;
    if (!Number.isInteger(bytes) || bytes < 16 || bytes > 256) throw new pulumi.ResourceError(`RandomSecret ${name}: bytes is ${bytes}; give an integer from 16 to 256`, this);
    const stash = new pulumi.Stash(
      `${name}-stash`,
      { input: pulumi.secret(randomBytes(bytes).toString("base64url")) },
      { parent: this, ignoreChanges: ["input"], additionalSecretOutputs: ["input", "output"] },
    );
    this.value = pulumi.secret(stash.output as pulumi.Output<string>);
    this.registerOutputs({ value: this.value });
  }
}
