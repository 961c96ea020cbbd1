// What /metrics reports, in the Prometheus text format (prom-client). Each server (and each test
// app) has its own registry. Most figures already exist as plain counters on the pool, the page
// cache and the view counter: they are read when Prometheus scrapes (`collect`), so the request
// path pays nothing for them. Only what has no counter elsewhere is counted here.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from "prom-client";
import type { ViewCounter } from "../blog/views.ts";
import type { FaultKind } from "../tenants/faults.ts";
import type { Pool } from "../tenants/pool.ts";
import type { BlogRegistry } from "../tenants/registry.ts";
import type { PageCache } from "./pagecache.ts";

/** What the scrape-time figures are read from; a getter, so a test may swap the pool. */
export interface MetricSources {
  registry: BlogRegistry;
  pool: Pool;
  pages: PageCache;
  views: ViewCounter;
}

const STATUS_CLASSES = ["other", "1xx", "2xx", "3xx", "4xx", "5xx"] as const;
const FAULT_KINDS: FaultKind[] = ["corrupt", "read-only", "full", "io", "cannot-open", "busy"];

/**
 * The request latency histogram, observed on every request. prom-client's Histogram.observe hashes
 * its labels on each call, several times the cost of the rest of a cached page's bookkeeping; this
 * counts into a plain array and hands prom-client the same samples (cumulative `_bucket` lines with
 * `le`, `_sum`, `_count`) when Prometheus scrapes.
 */
class RequestLatency {
  readonly name = "writekit_http_request_duration_seconds";
  readonly help = "Time from a request's arrival to its answer being ready.";
  readonly type = "histogram";
  readonly aggregator = "sum";
  /** counts[i]: observations ≤ bounds[i] and > bounds[i - 1]; the last one is above every bound. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Observations so far. */
  get observed(): number {
    return this.count;
  }

  observe(seconds: number): void {
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  /** What prom-client's registry reads from a metric when it renders the exposition text. */
  get(): {
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { metricName: string; labels: Record<string, string | number>; value: number }[];
  } {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i];
      values.push({ metricName: `${this.name}_bucket`, labels: { le: this.bounds[i] }, value: cumulative });
    }
    values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf" }, value: this.count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.count });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = this.count = 0;
  }
}

export class Metrics {
  readonly registry = new Registry();
  /** Comments accepted from readers (committed, whether held for moderation or not). */
  readonly commentsReceived: Counter;
  /** Sign-ins refused for a wrong email or password (the admin's /admin/login calls inc()). */
  readonly failedSignIns: Counter;
  /** One observation per flusher run that had views to write. */
  readonly flushDuration: Histogram;
  private readonly latency: RequestLatency;
  /** Answers by status class (index: status / 100), counted as plain numbers per request. */
  private readonly statusCounts = new Float64Array(STATUS_CLASSES.length);

  constructor(sources: () => MetricSources) {
    const registers = [this.registry];
    const statusCounts = this.statusCounts;
    /** A counter whose value is read from elsewhere at scrape time. */
    const counterFrom = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const gaugeFrom = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });

    new Counter({
      name: "writekit_http_requests_total",
      help: "HTTP answers by status class.",
      labelNames: ["class"],
      registers,
      collect() {
        this.reset();
        for (let i = 0; i < STATUS_CLASSES.length; i++)
          if (statusCounts[i] > 0) this.inc({ class: STATUS_CLASSES[i] }, statusCounts[i]);
      },
    });
    this.latency = new RequestLatency([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
    this.registry.registerMetric(this.latency as unknown as Metric);

    gaugeFrom("writekit_pool_open_blogs", "Blog databases open now.", () => sources().pool.size);
    gaugeFrom(
      "writekit_pool_max_open_blogs",
      "Most blog databases kept open at once (--max-open).",
      () => sources().pool.maxOpen,
    );
    counterFrom("writekit_pool_hits_total", "Requests whose blog was already open.", () => sources().pool.stats.hits);
    counterFrom(
      "writekit_pool_misses_total",
      "Requests that had to open their blog.",
      () => sources().pool.stats.misses,
    );
    counterFrom(
      "writekit_pool_evictions_total",
      "Blogs closed to make room for another (LRU).",
      () => sources().pool.stats.evictions,
    );
    counterFrom(
      "writekit_pool_open_failures_total",
      "Blog opens that failed (corrupt, unreadable, too new, busy).",
      () => sources().registry.openFailures,
    );
    counterFrom(
      "writekit_blog_brief_reads_total",
      "Pages rendered from a blog that was not open, each on a connection opened for that render alone.",
      () => sources().registry.briefReads,
    );
    counterFrom(
      "writekit_pool_open_seconds_total",
      "Time spent opening blogs (open, pragmas, schema check).",
      () => sources().registry.openMs / 1000,
    );
    new Counter({
      name: "writekit_storage_faults_total",
      help: "SQLite errors from blog files, by kind (corrupt, read-only, full, io, cannot-open, busy).",
      labelNames: ["kind"],
      registers,
      collect() {
        this.reset();
        const faults = sources().registry.faults.counts;
        for (const kind of FAULT_KINDS) this.inc({ kind }, faults[kind]);
      },
    });

    counterFrom("writekit_page_cache_hits_total", "Reader pages served from memory.", () => sources().pages.hits);
    counterFrom(
      "writekit_page_store_hits_total",
      "Reader pages served from the page store on disk (DATA/cache/pages.db).",
      () => sources().pages.storeHits,
    );
    gaugeFrom(
      "writekit_page_store_bytes",
      "Bytes of rendered pages in the page store on disk.",
      () => sources().pages.store?.bytesStored ?? 0,
    );
    counterFrom(
      "writekit_page_cache_misses_total",
      "Reader pages found neither in memory nor on disk (rendered, or not found).",
      () => sources().pages.misses,
    );
    gaugeFrom("writekit_page_cache_bytes", "Bytes held by the page cache.", () => sources().pages.bytes);
    gaugeFrom("writekit_page_cache_entries", "Pages held by the page cache.", () => sources().pages.size);

    this.flushDuration = new Histogram({
      name: "writekit_view_flush_duration_seconds",
      help: "Time of each batch of blogs the view flusher wrote (its count is the number of batches).",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    counterFrom(
      "writekit_view_flush_rows_total",
      "Rows (post and day) the view flusher added to blogs.",
      () => sources().views.rowsWritten,
    );
    gaugeFrom(
      "writekit_views_pending",
      "Page views not yet in their blogs' files (journaled, or about to be).",
      () => sources().views.pendingViews,
    );
    gaugeFrom(
      "writekit_views_unjournaled",
      "Page views counted in memory and not yet in the journal (what a kill -9 loses).",
      () => sources().views.unjournaledViews,
    );

    this.commentsReceived = new Counter({
      name: "writekit_comments_received_total",
      help: "Comments accepted from readers.",
      registers,
    });
    this.failedSignIns = new Counter({
      name: "writekit_failed_sign_ins_total",
      help: "Sign-ins refused for a wrong email or password.",
      registers,
    });

    // process_resident_memory_bytes, heap sizes, open file descriptors, CPU time, event loop lag.
    collectDefaultMetrics({ register: this.registry });
  }

  /** One answered request. Called for every request: two array writes and a histogram bucket. */
  observeRequest(status: number, seconds: number): void {
    const cls = (status / 100) | 0;
    this.statusCounts[cls >= 1 && cls <= 5 ? cls : 0]++;
    this.latency.observe(seconds);
  }

  /** Requests answered since the server started. */
  get requestsAnswered(): number {
    return this.latency.observed;
  }

  /** The exposition text, and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
