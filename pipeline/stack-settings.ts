// Settings a verb's flags put on a stack before its update (--system, --trust-host-cas, --tls, --observability).
// They go into the stack's config, where the program reads every setting (cp3:system, cp3:build.trustHostCAs,
// cp3:tls.enabled, cp3:observability.enabled), so
// a plain `pulumi up` afterwards sees the same stack; they stay there until changed.
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { SECTIONS } from "../stacks/config";
import { loadSpecFile } from "../testbed/load";
import { UsageError } from "../lib/usage-error";

export type TrustHostCAs = (typeof SECTIONS.build.trustHostCAs.values)[number];

export interface StackSettings {
  /** A system description file, absolute, checked before anything is created. */
  system?: string;
  trustHostCAs?: TrustHostCAs;
  /** TLS inside the testbed, on or off (cp3:tls.enabled); unset keeps the stack's (on for ci from the template). */
  tls?: boolean;
  /** Prometheus and the exporters (cp3:observability.enabled); unset keeps the stack's (on for ci from the template). */
  observability?: boolean;
}

/** Reads --system, --trust-host-cas, --tls and --observability; a mistake names the flag, what it got and what is allowed. */
export function parseStackSettings(values: Record<string, string | boolean | undefined>): StackSettings {
  const settings: StackSettings = {};
  const system = values.system;
  if (typeof system === "string") {
    try {
      loadSpecFile(system);
    } catch (err) {
      throw new UsageError(`--system: ${err instanceof Error ? err.message : String(err)}`);
    }
    settings.system = path.resolve(system);
  }
  const trust = values["trust-host-cas"];
  if (typeof trust === "string") {
    const allowed: readonly string[] = SECTIONS.build.trustHostCAs.values;
    if (!allowed.includes(trust)) throw new UsageError(`--trust-host-cas: got "${trust}"; allowed: ${allowed.join(", ")}`);
    settings.trustHostCAs = trust as TrustHostCAs;
  }
  const tls = values.tls;
  if (typeof tls === "string") {
    if (tls !== "on" && tls !== "off") throw new UsageError(`--tls: got "${tls}"; allowed: on, off`);
    settings.tls = tls === "on";
  }
  const observability = values.observability;
  if (typeof observability === "string") {
    if (observability !== "on" && observability !== "off") throw new UsageError(`--observability: got "${observability}"; allowed: on, off`);
    settings.observability = observability === "on";
  }
  return settings;
}

export async function applyStackSettings(stack: Stack, settings: StackSettings): Promise<void> {
  if (settings.system !== undefined) await stack.setConfig("cp3:system", { value: settings.system });
  if (settings.trustHostCAs !== undefined) await stack.setConfig("cp3:build.trustHostCAs", { value: settings.trustHostCAs }, true);
  if (settings.tls !== undefined) await stack.setConfig("cp3:tls.enabled", { value: String(settings.tls) }, true);
  if (settings.observability !== undefined) await stack.setConfig("cp3:observability.enabled", { value: String(settings.observability) }, true);
}

/** The flags, for the verbs that take them. */
export const stackSettingFlags = {
  system: { type: "string", placeholder: "FILE", description: "the system under test: a description file (YAML or JSON; see examples/) instead of the reference workload" },
  "trust-host-cas": { type: "string", placeholder: "auto|true|false", description: "offer the host's CA bundle to image builds as the BuildKit secret ca-bundle (default auto: when the host trusts a CA the Debian root does not); sets cp3:build.trustHostCAs" },
  tls: { type: "string", placeholder: "on|off", description: "TLS inside the testbed: NATS and PostgreSQL require it, every client verifies the stack's CA (default: the stack's cp3:tls.enabled, on for ci stacks); sets cp3:tls.enabled" },
  observability: { type: "string", placeholder: "on|off", description: "Prometheus, the exporters and Jaeger in the testbed (Docker): RED panels, alerts and trace coverage in the report, every target up in the health gate (default: the stack's cp3:observability.enabled, on for ci stacks); sets cp3:observability.enabled" },
} as const;
