// Real probes from inside a container's network namespace: Node.js (this process's own binary) is started
// under nsenter, so a probe sees exactly what the container's traffic sees (its iptables rules, its qdisc),
// without needing any tool in the container. Every probe is bounded in count and time.
import { spawn } from "node:child_process";
import { inNetns } from "./host";

const node = process.execPath;

async function runScript<T>(pid: number, script: string, args: (string | number)[], timeoutMs: number): Promise<T> {
  const r = await inNetns(pid, node, ["-e", script, ...args.map(String)], timeoutMs);
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`probe in the netns of pid ${pid} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
  }
}

const CONNECT_SERIES = `
const net = require("net");
const [host, port, count, timeout] = process.argv.slice(1);
(async () => {
  const r = { ok: 0, failed: 0, ms: [], errors: {} };
  for (let i = 0; i < +count; i++) {
    await new Promise((resolve) => {
      const t0 = Date.now();
      const s = net.connect({ host, port: +port });
      let over = false;
      const done = (err) => {
        if (over) return;
        over = true;
        clearTimeout(timer);
        s.destroy();
        if (err) { r.failed++; r.errors[err] = (r.errors[err] || 0) + 1; } else { r.ok++; r.ms.push(Date.now() - t0); }
        resolve();
      };
      const timer = setTimeout(() => done("timeout"), +timeout);
      s.once("connect", () => done());
      s.once("error", (e) => done(e.code || "error"));
    });
  }
  console.log(JSON.stringify(r));
})();`;

export interface ConnectSeries {
  ok: number;
  failed: number;
  /** Connect times of the successful attempts. */
  ms: number[];
  /** Failure reasons (ECONNREFUSED, timeout...) and how often. */
  errors: Record<string, number>;
}

/** `count` TCP connects, one after another, each given up after `timeoutMs`. */
export function connectSeries(pid: number, host: string, port: number, count: number, timeoutMs: number): Promise<ConnectSeries> {
  return runScript<ConnectSeries>(pid, CONNECT_SERIES, [host, port, count, timeoutMs], count * timeoutMs + 10_000);
}

const CONVERSATION = `
const net = require("net");
const [host, port, deadline, hello, bye] = process.argv.slice(1);
const t0 = Date.now();
const r = { bytes: 0 };
let over = false;
const s = net.connect({ host, port: +port });
const end = () => { if (over) return; over = true; clearTimeout(timer); s.destroy(); console.log(JSON.stringify(r)); };
const timer = setTimeout(() => { r.timedOutMs = Date.now() - t0; end(); }, +deadline);
s.on("connect", () => { r.connectMs = Date.now() - t0; if (hello) s.write(Buffer.from(hello, "hex")); });
s.on("data", (b) => {
  if (r.firstByteMs === undefined) { r.firstByteMs = Date.now() - t0; if (bye) s.write(Buffer.from(bye, "hex")); }
  r.bytes += b.length;
});
s.on("error", (e) => { r.error = e.code || String(e); r.errorMs = Date.now() - t0; end(); });
s.on("end", () => { r.closeMs = Date.now() - t0; });
s.on("close", () => { if (r.closeMs === undefined) r.closeMs = Date.now() - t0; end(); });`;

export interface Conversation {
  connectMs?: number;
  /** When the first byte of the answer arrived. */
  firstByteMs?: number;
  /** When the other side closed. */
  closeMs?: number;
  error?: string;
  errorMs?: number;
  /** Set when nothing ended the conversation before the deadline. */
  timedOutMs?: number;
  bytes: number;
}

/**
 * Connects, sends `hello` (hex, may be empty), times the first byte of the answer, then sends `bye` and times
 * the close. PostgreSQL: hello = SSLRequest (answered 'N'), bye = a startup message for protocol 0.0 (refused,
 * closed). NATS: no hello (it greets with INFO), bye = bytes it cannot parse (-ERR, closed).
 */
export function conversation(pid: number, host: string, port: number, deadlineMs: number, hello = SSL_REQUEST, bye = BAD_STARTUP): Promise<Conversation> {
  return runScript<Conversation>(pid, CONVERSATION, [host, port, deadlineMs, hello, bye], deadlineMs + 10_000);
}

/** PostgreSQL SSLRequest: length 8, code 80877103. */
export const SSL_REQUEST = "0000000804d2162f";
/** A startup message asking for protocol 0.0, which PostgreSQL refuses and closes on. */
export const BAD_STARTUP = "0000000800000000";

const SINK = `
const net = require("net");
const seconds = +process.argv[1];
let bytes = 0, t0 = 0, over = false;
const finish = () => { if (over) return; over = true; console.log(JSON.stringify({ bytes, ms: t0 ? Date.now() - t0 : 0 })); process.exit(0); };
const server = net.createServer((s) => {
  if (!t0) { t0 = Date.now(); setTimeout(finish, seconds * 1000); }
  s.on("data", (b) => { bytes += b.length; });
  s.on("error", () => {});
});
server.listen(0, "0.0.0.0", () => console.log(JSON.stringify({ port: server.address().port })));
setTimeout(finish, (seconds + 15) * 1000);`;

const SOURCE = `
const net = require("net");
const [host, port, seconds] = process.argv.slice(1);
const chunk = Buffer.alloc(65536);
let sent = 0;
const s = net.connect({ host, port: +port });
const stop = () => { s.destroy(); console.log(JSON.stringify({ sent })); process.exit(0); };
setTimeout(stop, (+seconds + 2) * 1000);
const pump = () => { while (s.write(chunk)) { sent += chunk.length; } sent += chunk.length; };
s.on("connect", pump);
s.on("drain", pump);
s.on("error", stop);
s.on("close", stop);`;

/**
 * Bytes per second a container can send to a peer: a sink listens in the peer's netns, the source in the
 * sender's writes as fast as TCP lets it for `seconds`; the sink counts what arrived.
 */
export async function throughput(senderPid: number, peerPid: number, peerIp: string, seconds: number): Promise<number> {
  const sink = spawn("nsenter", ["-t", String(peerPid), "-n", "--", node, "-e", SINK, String(seconds)], { stdio: ["ignore", "pipe", "pipe"], timeout: (seconds + 20) * 1000, killSignal: "SIGKILL" });
  let text = "";
  const port = await new Promise<number>((resolve, reject) => {
    sink.stdout.on("data", (b: Buffer) => {
      text += b.toString("utf8");
      const first = text.split("\n")[0];
      if (text.includes("\n") && first) resolve((JSON.parse(first) as { port: number }).port);
    });
    sink.on("error", reject);
    sink.on("close", () => reject(new Error(`throughput sink ended before listening: ${text.trim()}`)));
  });
  const closed = new Promise<void>((resolve) => sink.on("close", () => resolve()));
  await runScript<{ sent: number }>(senderPid, SOURCE, [peerIp, port, seconds], (seconds + 15) * 1000);
  await closed;
  const result = JSON.parse(text.trim().split("\n").pop() ?? "{}") as { bytes?: number; ms?: number };
  if (!result.ms || result.bytes === undefined) throw new Error(`throughput sink reported nothing: ${text.trim()}`);
  return (result.bytes * 1000) / result.ms;
}

export const kib = (bytesPerSecond: number) => `${(bytesPerSecond / 1024).toFixed(bytesPerSecond < 10240 ? 1 : 0)} KiB/s`;
