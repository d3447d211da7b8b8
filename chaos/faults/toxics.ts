// Layer-4 faults on the proxied NATS and PostgreSQL links, as Toxiproxy toxics named with the fault's tag:
// latency with jitter, timeout (no data, then close), reset_peer (TCP RST) and slow_close. Measured by a
// timed conversation through the proxy from inside Toxiproxy's own network namespace (127.0.0.1:<listen>),
// before and while the toxic is in place.
import { pidOf } from "../engine";
import { BAD_STARTUP, conversation, SSL_REQUEST, type Conversation } from "../tcp-probe";
import * as toxiproxy from "../toxiproxy-api";
import type { FaultKind } from "../types";
import { FaultSkipped, forEach, leftoversOf, num, str, type ActiveFault, type FaultContext } from "./fault";

type ToxicKind = Extract<FaultKind, "latency" | "timeout" | "reset-peer" | "slow-close">;

function toxicFor(kind: ToxicKind, ctx: FaultContext): toxiproxy.Toxic {
  const base = { name: ctx.tag, toxicity: 1 };
  switch (kind) {
    case "latency":
      return { ...base, type: "latency", stream: (str(ctx.spec, "stream") ?? "downstream") as "downstream" | "upstream", attributes: { latency: num(ctx.spec, "latencyMs"), jitter: num(ctx.spec, "jitterMs") } };
    case "timeout":
      return { ...base, type: "timeout", stream: "downstream", attributes: { timeout: num(ctx.spec, "timeoutMs") } };
    case "reset-peer":
      return { ...base, type: "reset_peer", stream: "downstream", attributes: { timeout: num(ctx.spec, "timeoutMs") } };
    case "slow-close":
      return { ...base, type: "slow_close", stream: "downstream", attributes: { delay: num(ctx.spec, "delayMs") } };
  }
}

/** One conversation in words: "first byte 503 ms, closed 1004 ms" or "ECONNRESET at 12 ms". */
export function describeConversation(c: Conversation): string {
  const parts: string[] = [];
  parts.push(c.firstByteMs === undefined ? "no byte" : `first byte ${c.firstByteMs} ms`);
  if (c.error) parts.push(`${c.error} at ${c.errorMs} ms`);
  else if (c.closeMs !== undefined) parts.push(`closed at ${c.closeMs} ms`);
  if (c.timedOutMs !== undefined) parts.push(`still open at ${c.timedOutMs} ms`);
  return parts.join(", ");
}

export const toxic = (kind: ToxicKind) => (ctx: FaultContext): ActiveFault => {
  const spec = toxicFor(kind, ctx);
  let baseline: Conversation | undefined;
  let listen: number | undefined;

  // PostgreSQL waits for the client to speak (SSLRequest); NATS greets first (INFO) and must not be sent
  // anything before, or its close on bytes it cannot parse would pass through any toxic at once.
  const postgres = "link" in ctx.spec.target && ctx.spec.target.link === "postgres";
  const hello = postgres ? SSL_REQUEST : "";
  const bye = postgres ? BAD_STARTUP : Buffer.from("XX\r\n").toString("hex");
  const talk = async (deadlineMs: number) => conversation(await pidOf(ctx.targets.containers.toxiproxy), "127.0.0.1", listen!, deadlineMs, hello, bye);

  return {
    async apply() {
      if (!ctx.targets.chaosProxies.enabled) throw new FaultSkipped("the flows do not go through Toxiproxy in this stack (chaos.proxy is off), so a toxic would change nothing they see");
      const all = await toxiproxy.proxies(ctx.targets.toxiproxyUrl);
      const first = all[ctx.names[0]!];
      if (!first) throw new Error(`Toxiproxy has no proxy ${ctx.names[0]}; it has ${Object.keys(all).join(", ")}`);
      listen = toxiproxy.listenPort(first);
      baseline = await talk(3000).catch(() => undefined);
      await forEach(ctx.names, (p) => toxiproxy.addToxic(ctx.targets.toxiproxyUrl, p, spec).then(() => undefined));
    },
    async measure(budgetMs) {
      // Long enough to see the toxic act (a timeout or delayed close), short enough to fit the fault.
      const attr = spec.attributes;
      const wanted = (attr.latency ?? 0) + (attr.jitter ?? 0) + (attr.timeout ?? 0) + (attr.delay ?? 0) + 2000;
      const deadline = Math.max(1000, Math.min(wanted, budgetMs - 1500));
      const samples = kind === "latency" ? Math.max(1, Math.min(3, Math.floor(budgetMs / deadline))) : 1;
      const seen: Conversation[] = [];
      for (let i = 0; i < samples && !ctx.signal.aborted; i++) seen.push(await talk(deadline));
      const during = seen.map(describeConversation).join("; ");
      const attrs = Object.entries(attr).map(([k, v]) => `${k}=${v}`).join(" ");
      return `${spec.type} ${attrs} on ${ctx.names.join(", ")}: through ${ctx.names[0]} ${during} (baseline ${baseline ? describeConversation(baseline) : "not measured"})`;
    },
    async rollback() {
      await forEach(ctx.names, (p) => toxiproxy.removeToxic(ctx.targets.toxiproxyUrl, p, ctx.tag));
      return undefined;
    },
    leftover: () =>
      leftoversOf(ctx.names, async (p) => {
        const left = (await toxiproxy.toxics(ctx.targets.toxiproxyUrl, p)).filter((t) => t.name === ctx.tag);
        return left.length > 0 ? `toxic ${ctx.tag} still on proxy ${p}` : undefined;
      }),
  };
};
