// Pulumi's own unit-test practice: setMocks with a registry that records every resource the program
// declares, so tests assert exact child types, names and inputs.
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface MockRegistry {
  resources: Recorded[];
  byType(type: string): Recorded[];
  one(type: string, name: string): Recorded;
}

/** Outputs a real engine computes that the components read back. */
let nextHostPort = 40000;
/** Exit codes one-shot jobs report, by resource name (default 0). */
export const jobExitCodes = new Map<string, number>();

function computedState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const state: Record<string, unknown> = { ...args.inputs };
  if (args.type === "docker:index/container:Container") {
    state.ports = ((args.inputs.ports as { internal: number; external?: number }[] | undefined) ?? []).map((p) => ({ ...p, external: p.external ?? nextHostPort++ }));
    if (args.inputs.attach) {
      state.exitCode = jobExitCodes.get(args.name) ?? 0;
      state.containerLogs = state.exitCode === 0 ? "done\n" : "psql: error: connection refused\n";
    }
  }
  if (args.type === "pulumi:index:Stash") state.output = args.inputs.input;
  return state;
}

// How Pulumi marks a secret value on the wire (the mock sees inputs in that form).
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The inputs with secret wrappers removed, so tests read plain values (secrecy is checked on outputs). */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (SECRET_SIG in obj && "value" in obj) return unwrapSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

export async function installMocks(stack = "ci-unit", config: Record<string, string> = {}): Promise<MockRegistry> {
  const resources: Recorded[] = [];
  pulumi.runtime.setAllConfig(config);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: unwrapSecrets(args.inputs) as Record<string, unknown> });
        return { id: `${args.name}-id`, state: computedState(args) };
      },
      call(args) {
        return args.inputs;
      },
    },
    "cp3-testbed",
    stack,
    false,
  );
  // Pulumi 3.259's mock monitor cannot register resource hooks (components/verification.ts binds one); accept
  // them, and keep their names for assertions.
  const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, unknown>;
  monitor.registerResourceHook = (req: { getName(): string }, done: (err: null, res: object) => void) => {
    registeredHooks.push(req.getName());
    done(null, {});
  };
  return registryOf(resources);
}

/** Names of the resource hooks the program registered. */
export const registeredHooks: string[] = [];

/** The registry's queries over what a mocked program registered. */
export function registryOf(resources: Recorded[]): MockRegistry {
  return {
    resources,
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}: ${resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
      return found[0]!;
    },
  };
}

/** Resolves an Output in a mocked program. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Lets pending registrations finish: until the recorded count stays the same over a few turns of the event loop. */
export async function settle(registry: MockRegistry): Promise<void> {
  let stable = 0;
  let count = -1;
  while (stable < 20) {
    await new Promise((r) => setImmediate(r));
    if (registry.resources.length === count) {
      stable++;
    } else {
      count = registry.resources.length;
      stable = 0;
    }
  }
}
