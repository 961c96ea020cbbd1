// The serve command's view flusher: pending page views (blog/views.ts) written into the blogs.
// Open blogs are written on the server's thread (tens of microseconds, no sync); closed blogs
// by a Worker (views-worker.ts) on connections of its own, since opening, writing and closing one
// costs 1.5–5 ms, most of it waiting for the disk, which no reader of any blog should wait for.
import { existsSync } from "node:fs";
import type { FlushResult, TakenViews } from "../blog/views.ts";
import { log } from "../log.ts";
import { tenantPath, type TenantName } from "../tenants/names.ts";
import { BlogUnavailableError } from "../tenants/opener.ts";
import type { OutsideLease } from "../tenants/registry.ts";
import type { Services } from "../web/services.ts";
import { workerUrl } from "../workers.ts";
import type { ViewsJob, ViewsResult } from "./views-worker.ts";

/** The Worker's module, an entry point of the compiled binary (see workers.ts). */
const WORKER_URL = workerUrl("server/views-worker.ts");

/** Worker failures in a row after which closed blogs are written on the server's thread again. */
const MAX_CRASHES = 3;

/** Bun's Worker has ref()/unref() like a timer; the DOM type does not say so. */
function refWorker(worker: Worker, keepAlive: boolean): void {
  const handle = worker as unknown as { ref(): void; unref(): void };
  if (keepAlive) handle.ref();
  else handle.unref();
}

/**
 * Hands closed blogs' views to the Worker, one batch at a time. Counts are taken out of the
 * counter while the Worker has them and put back if their write fails; the blog is lent by the
 * pool meanwhile, so the Worker's own file events do not drop its cached pages.
 */
export class ViewWriter {
  private worker: Worker | null = null;
  private inFlight: { name: TenantName; views: TakenViews; lease: OutsideLease }[] | null = null;
  private started = 0;
  private idleWaiters: (() => void)[] = [];
  /** Failures of the Worker itself in a row (not of a blog's write). */
  private crashes = 0;
  /** Blogs whose write failed in the Worker: written by the server's pool from now on, which migrates, reopens read-only and logs faults once. */
  readonly retryHere = new Set<TenantName>();

  /** `workerUrl`: a test's stand-in for views-worker.ts. */
  constructor(
    private readonly services: Services,
    private readonly workerUrl: URL = WORKER_URL,
  ) {}

  get isBusy(): boolean {
    return this.inFlight !== null;
  }

  /** False once the Worker failed three times in a row: the flusher then writes closed blogs itself. */
  get isAvailable(): boolean {
    return this.crashes < MAX_CRASHES;
  }

  /** Takes the blogs' views and sends them to the Worker; false (nothing taken) while a batch is in flight. */
  write(blogs: TenantName[]): boolean {
    if (this.inFlight || !blogs.length) return false;
    const { registry, views, config } = this.services;
    const batch: { name: TenantName; views: TakenViews; lease: OutsideLease }[] = [];
    for (const name of blogs) {
      const taken = views.take(name);
      if (!taken) continue;
      batch.push({ name, views: taken, lease: registry.lend(name, { writes: true }) });
    }
    if (!batch.length) return false;
    this.inFlight = batch;
    this.started = performance.now();
    if (!this.worker) {
      const worker = new Worker(this.workerUrl);
      // Events of a Worker already replaced (after a failure) are not about the batch in flight.
      const mine = () => this.worker === worker;
      worker.onmessage = (event: MessageEvent<ViewsResult[]>) => mine() && this.finish(event.data);
      worker.onerror = (event) => mine() && this.finish(null, event.message);
      worker.addEventListener("close", () => mine() && this.finish(null, "the worker exited"));
      this.worker = worker;
    }
    // Only a batch in flight keeps the process alive, not a Worker waiting for the next one.
    refWorker(this.worker, true);
    const job: ViewsJob = { dataDir: config.dataDir, blogs: batch.map(({ name, views }) => ({ name, views })) };
    this.worker.postMessage(job);
    return true;
  }

