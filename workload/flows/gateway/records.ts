// POST /v1/records and GET /v1/records/:id. An accepted record is committed (pending) before the answer; the
// pending record is the promise to publish it (see accept.ts and relay.ts), so a NATS outage never loses one.
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Logger } from "pino";
import { isUnavailable, type Db } from "../../core/db.ts";
import type { Metrics } from "../../core/metrics.ts";
import { endSpan, inSpan, SpanKind, traceparentOf, type Tracing } from "../../core/tracing.ts";
import type { Accepted, Submission } from "./accept.ts";

export const MAX_BODY_BYTES = 64 * 1024;

const postSchema = {
  headers: {
    type: "object",
    required: ["idempotency-key"],
    properties: { "idempotency-key": { type: "string", minLength: 1, maxLength: 128, pattern: "^[\\x21-\\x7E]+$" } },
  },
  body: {
    type: "object",
    required: ["payload"],
    additionalProperties: false,
    properties: { payload: { type: "object" } },
  },
} as const;

// With the u flag a surrogate pair is one code point, so \p{Cs} matches only an unpaired surrogate.
const UNSTORABLE = /[\0\p{Cs}]/u;

/**
 * JSON may carry what PostgreSQL's jsonb cannot store: a NUL character, or a UTF-16 surrogate without its pair.
 * Names the first such string (a value or a key) by its path, so the client gets a 400 instead of the 500 the
 * failed insert would give. A walk with its own stack: a 64 KiB body can nest deeper than the call stack goes.
 */
export function unstorable(payload: unknown): string | undefined {
  const pending: [unknown, string][] = [[payload, "payload"]];
  while (pending.length > 0) {
    const [v, path] = pending.pop()!;
    if (typeof v === "string") {
      if (UNSTORABLE.test(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) pending.push([v[i], `${path}[${i}]`]);
    } else if (typeof v === "object" && v !== null) {
      const entries = Object.entries(v);
      for (const [k] of entries) if (UNSTORABLE.test(k)) return `${path} (a key)`;
      for (let i = entries.length - 1; i >= 0; i--) pending.push([entries[i]![1], `${path}.${entries[i]![0]}`]);
    }
  }
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface RecordsDeps {
  db: Db;
  /** Stores a record (in a batch with others), or finds the one stored under its key. */
  accept: (s: Submission) => Promise<Accepted>;
  log: Logger;
  metrics: Metrics;
  tracing: Tracing;
  /** Work waiting in the stream, as last measured, and the bound above which the gateway pushes back. */
  backlog: () => number;
  maxBacklog: number;
}

const unavailable = (reply: FastifyReply) => reply.code(503).header("retry-after", "2").send({ error: "storage unavailable, retry later" });

export function registerRecords(app: FastifyInstance, d: RecordsDeps): void {
  // JSON only: any other content type (Fastify parses text/plain by default) is a 415.
  app.removeContentTypeParser(["text/plain"]);
  app.post<{ Body: { payload: Record<string, unknown> }; Headers: { "idempotency-key": string; traceparent?: string } }>(
    "/v1/records",
    { schema: postSchema },
    async (req, reply) => {
      const unfit = unstorable(req.body.payload);
      if (unfit) return reply.code(400).send({ error: `${unfit}: a NUL character or an unpaired surrogate, which cannot be stored` });
      if (d.backlog() > d.maxBacklog) {
        return reply.code(429).header("retry-after", "1").send({ error: `backlog ${d.backlog()} is above ${d.maxBacklog}; retry later` });
      }
      const key = req.headers["idempotency-key"];
      // The request's span, and under it the wait for the group commit; the stored record (and so the publish,
      // whenever it happens) carries the commit's span as its parent.
      const request = d.tracing.start("POST /v1/records", req.headers.traceparent, SpanKind.SERVER);
      const traceparent = traceparentOf(request);
      const commit = d.tracing.start("records.accept", traceparent);
      let result: Accepted;
      try {
        result = await inSpan(commit, () => d.accept({ key, payload: req.body.payload, traceparent: traceparentOf(commit) }));
      } catch (err) {
        endSpan(request, err);
        if (isUnavailable(err)) return unavailable(reply);
        throw err;
      }
      request.setAttribute("cp3.record.id", result.id);
      if (!result.created) request.setAttribute("cp3.record.replay", true);
      endSpan(request);
      if (result.created) d.metrics.recordsAccepted.inc();
      // Per record, so debug: at info, a line per request costs the gateway a write and the engine's log
      // driver a line to store, more than the rest of the request at a few thousand per second.
      req.log.debug({ id: result.id, replay: !result.created, traceparent }, "record accepted");
      return reply.code(202).header("traceparent", traceparent).send({ id: result.id });
    },
  );

  app.get<{ Params: { id: string } }>("/v1/records/:id", async (req, reply) => {
    if (!UUID.test(req.params.id)) return reply.code(400).send({ error: "id must be a UUID" });
    try {
      const r = await d.db.query<{ id: string; state: string; output: unknown }>(
        "SELECT r.id, r.state, res.output FROM records r LEFT JOIN results res ON res.record_id = r.id WHERE r.id = $1",
        [req.params.id],
      );
      if (r.rowCount === 0) return reply.code(404).send({ error: "no such record" });
      const row = r.rows[0]!;
      return reply.send({ id: row.id, state: row.state, ...(row.state === "processed" ? { result: row.output } : {}) });
    } catch (err) {
      if (isUnavailable(err)) return unavailable(reply);
      throw err;
    }
  });
}

/** Client mistakes get 4xx with what was wrong; anything else is a 500 without internals. */
export function registerErrorHandler(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string; validation?: unknown[] }, _req, reply) => {
    if (err.validation) return reply.code(400).send({ error: "invalid request", details: err.validation });
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") return reply.code(413).send({ error: `body larger than ${MAX_BODY_BYTES} bytes` });
    if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return reply.code(415).send({ error: "content type must be application/json" });
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    log.error({ err }, "request failed");
    return reply.code(500).send({ error: "internal error" });
  });
}
