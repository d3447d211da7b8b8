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
function computedState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const state: Record<string, unknown> = { ...args.inputs };
  if (args.type === "docker:index/container:Container") {
    let next = 40000;
    state.ports = ((args.inputs.ports as { internal: number }[] | undefined) ?? []).map((p) => ({ ...p, external: next++ }));
  }
  return state;
}

export async function installMocks(stack = "ci-unit", config: Record<string, string> = {}): Promise<MockRegistry> {
  const resources: Recorded[] = [];
  pulumi.runtime.setAllConfig(config);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
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