  private finish(results: ViewsResult[] | null, crash?: string): void {
    const batch = this.inFlight;
    if (!batch) return;
    this.inFlight = null;
    if (crash !== undefined) {
      // A Worker that failed is not trusted with the next batch: a new one is started for it.
      this.worker?.terminate();
      this.worker = null;
      this.crashes++;
      log.error(this.isAvailable ? "the view writer failed; its blogs' views stay pending" : "the view writer failed again; closed blogs' views are written by the server's thread from now on", { blogs: batch.length, error: crash });
    } else {
      this.crashes = 0;
      if (this.worker) refWorker(this.worker, false);
    }
    const { views, metrics } = this.services;
    const byName = new Map((results ?? []).map((r) => [r.name, r]));
    for (const { name, views: taken, lease } of batch) {
      const result = byName.get(name);
      if (result?.ok) {
        views.written(taken);
        lease.release({ closed: true, report: result.report });
      } else {
        views.putBack(name, taken);
        // A Worker that crashed may have left the blog open on its connection.
        lease.release({ closed: crash === undefined, report: null });
        this.retryHere.add(name);
      }
    }
    metrics.flushDuration.observe((performance.now() - this.started) / 1000);
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Resolves once no batch is in flight. */
  idle(): Promise<void> {
    return this.inFlight ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  /** Waits for the batch in flight, then ends the Worker. */
  async stop(): Promise<void> {
    await this.idle();
    const worker = this.worker;
    this.worker = null;
    worker?.terminate();
  }
}

export interface FlushOptions {
  /** Only blogs whose oldest pending view is at least this old (ms); 0 flushes every blog. */
  minAgeMs?: number;
  /**
   * Closed blogs go to this Worker, `batch` at a time; without one they are written here, within
   * `closedBudgetMs` (so that a flush at shutdown, or in a test, needs no Worker).
   */
  writer?: ViewWriter;
  batch?: number;
  /**
   * Time budget (ms) for closed blogs written on this thread (those the Worker failed on, or all
   * of them without a Worker): thousands of cold blogs would otherwise stall readers. Open blogs
   * are always written; closed ones past the budget wait for the next tick.
   */
  closedBudgetMs?: number;
}

/**
 * Writes pending views, one transaction per blog. A blog that fails keeps its counts for the next
 * run (logged); a blog that no longer exists has its counts dropped.
 */
export function flushViews(services: Services, options: FlushOptions = {}): FlushResult {
  const started = performance.now();
  const budget = options.closedBudgetMs ?? Infinity;
  const olderThan = options.minAgeMs ? services.now().getTime() - options.minAgeMs + 1 : Infinity;
  const { pool, views, metrics, config } = services;
  const writer = options.writer?.isAvailable ? options.writer : undefined;
  // Open blogs first, all of them (at most --max-open to look at); then closed ones, oldest first,
  // taken lazily while the budget lasts: with thousands of blogs waiting, a tick looks at a few.
  const open = pool.names().filter((b) => views.isDue(b, olderThan));
  const tried = new Set<TenantName>(open);
  const here = function* () {
    yield* open;
    const closed = writer ? [...writer.retryHere].filter((b) => views.isDue(b, olderThan)) : views.dueBlogs(olderThan);
    for (const blog of closed) {
      // A blog whose write failed rejoins the waiting list at its end: once per run is enough.
      if (tried.has(blog) || pool.peek(blog)) continue;
      tried.add(blog);
      yield blog;
    }
  };
  let index = 0;
  const result = views.flushAll((blog, use) => pool.withDatabase(blog, use), here(), () => index++ < open.length || performance.now() - started < budget);
  if (result.blogs || result.failed.length) metrics.flushDuration.observe((performance.now() - started) / 1000);
  // Written here at last (or gone): the Worker may have them again.
  if (writer) for (const blog of [...writer.retryHere]) if (!views.isDue(blog)) writer.retryHere.delete(blog);
  for (const failure of result.failed) {
    if (!existsSync(tenantPath(config.dataDir, failure.blog))) views.drop(failure.blog);
    else {
      writer?.retryHere.add(failure.blog);
      // A broken blog was logged once by the pool; a read-only, full or locked one is logged once
      // per kind by noteFault: the flusher retries every tick and must not flood the log.
      if (failure.cause instanceof BlogUnavailableError) continue;
      if (!pool.noteFault(failure.blog, failure.cause)) log.error("flushing views failed; they stay pending", { blog: failure.blog, error: failure.error });
    }
  }
  if (writer && !writer.isBusy) {
    const batch: TenantName[] = [];
    for (const blog of views.dueBlogs(olderThan)) {
      if (batch.length >= (options.batch ?? 1)) break;
      if (!pool.peek(blog) && !writer.retryHere.has(blog) && !tried.has(blog)) batch.push(blog);
    }
    writer.write(batch);
  }
  return result;
}

/** Closed blogs per batch for the Worker while requests are being answered, and while idle. */
const BATCH_BUSY = 4;
const BATCH_IDLE = 64;
/** Time for closed blogs written on this thread per tick (see FlushOptions.closedBudgetMs). */
const CLOSED_BUDGET_MS = 5;

/**
 * The flusher's tick. While readers are being answered, the Worker gets at most 4 closed blogs per
 * tick (~40 a second, a few percent of a core wherever the Worker runs); a tick with no request
 * answered since the last one is idle time, and sends 64, so a backlog built under a load spread
 * over thousands of blogs is written in the quiet moments and not all at shutdown.
 */
export function viewFlushTick(services: Services, writer?: ViewWriter, flush: typeof flushViews = flushViews): () => FlushResult {
  let answered = services.metrics.requestsAnswered;
  return () => {
    const now = services.metrics.requestsAnswered;
    const isIdle = now === answered;
    answered = now;
    return flush(services, { minAgeMs: services.config.flushIntervalMs, writer, batch: isIdle ? BATCH_IDLE : BATCH_BUSY, closedBudgetMs: CLOSED_BUDGET_MS });
  };
}
