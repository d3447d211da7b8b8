// The project's one client for the Docker Engine API, over its unix socket. The project talks to the engine
// through its API rather than by parsing CLI output: the answers are typed JSON and do not change with the client
// version. Every call of the engine API in cp3 (lifecycle, chaos, bench, toolchain, tests) goes through here.
//
// Why our own and not dockerode (Apache-2.0): the licences would pass (dockerode, docker-modem, @grpc/grpc-js and
// @grpc/proto-loader are Apache-2.0, protobufjs and bcrypt-pbkdf BSD-3-Clause, ssh2, cpu-features, nan, asn1 and
// tar-fs MIT, split-ca ISC), but dockerode 5 brings dozens of packages (gRPC, protobufjs, ssh2 and theirs) for
// SSH and TLS transports and BuildKit sessions cp3 does not use, and ssh2 and cpu-features run node-gyp when they
// are installed, which needs Node.js headers from outside the package registries, the one place this project's
// machines reach (optional builds: npm carries on, but every npm ci tries and fails them). cp3 needs a unix
// socket, some twenty endpoints and the exec stream's framing: this file, typed to the fields cp3 reads.
import * as http from "node:http";
import { Readable } from "node:stream";

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

/** The one place a request goes to the engine: the answer's content type and raw bytes, or an EngineError. */
function send(path: string, options: RequestOptions): Promise<{ contentType: string; body: Buffer }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
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
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const text = body.toString("utf8");
            let message = text;
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? text;
            } catch {
              // not JSON: keep the text
            }
            reject(new EngineError(status, path, message.trim()));
            return;
          }
          resolve({ contentType: res.headers["content-type"] ?? "", body });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`engine API ${path} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    if (options.stream) options.stream.pipe(req);
    else req.end(payload);
  });
}

/** A GET whose answer is streamed, not buffered (a container's filesystem as a tar archive); errors as send's. */
function getStream(path: string, timeoutMs = 600_000): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socketPath(), path, method: "GET", timeout: timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 400) return resolve(res);
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => reject(new EngineError(status, path, Buffer.concat(chunks).toString("utf8").trim())));
    });
    req.on("timeout", () => req.destroy(new Error(`engine API ${path} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** A request whose answer is JSON (parsed) or text (as it is). */
export async function request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const answer = await send(path, options);
  const text = answer.body.toString("utf8");
  if (text === "" || !answer.contentType.includes("json")) return text as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    // Streaming endpoints (image import) answer with one JSON object per line.
    return text as T;
  }
}

/** A request whose answer is kept as raw bytes (the framed streams of exec and logs). */
async function requestRaw(path: string, options: RequestOptions): Promise<Buffer> {
  return (await send(path, options)).body;
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

const containerPath = (idOrName: string) => `/containers/${encodeURIComponent(idOrName)}`;

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

/** What cp3 reads of a container's inspect (GET /containers/{id}/json): the lifecycle, chaos, bench and tests. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  RestartCount: number;
  State: { Status: string; Running: boolean; Paused: boolean; Restarting: boolean; Pid: number; ExitCode: number; Health?: { Status: string } };
  Config: {
    User: string;
    Hostname: string;
    Image: string;
    Env: string[] | null;
    Entrypoint: string[] | null;
    Cmd: string[] | null;
    Labels: Record<string, string>;
    ExposedPorts?: Record<string, unknown> | null;
    /** ["CMD-SHELL", command] or ["CMD", ...argv]; ["NONE"] or absent for none. */
    Healthcheck?: { Test?: string[] | null } | null;
  };
  HostConfig: {
    Tmpfs?: Record<string, string> | null;
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    Memory: number;
    NanoCpus: number;
    PidsLimit: number | null;
    ShmSize: number;
    Ulimits: { Name: string; Soft: number; Hard: number }[] | null;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    PortBindings: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
  };
  /** Name: a volume's (for a named one, the name it was created with). */
  Mounts: { Type: string; Name?: string; Destination: string; RW: boolean }[];
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks: Record<string, { IPAddress: string; Aliases: string[] | null; NetworkID: string }>;
  };
}

export const inspectContainer = (idOrName: string) => request<ContainerInspect>(`${containerPath(idOrName)}/json`);

/** What cp3 reads of an image's inspect (GET /images/{name}/json): the image checks. */
export interface ImageInspect {
  Id: string;
  Architecture: string;
  Config: {
    User: string;
    Env: string[] | null;
    Labels: Record<string, string> | null;
    Healthcheck?: { Test?: string[] | null } | null;
  };
  RootFS: { Layers?: string[] | null };
}

export const inspectImage = (reference: string) => request<ImageInspect>(`/images/${encodeURIComponent(reference)}/json`);

/**
 * A container created from the image and never started (no network, a command that does not exist), so its
 * filesystem can be exported; remove it with removeContainer.
 */
