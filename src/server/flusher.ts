// The serve command's view flusher: page views recorded in memory (blog/views.ts) go first to the
// journal (journal.ts), every --flush-interval, in one append made off the server's thread; then,
// segment by segment, into the blogs' files (posts.views, daily_views), by a Worker
// (views-worker.ts) that opens each blog on a connection of its own. So a page read never becomes
// a write to its blog on the server's thread, a blog read only by readers is written once per
// segment at most, and a stop appends what is left to the journal and exits: the next start adds it.
//
// Its length is the journal's two timers and the stop path, which must be read together.
import { log } from "../log.ts";
import type { TenantName } from "../tenants/names.ts";
import type { OutsideLease } from "../tenants/registry.ts";
import type { Services } from "../web/services.ts";
import { workerUrl } from "../workers.ts";
import { ViewJournal } from "./journal.ts";
import { applyToBlog, type ViewsJob, type ViewsResult } from "./views-worker.ts";

/** The Worker's module, an entry point of the compiled binary (see workers.ts). */
const WORKER_URL = workerUrl("server/views-worker.ts");

/** Worker failures in a row after which the server's thread adds the views itself. */
const MAX_CRASHES = 3;
/** How long a segment collects views before they go to the blogs. */
export const SEGMENT_MS = 10 * 60 * 1000;
/** A blog whose write failed is tried again after this long. */
const RETRY_MS = 60 * 1000;
/** Blogs per batch for the Worker while readers are being answered, and while idle. */
const BATCH_BUSY = 4;
const BATCH_IDLE = 64;
/** Time per tick for blogs written on this thread once the Worker has failed for good. */
const HERE_BUDGET_MS = 5;
/**
 * After a start, segments a previous run left wait this long while readers are being answered: a
 * restarted server has every page to render again, and the views Worker's writes (on a one-core
 * machine, its core) would take a fifth of it in the first seconds (docs/BENCHMARKS.md). An idle
 * tick still writes them at once.
 */
const START_QUIET_MS = 60 * 1000;
/** How long a stop waits for the Worker's batch in flight. */
const STOP_WAIT_MS = 2000;

export interface FlusherOptions {
  /** How often recorded views are appended to the journal (--flush-interval). */
  journalEveryMs: number;
  segmentEveryMs?: number;
  /** START_QUIET_MS, for tests. */
  startQuietMs?: number;
  /** A test's stand-in for views-worker.ts. */
  workerUrl?: URL;
}

type Batch = { name: TenantName; segments: number[]; lease: OutsideLease }[];

/** Bun's Worker has ref()/unref() like a timer; the DOM type does not say so. */
function refWorker(worker: Worker, keepAlive: boolean): void {
  const handle = worker as unknown as { ref(): void; unref(): void };
  if (keepAlive) handle.ref();
  else handle.unref();
}

