// The batched view counter. Recording a view is a map increment in memory (no SQL on the read
// path); a flusher writes each blog's pending counts in one transaction into posts.views and
// daily_views. Counts stay pending until their blog's transaction commits: a blog whose flush
// fails keeps them and is retried next time, while the other blogs flush. Pending counts do not
// depend on the blog being open, so evicting a blog from the pool loses nothing.
import type { Database } from "bun:sqlite";
import type { TenantName } from "../tenants/names.ts";
import { dayOf } from "./time.ts";

/**
 * Per blog: when its oldest unwritten view was recorded, and post id → count for the day views are
 * recorded on now. Earlier days (a flush that waited past midnight) are kept aside, so the common
 * case is one small Map per blog and no lookup by day.
 */
interface BlogPending {
  since: number;
  day: string;
  counts: Map<number, number>;
  earlier: Map<string, Map<number, number>> | null;
}

/** Every day of a blog's pending counts, the current one last. */
function* daysOf(entry: BlogPending): Generator<[string, Map<number, number>]> {
  if (entry.earlier) yield* entry.earlier;
  yield [entry.day, entry.counts];
}

/** One row of counts to write: day (YYYY-MM-DD, UTC), post id, views. */
export type ViewRow = [day: string, postId: number, count: number];

/** A blog's pending views taken out of the counter (see ViewCounter.take). */
export interface TakenViews {
  since: number;
  rows: ViewRow[];
}

/** Adds taken counts to posts.views and daily_views in one transaction. */
export function writeViews(db: Database, taken: TakenViews): void {
  db.transaction(() => {
    const total = db.query("UPDATE posts SET views = views + ? WHERE id = ?");
    const daily = db.query("INSERT INTO daily_views (post_id, day, views) SELECT id, ?, ? FROM posts WHERE id = ? ON CONFLICT (post_id, day) DO UPDATE SET views = views + excluded.views");
    for (const [day, postId, count] of taken.rows) {
      total.run(count, postId);
      daily.run(day, count, postId);
    }
  })();
}

export interface FlushResult {
  blogs: number;
  rows: number;
  failed: { blog: TenantName; error: string; cause: unknown }[];
}

function countOf(entry: BlogPending | undefined): number {
  let n = 0;
  if (entry) for (const [, counts] of daysOf(entry)) for (const c of counts.values()) n += c;
  return n;
}

export class ViewCounter {
  private pending = new Map<TenantName, BlogPending>();
  flushRuns = 0;
  rowsWritten = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  private dayStart = 0;
  private dayEnd = 0;
  private day = "";

  /** One view of a post; `at` (epoch ms) when the caller already read the clock. */
  record(blog: TenantName, postId: number, at = this.now().getTime()): void {
    if (at < this.dayStart || at >= this.dayEnd) {
      // Formatting the day costs more than the rest of record(); do it once per UTC day.
      this.dayStart = at - (at % 86_400_000);
      this.dayEnd = this.dayStart + 86_400_000;
      this.day = dayOf(new Date(at));
    }
    const entry = this.entryFor(blog, this.day, at);
    entry.counts.set(postId, (entry.counts.get(postId) ?? 0) + 1);
  }

  /** The blog's pending counts for `day`, made when missing; `since` is kept as the oldest. */
  private entryFor(blog: TenantName, day: string, since: number): BlogPending {
    let entry = this.pending.get(blog);
    if (!entry) this.pending.set(blog, (entry = { since, day, counts: new Map(), earlier: null }));
    else if (entry.day !== day) {
      // A new day (or an older one put back by a failed flush): keep the other day's counts aside.
      const earlier = (entry.earlier ??= new Map());
      earlier.set(entry.day, entry.counts);
      entry.counts = earlier.get(day) ?? new Map();
      earlier.delete(day);
      entry.day = day;
      if (earlier.size === 0) entry.earlier = null;
    }
    if (since < entry.since) entry.since = since;
    return entry;
  }

  /** Views recorded and not yet written, over every blog. */
  get pendingViews(): number {
    let n = 0;
    for (const entry of this.pending.values()) n += countOf(entry);
    return n;
  }

  pendingFor(blog: TenantName): number {
    return countOf(this.pending.get(blog));
  }

  /** Whether the blog has views waiting since before `olderThan` (epoch ms). */
  isDue(blog: TenantName, olderThan = Infinity): boolean {
    const entry = this.pending.get(blog);
    return entry !== undefined && entry.since < olderThan;
  }

  /**
   * Blogs with views waiting since before `olderThan`, oldest first, found lazily: a blog joins the
   * end of the list with its first unwritten view and leaves it when written, so the walk stops at
   * the first blog that is not due, and a flusher that writes a few blogs per tick never scans
   * thousands. (A blog put back after a failed write rejoins at the end with its old age: it is
   * retried once the blogs ahead of it are written or due.)
   */
  *dueBlogs(olderThan = Infinity): Generator<TenantName> {
    for (const [blog, { since }] of this.pending) {
      if (since >= olderThan) return;
      yield blog;
    }
  }

  /**
   * Takes a blog's pending views out of the counter, to be written elsewhere (a Worker): a plain,
   * cloneable value. Views recorded meanwhile start a new entry; `putBack` merges them.
   */
  take(blog: TenantName): TakenViews | undefined {
    const entry = this.pending.get(blog);
    if (!entry) return undefined;
    this.pending.delete(blog);
    const rows: ViewRow[] = [];
    for (const [day, counts] of daysOf(entry)) for (const [postId, count] of counts) rows.push([day, postId, count]);
    return { since: entry.since, rows };
  }

  /** Counts taken and not written (their write failed): back, keeping their age. */
  putBack(blog: TenantName, taken: TakenViews): void {
    for (const [day, postId, count] of taken.rows) {
      const entry = this.entryFor(blog, day, taken.since);
      entry.counts.set(postId, (entry.counts.get(postId) ?? 0) + count);
    }
  }

  /** Counts taken and written elsewhere. */
  written(taken: TakenViews): void {
    this.rowsWritten += taken.rows.length;
  }

  /**
   * Writes one blog's pending views through `db` in one transaction. On failure the counts are
   * put back (added to any recorded meanwhile) and the error is rethrown.
   */
  flushBlog(blog: TenantName, db: Database): number {
    const taken = this.take(blog);
    if (!taken) return 0;
    try {
      writeViews(db, taken);
    } catch (e) {
      this.putBack(blog, taken);
      throw e;
    }
    this.written(taken);
    return taken.rows.length;
  }

  /**
   * Flushes the given blogs (every blog with pending views by default). `withDatabase` hands over
   * the blog's database (the pool's open handle, or a briefly opened one); a blog that fails
   * keeps its counts. `shouldContinue` lets the caller stop early (a time budget).
   */
  flushAll(withDatabase: (blog: TenantName, use: (db: Database) => void) => void, blogs: Iterable<TenantName> = [...this.dueBlogs()], shouldContinue: () => boolean = () => true): FlushResult {
    this.flushRuns++;
    const result: FlushResult = { blogs: 0, rows: 0, failed: [] };
    for (const blog of blogs) {
      if (!shouldContinue()) break;
      try {
        withDatabase(blog, (db) => {
          result.rows += this.flushBlog(blog, db);
        });
        result.blogs++;
      } catch (e) {
        result.failed.push({ blog, error: e instanceof Error ? e.message : String(e), cause: e });
      }
    }
    return result;
  }

  /** Forgets a deleted blog's counts. */
  drop(blog: TenantName): void {
    this.pending.delete(blog);
  }
}
