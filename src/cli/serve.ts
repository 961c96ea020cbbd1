// `writekit serve`: serves every blog in the data directory until SIGTERM/SIGINT.
import { existsSync, mkdirSync } from "node:fs";
import { createApp, createFetch } from "../app.ts";
import { ConfigError, loadConfig, serveOptions, type Config } from "../config.ts";
import { configureLog, log } from "../log.ts";
import { DomainError, loadDomains, reloadDomains, watchDomains } from "../tenants/domains.ts";
import { listTenantNames, tenantPath, tenantsDir, type TenantName } from "../tenants/names.ts";
import { Pool } from "../tenants/pool.ts";
import { watchTenants } from "../tenants/watch.ts";
import { SiteResolver } from "../tenants/resolve.ts";
import { Metrics } from "../web/metrics.ts";
import { PageCache } from "../web/pagecache.ts";
import { ViewCounter } from "../blog/views.ts";
import { MAX_BODY_BYTES } from "../web/http.ts";
import type { Services } from "../web/services.ts";
import { CliError, out, parse, type Command } from "./command.ts";
import { flushViews, viewFlushTick, ViewWriter } from "./flusher.ts";

const usage = `Usage: writekit serve [options]

Serves every blog in the data directory at http://<name>.<domain>:<port>/.
  --port N              port to listen on (env PORT; default 3000)
  --hostname ADDR       address to bind (default localhost)
  --domain DOMAIN       blogs answer at <name>.DOMAIN (env WRITEKIT_DOMAIN; default localhost)
  --max-open N          most blog databases kept open at once (default 100)
  --flush-interval MS   how often page views are written (default 5000)
  --trusted-proxy ADDR  a proxy whose X-Forwarded-For is believed (repeatable;
                        env WRITEKIT_TRUSTED_PROXIES, comma-separated; default loopback)
  --log-format F        text or json (env WRITEKIT_LOG_FORMAT; default text)
  --access-log          one log line per request (env WRITEKIT_ACCESS_LOG=1)
  --metrics-token T     also let /metrics answer "Authorization: Bearer T" from any
                        address, not only loopback (env WRITEKIT_METRICS_TOKEN; 16+ chars)
  --data DIR            data directory (env WRITEKIT_DATA; default ./data)`;

/** How long a shutdown waits for requests in flight before closing them. */
const SHUTDOWN_DRAIN_MS = 5000;

/** Page cache budget: enough for the hot pages of thousands of blogs, far below the RSS goal. */
const PAGE_CACHE_BYTES = 64 * 1024 * 1024;

/** DATA/domains.json; an unreadable file is logged and the server starts without custom domains. */
function loadCustomDomains(config: Config): Map<string, TenantName> {
  try {
    const { map, problems } = loadDomains(config.dataDir, config.domain);
    for (const problem of problems) log.warn(problem);
    return map;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    log.error(e.message);
    return new Map();
  }
}

export function createServices(config: Config, overrides: Partial<Services> = {}): Services {
  const services: Services = {
    config,
    sites: new SiteResolver(config.domain, () => services.customDomains),
    pool: new Pool({ dataDir: config.dataDir, maxOpen: config.maxOpen }),
    pages: new PageCache(PAGE_CACHE_BYTES),
    customDomains: overrides.customDomains ?? loadCustomDomains(config),
    views: new ViewCounter(() => services.now()),
    peer: (request, server) => server?.requestIP(request)?.address ?? null,
    now: () => new Date(),
    metrics: new Metrics(() => services),
    ...overrides,
  };
  // Someone else committed while the pool had the blog open, and the pool closed it before the
  // file events arrived: drop its pages now.
  services.pool.onChangedElsewhere((name) => services.pages.invalidate(name));
  return services;
}

/**
 * A blog's files changed. Events also come from this server's own writes (view flushes) and its
 * own closes (a checkpoint); the pool tells those from another process's changes (PRAGMA
 * data_version for an open blog, the files' state after our own close for a closed one).
 *
 * An event can arrive before the change is visible: SQLite writes a transaction's frames to the
 * -wal (the event) and only then publishes them in the -shm index, through memory that raises no
 * event. So each event is looked at again shortly after; and a change seen at once drops the
 * blog's pages again then, in case a reader re-rendered from the old snapshot in between.
 */
export function onBlogFileChanged(services: Services, name: TenantName): void {
  // A blog deleted by `writekit tenant delete`: drop its pages and let go of its handle.
  if (!existsSync(tenantPath(services.config.dataDir, name))) {
    services.pool.close(name);
    services.pages.invalidate(name);
    return;
  }
  const changed = services.pool.changedElsewhere(name);
  if (changed) services.pages.invalidate(name);
  settleLater(services, name, changed);
}

/**
 * One follow-up per blog, restarted by each new event (a write raises several), so a busy blog
 * costs one timer, not a few per event.
 */
const settling = new WeakMap<Services, Map<TenantName, { step: number; changed: boolean; timer: ReturnType<typeof setTimeout> }>>();

function settleLater(services: Services, name: TenantName, changed: boolean): void {
  let pending = settling.get(services);
  if (!pending) settling.set(services, (pending = new Map()));
  const previous = pending.get(name);
  if (previous) clearTimeout(previous.timer);
  const state = { step: 0, changed: changed || (previous?.changed ?? false), timer: undefined as unknown as ReturnType<typeof setTimeout> };
  const next = () => {
    if (state.step >= SETTLE_MS.length) {
      pending.delete(name);
      return;
    }
    const wait = SETTLE_MS[state.step] - (state.step ? SETTLE_MS[state.step - 1] : 0);
    state.timer = setTimeout(() => {
      if (services.pool.changedElsewhere(name) || state.changed) services.pages.invalidate(name);
      state.step++;
      next();
    }, wait);
    state.timer.unref?.();
  };
  pending.set(name, state);
  next();
}

