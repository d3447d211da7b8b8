// A small client for the Docker Engine API over its unix socket. The project talks to the engine through its
// API rather than by parsing CLI output: the answers are typed JSON and do not change with the client version.
import * as http from "node:http";
import type { Readable } from "node:stream";

export function socketPath(): string {
  const host = process.env.DOCKER_HOST;
  if (host === undefined || host === "") return "/var/run/docker.sock";
  if (!host.startsWith("unix://")) {
    throw new Error(`DOCKER_HOST=${host} is not supported: cp3 talks to a local engine through a unix:// socket`);
  }
  return host.slice("unix://".length);
}

export class EngineError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    message: string,
  ) {
    super(`engine API ${path} answered ${status}: ${message}`);
    this.name = "EngineError";
  }
}

interface RequestOptions {
  method?: string;
  body?: unknown;
  /** A stream to send as the raw request body (for example a tar archive). */
  stream?: Readable;
  timeoutMs?: number;
}

export async function request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise<T>((resolve, reject) => {
    const req = http.request(
      {
        socketPath: socketPath(),
        path,
        method: options.method ?? "GET",
        headers: payload
          ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
          : options.stream
            ? { "content-type": "application/x-tar" }
            : {},
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            let message = text;
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? text;
            } catch {
              // not JSON: keep the text
            }
            reject(new EngineError(status, path, message.trim()));
            return;
          }
          if (text === "" || !(res.headers["content-type"] ?? "").includes("json")) {
            resolve(text as T);
            return;
          }
          try {
            resolve(JSON.parse(text) as T);
          } catch {
            // Streaming endpoints (image import) answer with one JSON object per line.
            resolve(text as T);
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`engine API ${path} timed out`)));
    req.on("error", reject);
    if (options.stream) options.stream.pipe(req);
    else req.end(payload);
  });
}

/** True when an engine answers on the socket. */
export async function ping(): Promise<boolean> {
  try {
    return (await request<string>("/_ping", { timeoutMs: 2_000 })) === "OK";
  } catch {
    return false;
  }
}

export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  Os: string;
}

export const version = () => request<EngineVersion>("/version");

/** Objects carrying every label given; an empty value matches the label with any value. */
function labelFilter(labels: Record<string, string>): string {
  const label = Object.entries(labels).map(([k, v]) => (v === "" ? k : `${k}=${v}`));
  return encodeURIComponent(JSON.stringify({ label }));
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

export const containersWithLabels = (labels: Record<string, string>) =>
  request<ContainerSummary[]>(`/containers/json?all=true&filters=${labelFilter(labels)}`);

export interface NetworkSummary {
  Id: string;
  Name: string;
  Internal: boolean;
  Labels: Record<string, string>;
}

export const networksWithLabels = (labels: Record<string, string>) =>
  request<NetworkSummary[]>(`/networks?filters=${labelFilter(labels)}`);

export const volumesWithLabels = async (labels: Record<string, string>) =>
  (await request<{ Volumes: { Name: string; Labels: Record<string, string> }[] | null }>(
    `/volumes?filters=${labelFilter(labels)}`,
  )).Volumes ?? [];

export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Health?: { Status: string } };
  Config: { User: string; Labels: Record<string, string> };
  HostConfig: {
    Tmpfs?: Record<string, string>;
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    Memory: number;
    NanoCpus: number;
    PidsLimit: number | null;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
  };
  Mounts: { Type: string; Destination: string }[];
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks: Record<string, { IPAddress: string }>;
  };
}

export const inspectContainer = (idOrName: string) =>
  request<ContainerInspect>(`/containers/${encodeURIComponent(idOrName)}/json`);

export async function imageExists(reference: string): Promise<boolean> {
  try {
    await request(`/images/${encodeURIComponent(reference)}/json`);
    return true;
  } catch (err) {
    if (err instanceof EngineError && err.status === 404) return false;
    throw err;
  }
}

/** Imports a root filesystem tar stream as an image (the API form of `docker import`). */
export async function importImage(tar: Readable, repo: string, tag: string): Promise<void> {
  const answer = await request<string>(
    `/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`,
    { method: "POST", stream: tar, timeoutMs: 600_000 },
  );
  if (typeof answer === "string" && answer.includes('"error"')) {
    throw new Error(`image import failed: ${answer.trim()}`);
  }
}

