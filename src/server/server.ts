// A running server: the services, the HTTP listener with the front door, the file watcher, the
// view flusher and its Worker, the page store's writer Worker, the GC tick, and a shutdown that
// never takes more than a few seconds.
import { createHandler } from "../app.ts";
import type { Config } from "../config.ts";
import { log } from "../log.ts";
import { UPLOAD_MAX_BODY_BYTES } from "../web/http.ts";
import type { Services } from "../web/services.ts";
import { ClusterNode } from "./cluster.ts";
import { ViewFlusher } from "./flusher.ts";
import { answerGarbageCollector, fullCollectionEvery, YOUNG_GC_INTERVAL_MS } from "./gc.ts";
import { createServices } from "./services.ts";
import { BlogWatcher } from "./watcher.ts";
import { workerUrl } from "../workers.ts";

/** The page store's writer (an entry point of the compiled binary, see workers.ts). */
const PAGE_STORE_WRITER_URL = workerUrl("server/pagestore-worker.ts");

/** How long a shutdown waits for requests in flight before closing them. */
const SHUTDOWN_DRAIN_MS = 5000;

export class ListenError extends Error {
  override name = "ListenError";
}

export interface RunningServer {
  services: Services;
  flusher: ViewFlusher;
  port: number;
  /** Stops accepting, finishes (or after a bound, cuts) requests in flight, writes pending views, closes every blog. */
  stop(signal: string): Promise<void>;
}

export function startServer(config: Config): RunningServer {
  const services = createServices(config);
  services.pages.store?.startWriter(PAGE_STORE_WRITER_URL);
  const watcher = new BlogWatcher(services);
  watcher.start();
  const collector = setInterval(
    answerGarbageCollector({
      answered: () => services.metrics.requestsAnswered,
      released: () => services.pages.releasedBytes,
      fullEveryBytes: fullCollectionEvery(services.pages.budgetBytes),
    }),
    YOUNG_GC_INTERVAL_MS,
  );
  const flusher = new ViewFlusher(services, { journalEveryMs: config.flushIntervalMs });
  flusher.start();
  const cluster = services.cluster ? new ClusterNode(services, services.cluster, flusher) : null;
  cluster?.start();
  const flushing = setInterval(
    () => {
      flusher.tick();
      services.pages.store?.flush();
    },
    Math.min(config.flushIntervalMs, 100),
  );
  let server: ReturnType<typeof Bun.serve>;
  try {
    // The socket takes the largest body any route accepts (an upload); the front door holds every
    // other route to its own, smaller limit (web/http.ts).
    server = Bun.serve({
      port: config.port,
      hostname: config.hostname,
      fetch: createHandler(services),
      maxRequestBodySize: UPLOAD_MAX_BODY_BYTES + 1024,
    });
  } catch (e) {
    watcher.stop();
    cluster?.stop();
    clearInterval(collector);
    clearInterval(flushing);
    void flusher.stop();
    void services.pages.store?.close();
    throw new ListenError(
      `cannot listen on ${config.hostname}:${config.port}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }

  const stop = async (signal: string) => {
    log.info("shutting down", { signal, inFlight: server.pendingRequests });
    // Stop accepting, let requests in flight finish (bounded; idle keep-alive connections do not
    // hold this up), then write pending views and close every blog.
    const drained = await Promise.race([
      server.stop(false).then(() => true),
      Bun.sleep(SHUTDOWN_DRAIN_MS).then(() => false),
    ]);
    if (!drained) {
      log.warn("requests still in flight at the shutdown limit; closing them", {
        inFlight: server.pendingRequests,
        limitMs: SHUTDOWN_DRAIN_MS,
      });
      void server.stop(true);
    }
    watcher.stop();
    cluster?.stop();
    clearInterval(collector);
    clearInterval(flushing);
    // Views not yet journaled are appended now; the next start adds them to the blogs.
    await flusher.stop();
    const blogs = services.pool.size;
    services.pool.closeAll();
    await services.pages.store?.close();
    log.info("stopped", { viewsInJournal: services.views.pendingViews, blogsClosed: blogs });
  };
  return { services, flusher, port: server.port!, stop };
}
