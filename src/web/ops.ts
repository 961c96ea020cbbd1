// Instance-wide endpoints that answer on any Host: /healthz for load balancers and supervisors,
// /readyz for a proxy's health checks (in a cluster: the placement is loaded and every blog placed
// here opens), /metrics for Prometheus (loopback only, or anyone with the configured token),
// /tls-check for a TLS proxy's on-demand certificates (the proxy on this machine, or the token).
import { Elysia, t } from "elysia";
import { createHash, timingSafeEqual } from "node:crypto";
import { accessSync, constants, mkdirSync } from "node:fs";
import { isLocalRequest, isUnrelayedLoopback, isUnrelayedTrustedProxy } from "./client.ts";
import { blogOfDomain, normaliseHostName } from "../tenants/domains.ts";
import { placedBlogOfHost } from "../tenants/placement.ts";
import { listTenantNames, tenantsDir } from "../tenants/names.ts";
import { VERSION } from "../version.ts";
import type { Services } from "./services.ts";
import { visitContext } from "./visit.ts";

/** Compares in constant time: both sides are hashed first, so their lengths do not leak either. */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function hasToken(services: Services, request: Request): boolean {
  const token = services.config.metricsToken;
  if (!token) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  return match !== null && sameToken(match[1], token);
}

/**
 * Null when the request may read /metrics, otherwise why not. The client is the socket peer, or
 * the address a trusted proxy forwarded: a public request relayed by a proxy on this machine is
 * not "from loopback", nor is one from a configured proxy that does not say whom it relays
 * (isLocalRequest).
 */
function metricsRefusal(services: Services, request: Request, peer: string | null): string | null {
  const token = services.config.metricsToken;
  if (hasToken(services, request)) return null;
  if (isLocalRequest(services.config, request, peer)) return null;
  return token
    ? '/metrics needs the header "Authorization: Bearer <token>" with the token the server was started with (--metrics-token), or a request from this machine.\n'
    : '/metrics answers only requests from this machine (loopback). To scrape it from elsewhere, start the server with --metrics-token (or WRITEKIT_METRICS_TOKEN) and send "Authorization: Bearer <token>".\n';
}

/**
 * Null when the request may ask /tls-check, otherwise why not: the TLS proxy on this machine asks
 * (Caddy's `ask` comes from loopback and forwards for no one), or a client with the metrics token.
 * A request the proxy relays from a reader carries X-Forwarded-For and is refused, whether or not
 * the proxy is a --trusted-proxy; so the loopback rule here does not depend on --trusted-proxy,
 * unlike /metrics, which a trusted proxy's own requests must not read. Answering anyone would let
 * anyone list which names are blogs here, and spend a file check per ask.
 */
function tlsCheckRefusal(services: Services, request: Request, peer: string | null): string | null {
  if (hasToken(services, request) || isUnrelayedLoopback(request, peer)) return null;
  // A cluster's Caddy runs on a machine of its own: as a --trusted-proxy asking for itself, it may ask too.
  if (services.cluster && isUnrelayedTrustedProxy(services.config, request, peer)) return null;
  return services.config.metricsToken
    ? '/tls-check answers the TLS proxy on this machine (a loopback request without X-Forwarded-For), or "Authorization: Bearer <token>" with the server\'s --metrics-token.\n'
    : '/tls-check answers only the TLS proxy on this machine (a loopback request without X-Forwarded-For). To ask from elsewhere, start the server with --metrics-token and send "Authorization: Bearer <token>".\n';
}