export async function createStoppedContainer(image: string, labels: Record<string, string>): Promise<string> {
  const created = await request<{ Id: string }>("/containers/create", {
    method: "POST",
    body: { Image: image, Entrypoint: ["/nonexistent"], Cmd: [], NetworkDisabled: true, Labels: labels, HostConfig: { NetworkMode: "none" } },
  });
  return created.Id;
}

/** A path in a container (a file or a folder, with its contents) as a tar archive (GET /containers/{id}/archive). */
export const getArchive = (id: string, path: string) => requestRaw(`${containerPath(id)}/archive?path=${encodeURIComponent(path)}`, {});

/** Unpacks a tar archive into a folder of a container, running or not (PUT /containers/{id}/archive). */
export const putArchive = (id: string, folder: string, tar: Buffer) =>
  request(`${containerPath(id)}/archive?path=${encodeURIComponent(folder)}`, { method: "PUT", stream: Readable.from([tar]) });

/** The container's whole filesystem as a tar stream (GET /containers/{id}/export). */
export const exportContainer = (id: string) => getStream(`${containerPath(id)}/export`);

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

/** Gives an image a further name (the API form of `docker tag`); an existing name moves to this image. */
export async function tagImage(reference: string, repo: string, tag: string): Promise<void> {
  await request(`/images/${encodeURIComponent(reference)}/tag?repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`, { method: "POST" });
}

/** Runs a command inside a running container and returns its combined output and exit code. */
export async function exec(container: string, cmd: string[], timeoutMs = 30_000, env: string[] = []): Promise<{ output: string; exitCode: number }> {
  const created = await request<{ Id: string }>(`${containerPath(container)}/exec`, {
    method: "POST",
    // Variables given here are the exec's alone: neither the container's inspect nor the exec's shows them.
    body: { Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false, ...(env.length > 0 ? { Env: env } : {}) },
  });
  const raw = await requestRaw(`/exec/${created.Id}/start`, { method: "POST", body: { Detach: false, Tty: false }, timeoutMs });
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
  return demultiplex(await requestRaw(`${containerPath(container)}/logs?stdout=true&stderr=true&tail=${tail}`, { timeoutMs: 30_000 }));
}

export const removeContainer = (id: string) => request(`${containerPath(id)}?force=true&v=true`, { method: "DELETE" });
export const removeNetwork = (id: string) => request(`/networks/${encodeURIComponent(id)}`, { method: "DELETE" });
export const removeVolume = (name: string) => request(`/volumes/${encodeURIComponent(name)}?force=true`, { method: "DELETE" });

/** True when a removal failed only because the object is already gone or already being removed. */
export const alreadyGoing = (err: unknown) => err instanceof EngineError && (err.status === 404 || (err.status === 409 && /already in progress/.test(err.message)));

// Container lifecycle and network attachment, for the chaos engine's faults and their rollbacks.
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

// Images and the build cache, for `cp3 bench up`'s full-build round.
export interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
}

export const listImages = () => request<ImageSummary[]>("/images/json");
/** Removes an image by tag or id (the tag only, when other tags keep the image). */
export const removeImage = (reference: string) => request(`/images/${encodeURIComponent(reference)}?force=true`, { method: "DELETE" });
/** An image's layers, newest first, each with the instruction that made it. */
export const imageHistory = (reference: string) => request<{ Id: string; CreatedBy: string; Size: number }[]>(`/images/${encodeURIComponent(reference)}/history`);
/** An image with every layer, as `docker save` writes it (a tar of layer tars and their manifest). */
export const saveImage = (reference: string) => requestRaw(`/images/get?names=${encodeURIComponent(reference)}`, { timeoutMs: 300_000 });
/** Drops the whole build cache. */
export const pruneBuildCache = () => request("/build/prune?all=true", { method: "POST", timeoutMs: 120_000 });

export interface EngineEvent {
  Type: string;
  /** "start", "die", "health_status: healthy", … */
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  timeNano: number;
}

/** The engine's events between two times (Unix milliseconds, until at most now), oldest first. */
export async function events(sinceMs: number, untilMs: number, filters: Record<string, string[]>): Promise<EngineEvent[]> {
  // The engine reads "<seconds>.<nanoseconds>"; an `until` in the future would hold the answer open until then.
  const stamp = (ms: number) => `${Math.floor(ms / 1000)}.${String(Math.floor(ms % 1000) * 1_000_000).padStart(9, "0")}`;
  const text = await request<string | EngineEvent>(`/events?since=${stamp(sinceMs)}&until=${stamp(untilMs)}&filters=${encodeURIComponent(JSON.stringify(filters))}`, { timeoutMs: 60_000 });
  // One JSON object per line (a single event may come back already parsed).
  if (typeof text !== "string") return [text];
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as EngineEvent);
}
