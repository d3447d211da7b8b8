// Settings from CONTAINER_-prefixed environment variables. Every missing or malformed variable is reported at
// once and the process stops before it serves anything.

export interface Settings {
  flow: string;
  httpPort: number;
  /** host:port pairs the flow depends on; /readyz reports ready only when every one accepts a connection. */
  dependencies: string[];
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const flow = env.CONTAINER_FLOW ?? "";
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(flow)) problems.push(`CONTAINER_FLOW: got ${JSON.stringify(env.CONTAINER_FLOW)}; expected the flow's name (lower-case)`);
  const port = Number(env.CONTAINER_HTTP__PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`CONTAINER_HTTP__PORT: got ${JSON.stringify(env.CONTAINER_HTTP__PORT)}; expected a port from 1 to 65535`);
  const dependencies = (env.CONTAINER_DEPENDENCIES ?? "").split(",").filter((d) => d !== "");
  for (const d of dependencies) {
    if (!/^[a-z0-9.-]+:\d{1,5}$/.test(d)) problems.push(`CONTAINER_DEPENDENCIES: entry ${JSON.stringify(d)} is not host:port`);
  }
  if (problems.length > 0) throw new Error(`invalid settings:\n  - ${problems.join("\n  - ")}`);
  return { flow, httpPort: port, dependencies };
}
