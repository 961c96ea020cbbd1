// The batched view counter. Recording a view is a map increment in memory (no SQL on the read
// path); a flusher writes each blog's pending counts in one transaction into posts.views and
// daily_views. Counts stay pending until their blog's transaction commits: a blog whose flush
// fails keeps them and is retried next time, while the other blogs flush. Pending counts do not
// depend on the blog being open, so evicting a blog from the pool loses nothing.
import type { Database } from "bun:sqlite";
import type { TenantName } from "../tenants/names.ts";
import { dayOf } from "./time.ts";

/** Per blog: when its oldest unwritten view was recorded, and "postId\u0000day" → count. */
interface BlogPending {
  since: number;
  counts: Map<string, number>;
}

export interface FlushResult {
  blogs: number;
  rows: number;
  failed: { blog: TenantName; error: string; cause: unknown }[];
}

export class ViewCounter {
  private pending = new Map<TenantName, BlogPending>();
  flushRuns = 0;
  rowsWritten = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  private dayStart = 0;
  private dayEnd = 0;
  private day = "";

  record(blog: TenantName, postId: number): void {
    const now = this.now().getTime();
    if (now < this.dayStart || now >= this.dayEnd) {
      // Formatting the day costs more than the rest of record(); do it once per UTC day.
      this.dayStart = now - (now % 86_400_000);
      this.dayEnd = this.dayStart + 86_400_000;
      this.day = dayOf(new Date(now));
    }
    let entry = this.pending.get(blog);
    if (!entry) this.pending.set(blog, (entry = { since: now, counts: new Map() }));
    const key = postId + "\u0000" + this.day;
    entry.counts.set(key, (entry.counts.get(key) ?? 0) + 1);
  }

  /** Views recorded and not yet written, over every blog. */
  get pendingViews(): number {
    let n = 0;
    for (const { counts } of this.pending.values()) for (const c of counts.values()) n += c;
    return n;
  }

  pendingFor(blog: TenantName): number {
    let n = 0;
    for (const c of this.pending.get(blog)?.counts.values() ?? []) n += c;
    return n;
  }

  /** Blogs with pending views, oldest first; with `olderThan`, only those waiting since before it. */
  blogs(olderThan = Infinity): TenantName[] {
    const out: TenantName[] = [];
    for (const [blog, { since }] of this.pending) if (since < olderThan) out.push(blog);
    return out;
  }

  /**
   * Writes one blog's pending views through `db` in one transaction. On failure the counts are
   * put back (added to any recorded meanwhile) and the error is rethrown.
   */
  flushBlog(blog: TenantName, db: Database): number {
    const entry = this.pending.get(blog);
    if (!entry || entry.counts.size === 0) return 0;
    const { counts } = entry;
    this.pending.delete(blog);
    try {
      db.transaction(() => {
        const total = db.query("UPDATE posts SET views = views + ? WHERE id = ?");
        const daily = db.query("INSERT INTO daily_views (post_id, day, views) SELECT id, ?, ? FROM posts WHERE id = ? ON CONFLICT (post_id, day) DO UPDATE SET views = views + excluded.views");
        for (const [key, count] of counts) {
          const [id, day] = key.split("\u0000");
          total.run(count, Number(id));
          daily.run(day, count, Number(id));
        }
      })();
    } catch (e) {
      // Put the counts back, keeping their age, merged with any recorded meanwhile.
      const merged = this.pending.get(blog) ?? { since: entry.since, counts: new Map<string, number>() };
      merged.since = Math.min(merged.since, entry.since);
      for (const [key, count] of counts) merged.counts.set(key, (merged.counts.get(key) ?? 0) + count);
      this.pending.set(blog, merged);
      throw e;
    }
    this.rowsWritten += counts.size;
    return counts.size;
  }

  /**
   * Flushes the given blogs (every blog with pending views by default). `withDatabase` hands over
   * the blog's database (the pool's open handle, or a briefly opened one); a blog that fails
   * keeps its counts. `shouldContinue` lets the caller stop early (a time budget).
   */
  flushAll(withDatabase: (blog: TenantName, use: (db: Database) => void) => void, blogs: TenantName[] = this.blogs(), shouldContinue: () => boolean = () => true): FlushResult {
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