/** Runs a command inside a running container and returns its combined output and exit code. */
export async function exec(container: string, cmd: string[], timeoutMs = 30_000): Promise<{ output: string; exitCode: number }> {
  const created = await request<{ Id: string }>(`/containers/${encodeURIComponent(container)}/exec`, {
    method: "POST",
    body: { Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false },
  });
  const raw = await requestRaw("POST", `/exec/${created.Id}/start`, { Detach: false, Tty: false }, timeoutMs);
  const inspected = await request<{ ExitCode: number | null }>(`/exec/${created.Id}/json`);
  return { output: demultiplex(raw), exitCode: inspected.ExitCode ?? -1 };
}

/** Without a TTY the engine frames output: 8-byte header (stream, 3 zero bytes, big-endian length), payload. */
export function demultiplex(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}

/** A container's stdout and stderr, as text (the last `tail` lines). */
export async function containerLogs(container: string, tail = 5000): Promise<string> {
  return demultiplex(await requestRaw("GET", `/containers/${encodeURIComponent(container)}/logs?stdout=true&stderr=true&tail=${tail}`, undefined, 30_000));
}

/** Sends a request (JSON body, if any) and returns the raw response bytes (for framed streams). */
function requestRaw(method: string, path: string, body: unknown, timeoutMs: number): Promise<Buffer> {
  const payload = body === undefined ? "" : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: socketPath(), path, method, headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => ((res.statusCode ?? 0) >= 400 ? reject(new EngineError(res.statusCode ?? 0, path, Buffer.concat(chunks).toString("utf8"))) : resolve(Buffer.concat(chunks))));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`engine API ${path} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

export const removeContainer = (id: string) => request(`/containers/${encodeURIComponent(id)}?force=true&v=true`, { method: "DELETE" });
export const removeNetwork = (id: string) => request(`/networks/${encodeURIComponent(id)}`, { method: "DELETE" });
export const removeVolume = (name: string) => request(`/volumes/${encodeURIComponent(name)}?force=true`, { method: "DELETE" });

/** True when a removal failed only because the object is already gone or already being removed. */
export const alreadyGoing = (err: unknown) => err instanceof EngineError && (err.status === 404 || (err.status === 409 && /already in progress/.test(err.message)));

// Container lifecycle and network attachment, for the chaos engine's faults and their rollbacks.
const containerPath = (id: string) => `/containers/${encodeURIComponent(id)}`;
export const killContainer = (id: string, signal = "KILL") => request(`${containerPath(id)}/kill?signal=${encodeURIComponent(signal)}`, { method: "POST" });
/** Stops with SIGTERM, then SIGKILL after `graceSeconds`; an already stopped container answers 304, not an error. */
export const stopContainer = (id: string, graceSeconds = 10) => request(`${containerPath(id)}/stop?t=${graceSeconds}`, { method: "POST", timeoutMs: (graceSeconds + 30) * 1000 });
/** An already running container answers 304, not an error. */
export const startContainer = (id: string) => request(`${containerPath(id)}/start`, { method: "POST", timeoutMs: 60_000 });
export const restartContainer = (id: string, graceSeconds = 10) => request(`${containerPath(id)}/restart?t=${graceSeconds}`, { method: "POST", timeoutMs: (graceSeconds + 60) * 1000 });
export const pauseContainer = (id: string) => request(`${containerPath(id)}/pause`, { method: "POST" });
export const unpauseContainer = (id: string) => request(`${containerPath(id)}/unpause`, { method: "POST" });
export const disconnectNetwork = (network: string, container: string, force = false) =>
  request(`/networks/${encodeURIComponent(network)}/disconnect`, { method: "POST", body: { Container: container, Force: force } });
export const connectNetwork = (network: string, container: string, aliases: string[]) =>
  request(`/networks/${encodeURIComponent(network)}/connect`, { method: "POST", body: { Container: container, EndpointConfig: { Aliases: aliases } } });

/** Starts a command inside a running container and returns at once; the command runs on in the container's cgroup. */
export async function execDetached(container: string, cmd: string[]): Promise<string> {
  const created = await request<{ Id: string }>(`${containerPath(container)}/exec`, { method: "POST", body: { Cmd: cmd, AttachStdout: false, AttachStderr: false, Tty: false } });
  await request(`/exec/${created.Id}/start`, { method: "POST", body: { Detach: true, Tty: false } });
  return created.Id;
}