/** When an event is looked at again (ms after it). */
const SETTLE_MS = [50, 250, 1000, 3000];

/** How often answered requests' garbage is collected (see answerGarbageCollector). */
const YOUNG_GC_INTERVAL_MS = 100;

/**
 * A tick that runs a young-generation collection when requests were answered since the last one;
 * `serve` calls it every YOUNG_GC_INTERVAL_MS. Most of what an answer allocates is native memory
 * behind small JavaScript objects (the Request and its headers, the Response and its headers), and
 * JavaScriptCore paces its collections by its own heap: under 25,000 req/s over 10,000 blogs it
 * let ~100 MB of finished answers pile up before collecting them, the difference between a
 * ~215 MB and a ~260 MB peak. A collection takes ~0.5 ms there, ~0.5% of a core; an idle server
 * does none.
 */
export function answerGarbageCollector(services: Services, collect: (full: boolean) => void = Bun.gc): () => void {
  let answered = services.metrics.requestsAnswered;
  return () => {
    const now = services.metrics.requestsAnswered;
    if (now === answered) return;
    answered = now;
    collect(false);
  };
}

/** Keeps cached pages, open handles and the custom domain map true to the files while the server runs. */
export function watchForChanges(services: Services): () => void {
  const stopTenants = watchTenants(services.config.dataDir, (name) => onBlogFileChanged(services, name));
  // `writekit domains rebuild` replaced DATA/domains.json: a bad file keeps the map in use.
  const stopDomains = watchDomains(services.config.dataDir, () => {
    try {
      for (const problem of reloadDomains(services.config.dataDir, services.customDomains, services.config.domain)) log.warn(problem);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      log.error(`${e.message}; the custom domains in use are kept`);
    }
  });
  return () => {
    stopTenants();
    stopDomains();
  };
}

export const serveCommand: Command = {
  name: "serve",
  summary: "serve the blogs over HTTP",
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, serveOptions);
    if (values.help) return out(usage), 0;
    if (positionals.length) throw new CliError(`serve takes no arguments, got: ${positionals.join(" ")}`, 2);
    let config: Config;
    try {
      config = loadConfig(values);
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError(e.message, 2);
      throw e;
    }
    configureLog({ format: config.logFormat });
    mkdirSync(tenantsDir(config.dataDir), { recursive: true });
    const services = createServices(config);
    const app = createApp(services);
    const stopWatching = watchForChanges(services);
    const collector = setInterval(answerGarbageCollector(services), YOUNG_GC_INTERVAL_MS);
    // Tick often, write each blog once its views are --flush-interval old (see FlushOptions).
    const writer = new ViewWriter(services);
    const flusher = setInterval(viewFlushTick(services, writer), Math.min(config.flushIntervalMs, 100));
    let server: ReturnType<typeof Bun.serve>;
    try {
      server = Bun.serve({ port: config.port, hostname: config.hostname, fetch: createFetch(services, app), maxRequestBodySize: MAX_BODY_BYTES + 1024 });
    } catch (e) {
      throw new CliError(`cannot listen on ${config.hostname}:${config.port}: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Elysia's context has no server when Bun.serve calls app.fetch: give routes the socket peer
    // (comment rate limits, /metrics' loopback check) from the real server.
    services.peer = (request) => server.requestIP(request)?.address ?? null;
    const port = server.port;
    // No count of the blogs here: listing 10,000 files would delay the first answer.
    out(`WriteKit serving the blogs in ${tenantsDir(config.dataDir)}`);
    out(`  blogs:  http://<name>.${config.domain}:${port}/   health: http://${config.hostname}:${port}/healthz`);

    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) {
          log.warn("second signal: exiting at once", { signal });
          process.exit(1);
        }
        stopping = true;
        log.info("shutting down", { signal, inFlight: server.pendingRequests });
        // Stop accepting, let requests in flight finish (bounded; idle keep-alive connections do
        // not hold this up), then write pending views and close every blog.
        const drained = await Promise.race([server.stop(false).then(() => true), Bun.sleep(SHUTDOWN_DRAIN_MS).then(() => false)]);
        if (!drained) {
          log.warn("requests still in flight at the shutdown limit; closing them", { inFlight: server.pendingRequests, limitMs: SHUTDOWN_DRAIN_MS });
          void server.stop(true);
        }
        // Elysia's onAfterResponse hooks (the access log line of the last answers) run in a
        // setImmediate: let them run before the process exits.
        await new Promise((done) => setImmediate(done));
        stopWatching();
        clearInterval(collector);
        clearInterval(flusher);
        // The Worker's batch first (its counts are out of the counter), then everything left here.
        await writer.stop();
        const flushed = flushViews(services);
        const blogs = services.pool.size;
        services.pool.closeAll();
        log.info("stopped", { viewRowsWritten: flushed.rows, blogsFailedToFlush: flushed.failed.length, blogsClosed: blogs });
        resolve(0);
      };
      process.on("SIGTERM", () => void stop("SIGTERM"));
      process.on("SIGINT", () => void stop("SIGINT"));
    });
  },
};