export class ViewFlusher {
  private readonly journal: ViewJournal;
  private appending: Promise<void> | null = null;
  private lastAppend = performance.now();
  private lastRotate = performance.now();
  /** The current segment received views (rotating an empty one would only make a file). */
  private currentUsed = false;
  private worker: Worker | null = null;
  private inFlight: Batch | null = null;
  private batchStarted = 0;
  private idleWaiters: (() => void)[] = [];
  private crashes = 0;
  /** Blogs whose write failed, and when they may be tried again. */
  private readonly retryAt = new Map<TenantName, number>();
  private answered = 0;
  private journalFailing = false;
  private stopped = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly services: Services,
    private readonly options: FlusherOptions,
  ) {
    this.journal = new ViewJournal(services.config.dataDir);
  }

  /** The journal's id, under which blogs record the segments they took. */
  get journalId(): string {
    return this.journal.id;
  }

  /** False once the Worker failed three times in a row: this thread then writes the blogs. */
  get isWorkerAvailable(): boolean {
    return this.crashes < MAX_CRASHES;
  }

  /** Opens the journal; views a previous run left in it are added to the blogs first. */
  start(): void {
    for (const { segment, rows } of this.journal.open()) this.services.views.journaled(segment, rows);
    this.answered = this.services.metrics.requestsAnswered;
  }

  /** Called every 100 ms or so: appends, closes a segment when due, and hands blogs to the Worker. */
  tick(): void {
    if (this.stopped) return;
    const now = performance.now();
    if (!this.appending && now - this.lastAppend >= this.options.journalEveryMs) this.append();
    if (!this.appending && this.currentUsed && now - this.lastRotate >= (this.options.segmentEveryMs ?? SEGMENT_MS))
      this.rotate();
    const answered = this.services.metrics.requestsAnswered;
    const isIdle = answered === this.answered;
    this.answered = answered;
    const quiet = !isIdle && now - this.startedAt < (this.options.startQuietMs ?? START_QUIET_MS);
    if (!this.inFlight && !quiet) this.writeBlogs(isIdle ? BATCH_IDLE : BATCH_BUSY);
  }

  /** Resolves once no append and no batch is in flight. */
  async idle(): Promise<void> {
    while (this.appending || this.inFlight) {
      await this.appending;
      if (this.inFlight) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  /**
   * Puts every view recorded so far into the blogs' files: appends, closes the segment, and writes
   * every blog that has views waiting (those that fail are kept, as always). For tests and the
   * author's export; the server otherwise does this a segment at a time.
   */
  async settle(): Promise<void> {
    await this.idle();
    this.append();
    await this.idle();
    if (this.currentUsed) this.rotate();
    this.retryAt.clear();
    // Until nothing is left, or a round adds nothing (a blog that cannot be written, a Worker that fails).
    for (let before = Infinity; this.services.views.pendingViews < before;) {
      before = this.services.views.pendingViews;
      if (!this.writeBlogs(Infinity)) break;
      await this.idle();
    }
  }

  /**
   * Puts every view recorded so far for these blogs into their files (a blog leaving this node:
   * its journal stays here). Returns the views that could not be written.
   */
  async settleBlogs(names: readonly TenantName[]): Promise<number> {
    const { views } = this.services;
    const only = new Set(names);
    const left = () =>
      names.reduce(
        (n, name) => n + views.viewsOf(name).reduce((m, s) => m + s.rows.reduce((k, row) => k + row[2], 0), 0),
        0,
      );
    await this.idle();
    this.append();
    await this.idle();
    if (this.currentUsed) this.rotate();
    for (const name of names) this.retryAt.delete(name);
    for (let round = 0; round < 3 && left() > 0; round++) {
      await this.idle();
      if (!this.writeBlogs(Infinity, only)) break;
      await this.idle();
    }
    return left();
  }

  /** Appends what is left to the journal on this thread and lets the Worker finish (bounded); writes no blog. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.appending;
    const rows = this.services.views.takeFresh();
    if (rows) {
      try {
        this.services.views.journaled(this.journal.appendSync(rows), rows);
      } catch (e) {
        this.services.views.restoreFresh(rows);
        log.error("page views could not be written to the journal at shutdown; they are lost", {
          views: rows.reduce((n, r) => n + r[3], 0),
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    if (this.inFlight)
      await Promise.race([new Promise<void>((resolve) => this.idleWaiters.push(resolve)), Bun.sleep(STOP_WAIT_MS)]);
    this.worker?.terminate();
    this.worker = null;
    this.journal.close();
  }

  private append(): void {
    this.lastAppend = performance.now();
    const rows = this.services.views.takeFresh();
    if (!rows) return;
    this.appending = this.journal.append(rows).then(
      (segment) => {
        this.services.views.journaled(segment, rows);
        this.currentUsed = true;
        if (this.journalFailing) log.info("page views are written to the journal again");
        this.journalFailing = false;
      },
      (e: unknown) => {
        this.services.views.restoreFresh(rows);
        if (!this.journalFailing)
          log.error("page views could not be written to the journal; they are kept in memory and tried again", {
            error: e instanceof Error ? e.message : String(e),
          });
        this.journalFailing = true;
      },
    );
    void this.appending.finally(() => (this.appending = null));
  }

  private rotate(): void {
    this.journal.rotate();
    this.currentUsed = false;
    this.lastRotate = performance.now();
  }

  /** Hands up to `max` blogs with views in closed segments to the Worker (or writes them here); false when there was none. */
  private writeBlogs(max: number, only?: ReadonlySet<TenantName>): boolean {
    const { views, registry } = this.services;
    const current = this.journal.current;
    const now = performance.now();
    const picked = new Set<TenantName>();
    for (const segment of views.pendingSegments()) {
      if (segment >= current || picked.size >= max) break;
      for (const name of views.blogsOf(segment)) {
        if (picked.size >= max) break;
        if (only && !only.has(name)) continue;
        if ((this.retryAt.get(name) ?? 0) > now) continue;
        picked.add(name);
      }
    }
    if (!picked.size) return false;
    const blogs = [...picked].map((name) => ({ name, segments: views.viewsOf(name, current - 1) }));
    const batch: Batch = blogs.map(({ name, segments }) => ({
      name,
      segments: segments.map((s) => s.segment),
      lease: registry.lend(name, { writes: true }),
    }));
    this.inFlight = batch;
    this.batchStarted = performance.now();
    const job: ViewsJob = {
      dataDir: this.services.config.dataDir,
      journal: this.journal.id,
      replicated: this.services.config.replicated,
      blogs,
    };
    if (!this.isWorkerAvailable) {
      // Written here, a few milliseconds' worth per tick; the rest go back for the next one.
      const results: ViewsResult[] = [];
      for (const blog of job.blogs) {
        if (results.length && performance.now() - this.batchStarted > HERE_BUDGET_MS) break;
        results.push(applyToBlog(job.dataDir, job.journal, blog.name, blog.segments, job.replicated));
      }
      this.finish(results);
      return true;
    }
    if (!this.worker) {
      const worker = new Worker(this.options.workerUrl ?? WORKER_URL);
      // Events of a Worker already replaced (after a failure) are not about the batch in flight.
      const mine = () => this.worker === worker;
      worker.onmessage = (event: MessageEvent<ViewsResult[]>) => mine() && this.finish(event.data);
      worker.onerror = (event) => mine() && this.finish(null, event.message);
      worker.addEventListener("close", () => mine() && this.finish(null, "the worker exited"));
      this.worker = worker;
    }
    // Only a batch in flight keeps the process alive, not a Worker waiting for the next one.
    refWorker(this.worker, true);
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
      log.error(
        this.isWorkerAvailable
          ? "the view writer failed; its blogs' views stay pending"
          : "the view writer failed again; the server's thread adds page views to the blogs from now on",
        { blogs: batch.length, error: crash },
      );
    } else {
      this.crashes = 0;
      if (this.worker) refWorker(this.worker, false);
    }
    const { views, registry, metrics } = this.services;
    const byName = new Map((results ?? []).map((r) => [r.name, r]));
    const touched = new Set<number>();
    for (const { name, segments, lease } of batch) {
      const result = byName.get(name);
      for (const segment of segments) touched.add(segment);
      if (result?.ok) {
        views.settled(name, segments, result.rows);
        this.retryAt.delete(name);
        lease.release({ closed: true, report: result.report });
        continue;
      }
      // A Worker that crashed may have left the blog open on its connection.
      lease.release({ closed: crash === undefined, report: null });
      if (result && !result.ok && result.gone) {
        views.drop(name);
      } else if (result) {
        this.retryAt.set(name, performance.now() + RETRY_MS);
        // Logged once per kind of fault every ten minutes, not on every try.
        if (!registry.noteFault(name, Object.assign(new Error(result.error), { code: result.code })))
          log.error("adding page views to a blog failed; they stay pending", { blog: name, error: result.error });
      }
    }
    for (const segment of touched) this.tidy(segment);
    if (results) metrics.flushDuration.observe((performance.now() - this.batchStarted) / 1000);
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** A segment every blog has taken is removed; one only failing blogs still wait for is made small. */
  private tidy(segment: number): void {
    const { views } = this.services;
    if (views.isSettled(segment)) {
      this.journal.remove(segment);
      return;
    }
    const now = performance.now();
    if (views.blogsOf(segment).every((name) => (this.retryAt.get(name) ?? 0) > now))
      this.journal.rewrite(segment, views.rowsOf(segment));
  }
}
