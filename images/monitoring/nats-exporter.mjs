// A small Prometheus exporter for NATS: on each scrape it reads /varz and /jsz (streams and consumers) of every
// server named in NATS_MONITOR_URLS and answers them in the text exposition format, one series per server.
// Plain Node.js, no dependencies. A server that does not answer gets nats_server_up 0 and nothing else.
import * as http from "node:http";

const servers = (process.env.NATS_MONITOR_URLS ?? "").split(",").filter((u) => u !== "");
const port = Number(process.env.EXPORTER_PORT ?? "7777");
if (servers.length === 0) throw new Error("NATS_MONITOR_URLS is empty: give the servers' monitor URLs, comma-separated");

const escape = (v) => String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

class Exposition {
  families = new Map();
  add(name, type, help, labels, value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return;
    let family = this.families.get(name);
    if (!family) this.families.set(name, (family = { type, help, samples: [] }));
    const text = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`).join(",");
    family.samples.push(`${name}{${text}} ${value}`);
  }
  render() {
    return [...this.families].map(([name, f]) => `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n${f.samples.join("\n")}\n`).join("");
  }
}

async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

async function scrapeServer(out, base) {
  const server = new URL(base).hostname;
  let varz;
  let jsz;
  try {
    [varz, jsz] = await Promise.all([getJson(`${base}/varz`), getJson(`${base}/jsz?accounts=true&streams=true&consumers=true`)]);
  } catch {
    out.add("nats_server_up", "gauge", "1 when the server's monitor answered", { server }, 0);
    return;
  }
  const s = { server };
  out.add("nats_server_up", "gauge", "1 when the server's monitor answered", s, 1);
  out.add("nats_server_connections", "gauge", "Client connections", s, varz.connections);
  out.add("nats_server_in_msgs_total", "counter", "Messages received from clients", s, varz.in_msgs);
  out.add("nats_server_out_msgs_total", "counter", "Messages sent to clients", s, varz.out_msgs);
  out.add("nats_server_in_bytes_total", "counter", "Bytes received from clients", s, varz.in_bytes);
  out.add("nats_server_out_bytes_total", "counter", "Bytes sent to clients", s, varz.out_bytes);
  out.add("nats_server_slow_consumers_total", "counter", "Slow consumers", s, varz.slow_consumers);
  out.add("nats_server_mem_bytes", "gauge", "Resident memory", s, varz.mem);
  out.add("nats_server_cpu_percent", "gauge", "CPU use in percent of one core", s, varz.cpu);
  const started = Date.parse(varz.start ?? "");
  if (Number.isFinite(started)) out.add("nats_server_start_time_seconds", "gauge", "When the server process started, in seconds since the epoch", s, started / 1000);
  out.add("nats_server_tls_required", "gauge", "1 when clients must use TLS", s, varz.tls_required ? 1 : 0);
  out.add("nats_jetstream_enabled", "gauge", "1 when JetStream is enabled", s, jsz.config ? 1 : 0);
  out.add("nats_jetstream_memory_bytes", "gauge", "JetStream memory store in use", s, jsz.memory);
  out.add("nats_jetstream_storage_bytes", "gauge", "JetStream file store in use", s, jsz.storage);
  for (const account of jsz.account_details ?? []) {
    for (const stream of account.stream_detail ?? []) {
      const st = { server, stream: stream.name };
      out.add("nats_stream_messages", "gauge", "Messages in the stream", st, stream.state?.messages);
      out.add("nats_stream_bytes", "gauge", "Bytes in the stream", st, stream.state?.bytes);
      out.add("nats_stream_last_seq", "counter", "The stream's last sequence number", st, stream.state?.last_seq);
      for (const consumer of stream.consumer_detail ?? []) {
        const c = { ...st, consumer: consumer.name };
        out.add("nats_consumer_num_pending", "gauge", "Messages not yet delivered to the consumer", c, consumer.num_pending);
        out.add("nats_consumer_num_ack_pending", "gauge", "Messages delivered and not yet acknowledged", c, consumer.num_ack_pending);
        out.add("nats_consumer_num_redelivered", "gauge", "Messages delivered more than once", c, consumer.num_redelivered);
        out.add("nats_consumer_delivered_stream_seq", "counter", "The last stream sequence delivered", c, consumer.delivered?.stream_seq);
        out.add("nats_consumer_ack_floor_stream_seq", "counter", "The stream sequence every message up to is acknowledged", c, consumer.ack_floor?.stream_seq);
      }
    }
  }
}

http
  .createServer((req, res) => {
    if (req.url === "/healthz") {
      res.end("ok\n");
      return;
    }
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    const out = new Exposition();
    Promise.all(servers.map((base) => scrapeServer(out, base))).then(
      () => res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(out.render()),
      (err) => res.writeHead(500).end(String(err)),
    );
  })
  .listen(port, "0.0.0.0");
