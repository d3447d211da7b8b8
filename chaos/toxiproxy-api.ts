// Toxiproxy's HTTP API (on 127.0.0.1): latency, timeouts, resets and slow closes at layer 4, which this
// kernel (no sch_netem) cannot do itself. Our toxics are named with the cp3-chaos- tag.

export interface Toxic {
  name: string;
  type: string;
  stream: "upstream" | "downstream";
  toxicity: number;
  attributes: Record<string, number>;
}

export interface Proxy {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: Toxic[];
}

async function call<T>(base: string, path: string, method = "GET", body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Toxiproxy ${method} ${path} answered ${res.status}: ${text.trim()}`);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}

export const proxies = (base: string) => call<Record<string, Proxy>>(base, "/proxies");
export const toxics = (base: string, proxy: string) => call<Toxic[]>(base, `/proxies/${encodeURIComponent(proxy)}/toxics`);
export const addToxic = (base: string, proxy: string, toxic: Toxic) => call<Toxic>(base, `/proxies/${encodeURIComponent(proxy)}/toxics`, "POST", toxic);

/** Removes a toxic; one that is already gone is fine (rollback must be idempotent). */
export async function removeToxic(base: string, proxy: string, name: string): Promise<void> {
  try {
    await call(base, `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`, "DELETE");
  } catch (err) {
    if (!String(err).includes("answered 404")) throw err;
  }
}

/** The listen port of a proxy ("[::]:15432" -> 15432). */
export const listenPort = (p: Proxy) => Number(p.listen.slice(p.listen.lastIndexOf(":") + 1));
/** The host name of a proxy's upstream ("postgres:5432" -> "postgres"). */
export const upstreamHost = (p: Proxy) => p.upstream.slice(0, p.upstream.lastIndexOf(":"));
