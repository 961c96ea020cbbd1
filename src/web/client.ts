// Who is asking. The socket's peer is the client unless it is a trusted proxy (--trusted-proxy:
// addresses and CIDR ranges; none by default). A proxy appends the peer it saw to X-Forwarded-For,
// so only the right end of that header is vouched for: reading from the right, the first address
// that is not itself a trusted proxy is the client. X-Forwarded-Proto is believed from a trusted
// proxy only, and then for everything the scheme decides: absolute links, cache keys, cookies.
import { addressMatcher, ipv6Groups, isLoopback, normaliseAddress } from "../addresses.ts";
import type { Config } from "../config.ts";

type Trust = Pick<Config, "trustedProxies">;

const matchers = new WeakMap<readonly string[], (address: string) => boolean>();

function isTrustedProxy(config: Trust, address: string): boolean {
  if (config.trustedProxies.length === 0) return false;
  let matches = matchers.get(config.trustedProxies);
  if (!matches) matchers.set(config.trustedProxies, (matches = addressMatcher(config.trustedProxies)));
  return matches(address);
}

function peerAddress(peer: string | null): string | null {
  return peer ? (normaliseAddress(peer) ?? peer) : null;
}

/** The addresses in X-Forwarded-For, left to right; one that is not an address is kept as text (cut short). */
function forwardedFor(request: Request): string[] {
  const header = request.headers.get("x-forwarded-for");
  if (!header) return [];
  return header
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean)
    .map((hop) => normaliseAddress(hop) ?? hop.slice(0, 64));
}

/** The client's address: the socket peer, or from a trusted proxy the address it forwarded for. */
export function clientAddress(config: Trust, request: Request, peer: string | null): string {
  const direct = peerAddress(peer);
  if (!direct || !isTrustedProxy(config, direct)) return direct ?? "unknown";
  const hops = forwardedFor(request);
  for (let i = hops.length - 1; i >= 0; i--) if (!isTrustedProxy(config, hops[i])) return hops[i];
  // Every hop is a trusted proxy: the left-most is the one the request started from.
  return hops[0] ?? direct;
}

type Scheme = Trust & { publicScheme?: Config["publicScheme"] };

/**
 * The scheme the reader used: `--public-scheme` when the operator set it; otherwise https when the
 * request came over TLS, or from a trusted proxy whose X-Forwarded-Proto says https (the first
 * entry: the proxy the reader reached). `peer` is asked only when a proxy could be trusted.
 */
export function requestScheme(config: Scheme, request: Request, peer: () => string | null): "http" | "https" {
  if (config.publicScheme) return config.publicScheme;
  if (request.url.startsWith("https:")) return "https";
  if (config.trustedProxies.length === 0) return "http";
  const direct = peerAddress(peer());
  if (!direct || !isTrustedProxy(config, direct)) return "http";
  const proto = request.headers.get("x-forwarded-proto");
  return proto !== null && proto.split(",")[0].trim().toLowerCase() === "https" ? "https" : "http";
}

/** Whether the request came over HTTPS (requestScheme's rule): the session cookie is Secure then. */
export function isHttps(config: Scheme, request: Request, peer: string | null): boolean {
  return requestScheme(config, request, () => peer) === "https";
}

/**
 * The origin of the blog's absolute links (feeds, sitemap, canonical and OpenGraph URLs) and of
 * its cached pages' keys: requestScheme and the Host header, lower-cased, with its port. The Host
 * is what chose the blog, so links name the same host; X-Forwarded-Host is not read (a proxy must
 * pass Host on, as Caddy does and nginx does with `proxy_set_header Host $host`).
 */
export function requestOrigin(config: Scheme, request: Request, peer: () => string | null): string {
  return `${requestScheme(config, request, peer)}://${(request.headers.get("host") ?? "localhost").toLowerCase()}`;
}

/**
 * Whether the request comes from this machine (for /metrics). From a configured proxy, the client it
 * forwarded for decides, and without X-Forwarded-For the client is unknown, so not local: a proxy
 * relays everyone. A loopback peer that is not a configured proxy is local unless it forwards for
 * someone (a proxy on this machine that nobody named).
 */
export function isLocalRequest(config: Trust, request: Request, peer: string | null): boolean {
  const direct = peerAddress(peer);
  if (!direct) return false;
  const forwarded = request.headers.has("x-forwarded-for");
  if (isTrustedProxy(config, direct)) return forwarded && isLoopback(clientAddress(config, request, peer));
  return !forwarded && isLoopback(direct);
}

/** A request from this machine's loopback that forwards for no one (a local TLS proxy's own `ask`). */
/** A request a --trusted-proxy makes for itself (it forwards for no one): Caddy on its own machine, asking /tls-check for a cluster. */
export function isUnrelayedTrustedProxy(config: Trust, request: Request, peer: string | null): boolean {
  const direct = peerAddress(peer);
  return direct !== null && isTrustedProxy(config, direct) && !request.headers.has("x-forwarded-for");
}

export function isUnrelayedLoopback(request: Request, peer: string | null): boolean {
  const direct = peerAddress(peer);
  return direct !== null && isLoopback(direct) && !request.headers.has("x-forwarded-for");
}

/**
 * The key that rate limits count a client by: its IPv4 address, or the /64 of its IPv6 address,
 * since one home or server is usually given a whole /64 and could otherwise change address at will.
 */
export function clientKey(address: string): string {
  const a = normaliseAddress(address);
  if (a === null || !a.includes(":")) return a ?? address;
  return (
    ipv6Groups(a)
      .slice(0, 4)
      .map((g) => g.toString(16))
      .join(":") + "::/64"
  );
}

/** One line for `serve` to print at start: which proxies are believed, and who may read /metrics. */
export function describeTrust(
  config: Pick<Config, "trustedProxies" | "metricsToken"> & { publicScheme?: Config["publicScheme"] },
): string {
  const scheme = config.publicScheme ? `; absolute links and cookies use ${config.publicScheme} (--public-scheme)` : "";
  const metrics = `/metrics answers this machine${config.metricsToken ? " and the bearer token" : ""}${scheme}`;
  if (config.trustedProxies.length === 0) {
    return `Trusted proxies: none, so X-Forwarded-For and X-Forwarded-Proto are ignored and each client is its connection's address (behind a proxy, name it with --trusted-proxy); ${metrics}.`;
  }
  return `Trusted proxies: ${config.trustedProxies.join(", ")}; their X-Forwarded-For names the client and X-Forwarded-Proto the scheme, and a request from them without X-Forwarded-For is not from this machine; ${metrics}.`;
}
