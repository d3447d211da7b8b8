// cp3 rotate-secret: a new PostgreSQL password for a running Docker stack (lifecycle/rotate-secret.ts); this
// parses, opens the stack and prints.
import type { Parsed, VerbSpec } from "../args";
import { interruptible } from "../interruptible";
import { describeExitCodes, EXIT } from "../../lib/exit-codes";
import { step } from "../../lib/progress";
import { UsageError } from "../../lib/usage-error";
import { ROTATABLE_SECRETS, rotateSecret, type RotatableSecret } from "../../lifecycle/rotate-secret";
import { checkStackName, openStack } from "../../lifecycle/stacks";
import { ensureToolchain } from "./setup";

export const rotateSecretSpec: VerbSpec = {
  name: "rotate-secret",
  summary: `Rotate a secret of a Docker stack that is up, while it serves: \`rotate-secret --stack S postgres\` gives PostgreSQL a new password (as a SCRAM verifier), writes it into every secret file in place, checks the new one gets in and the old one does not, restarts the containers that read it only at their start (the monitoring's PostgreSQL exporter; services[].secretsReadAtStart), then records it in the stack (cp3:postgres.password, a secret) with an update that replaces only the secret holders. Exit ${describeExitCodes()}.`,
  flags: {
    stack: { type: "string", placeholder: "S", description: "the stack, up already: ci, ci-<suffix> or dev" },
  },
  required: ["stack"],
  passThrough: true,
};

export async function runRotateSecret(parsed: Parsed): Promise<number> {
  const name = String(parsed.values.stack);
  checkStackName(name);
  const [secret, ...extra] = parsed.rest;
  if (!ROTATABLE_SECRETS.includes(secret as RotatableSecret) || extra.length > 0) {
    throw new UsageError(`rotate-secret: got ${JSON.stringify(parsed.rest.join(" "))}; allowed: one secret to rotate, ${ROTATABLE_SECRETS.join(", ")}`);
  }
  const toolchain = await ensureToolchain();
  return interruptible(async (signal) => {
    const stack = await step(`open stack ${name}`, () => openStack(name, toolchain, { create: false }));
    const r = await rotateSecret(stack, secret as RotatableSecret, signal);
    process.stdout.write(
      `rotated ${secret} of ${name}: ${r.files} file(s) in ${r.holders.join(", ")}; new connections refused for ${r.windowMs} ms between the first file and the server; ${r.restarted.length > 0 ? `restarted (they read it only at their start): ${r.restarted.join(", ")}` : "nothing restarted"}; the update: ${r.changes.join(", ") || "no change"}\n`,
    );
    return EXIT.ok;
  });
}
