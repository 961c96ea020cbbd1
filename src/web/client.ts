// Who is asking: the client's address for rate limits. The socket's peer is the client unless it
// is a trusted proxy (loopback by default, --trusted-proxy), in which case the right-most address
// in X-Forwarded-For that is not itself a trusted proxy is the client.
import type { Config } from "../config.ts";

function normalise(address: string): string {
  return address.replace(/^::ffff:/, "").trim();
}

export function clientAddress(config: Pick<Config, "trustedProxies">, request: Request, peer: string | null): string {
  const direct = peer ? normalise(peer) : null;
  const trusted = new Set(config.trustedProxies.map(normalise));
  if (direct && trusted.has(direct)) {
    const hops = (request.headers.get("x-forwarded-for") ?? "").split(",").map(normalise).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) if (!trusted.has(hops[i])) return hops[i];
  }
  return direct ?? "unknown";
}

/** Whether the request came over HTTPS, believing X-Forwarded-Proto only from a trusted proxy. */
export function isHttps(config: Pick<Config, "trustedProxies">, request: Request, peer: string | null): boolean {
  if (new URL(request.url).protocol === "https:") return true;
  const direct = peer ? normalise(peer) : null;
  return Boolean(direct && config.trustedProxies.map(normalise).includes(direct) && request.headers.get("x-forwarded-proto") === "https");
}