function plainText(text: string, status: number): Response {
  return new Response(text + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/**
 * Caddy's on-demand TLS asks `GET /tls-check?domain=<host>` before it gets a certificate for a
 * host; only a 200 lets it. So only the hosts of existing blogs get one: a proven custom domain
 * (the map holds no pending one), or `<name>.<domain>`. Anything else is 404, so nobody can make
 * the proxy request certificates for arbitrary names pointed at this server.
 */
function tlsCheck(services: Services, input: string): Response {
  const domain = normaliseHostName(input);
  if (domain === null) return plainText(`Bad request: ${JSON.stringify(input.slice(0, 300))} is not a host name`, 400);
  const { dataDir, domain: instanceDomain } = services.config;
  // In a cluster any node answers for every blog of the placement: Caddy asks one of them.
  const placement = services.cluster?.placement;
  const blog =
    (placement && placedBlogOfHost(placement, domain)) ??
    blogOfDomain(dataDir, services.customDomains, instanceDomain, domain);
  return blog
    ? plainText(`ok: ${domain} is the blog ${blog}`, 200)
    : plainText(`Not found: no blog answers to ${domain} here`, 404);
}

/** Null when the data directory can be read and written, otherwise why not. */
function isUsable(dataDir: string): string | null {
  const dir = tenantsDir(dataDir);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK);
    return null;
  } catch (e) {
    return `the data directory ${dir} is not usable: ${e instanceof Error ? e.message : String(e)}`;
  }
}

export function opsRoutes(services: Services) {
  // Listing the directory costs milliseconds with 10,000 blogs, and supervisors poll /healthz:
  // count at most every few seconds.
  let counted = { at: -Infinity, count: 0 };
  const blogCount = (dataDir: string): number => {
    const now = performance.now();
    if (now - counted.at > 5000) counted = { at: now, count: listTenantNames(dataDir).length };
    return counted.count;
  };
  return new Elysia({ name: "ops" })
    .use(visitContext(services))
    .get(
      "/tls-check",
      ({ query, request, visit }) => {
        const refusal = tlsCheckRefusal(services, request, visit.peer);
        return refusal ? plainText(`Forbidden: ${refusal}`, 403) : tlsCheck(services, query.domain);
      },
      { query: t.Object({ domain: t.String({ maxLength: 300 }) }) },
    )
    .get("/metrics", async ({ request, visit }) => {
      const refusal = metricsRefusal(services, request, visit.peer);
      if (refusal)
        return new Response(`Forbidden: ${refusal}`, {
          status: 403,
          headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
        });
      const { body, contentType } = await services.metrics.render();
      return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
    })
    .get("/readyz", ({ request, visit }) => {
      const body: Record<string, unknown> = { version: VERSION };
      const cluster = services.cluster;
      // Why a blog does not open, and where the placement file is, are for this machine (and the
      // metrics token) only: /readyz answers on every blog's host.
      const detailed = metricsRefusal(services, request, visit.peer) === null;
      let problem = isUsable(services.config.dataDir);
      if (cluster) {
        const readiness = cluster.readiness();
        body.node = cluster.node;
        // Draining blogs whose writes, page views and handle are done with (`writekit node drain` waits for this).
        body.drained = Object.fromEntries(cluster.drained);
        if (readiness.ready) body.blogs = readiness.blogs;
        else {
          problem ??= readiness.reason;
          if (readiness.failed) body.failed = detailed ? readiness.failed : Object.keys(readiness.failed).length;
        }
        if (cluster.loadError && detailed) body.placementError = cluster.loadError;
      }
      body.status = problem === null ? "ready" : "not ready";
      if (problem !== null) body.error = detailed ? problem : "not ready";
      return Response.json(body, { status: problem === null ? 200 : 503, headers: { "cache-control": "no-store" } });
    })
    .get("/healthz", () => {
      const dir = tenantsDir(services.config.dataDir);
      const body: Record<string, unknown> = {
        version: VERSION,
        open: services.pool.size,
        maxOpen: services.pool.maxOpen,
      };
      try {
        mkdirSync(dir, { recursive: true });
        accessSync(dir, constants.R_OK | constants.W_OK);
        body.status = "ok";
        body.blogs = blogCount(services.config.dataDir);
        return Response.json(body, { headers: { "cache-control": "no-store" } });
      } catch (e) {
        body.status = "unavailable";
        body.error = `the data directory ${dir} is not usable: ${e instanceof Error ? e.message : String(e)}`;
        return Response.json(body, { status: 503, headers: { "cache-control": "no-store" } });
      }
    });
}
