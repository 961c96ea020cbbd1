// Page views. Recording one is a map increment in memory (no SQL on the read path). The server
// journals them to disk every second in one append (server/journal.ts) and adds them to the blogs
// in batches, one transaction per blog and journal segment (applyViews), off the server's thread.
// Until a segment's views are in a blog's file they stay here, so the author's stats can show them.
import type { Database } from "bun:sqlite";
import type { TenantName } from "../tenants/names.ts";
import { dayOf } from "./time.ts";

/** One row of counts: day (YYYY-MM-DD, UTC), post id, views. */
export type ViewRow = [day: string, postId: number, count: number];

/** A journal line's row: the blog, then a ViewRow. */
export type JournalRow = [blog: TenantName, day: string, postId: number, count: number];

/** A blog's views of one journal segment, as handed to applyViews. */
export interface SegmentViews {
  segment: number;
  rows: ViewRow[];
}

/** day → post id → views. */
type Counts = Map<string, Map<number, number>>;

function add(counts: Counts, day: string, postId: number, n: number): void {
  let posts = counts.get(day);
  if (!posts) counts.set(day, (posts = new Map()));
  posts.set(postId, (posts.get(postId) ?? 0) + n);
}

function rowsOf(counts: Counts): ViewRow[] {
  const rows: ViewRow[] = [];
  for (const [day, posts] of counts) for (const [postId, n] of posts) rows.push([day, postId, n]);
  return rows;
}

function total(counts: Counts | undefined): number {
  let n = 0;
  if (counts) for (const posts of counts.values()) for (const c of posts.values()) n += c;
  return n;
}

/**
 * Adds the blog's views of every segment in `segments` it has not taken yet, in one transaction,
 * and records the last segment as taken. A segment is taken whole or not at all, and segments are
 * taken in order, so a journal replayed after a crash adds each view once. Returns the rows added.
 */
export function applyViews(db: Database, journal: string, segments: SegmentViews[]): number {
  return db
    .transaction(() => {
      const done =
        (db.query("SELECT segment FROM views_applied WHERE journal = ?").get(journal) as { segment: number } | null)
          ?.segment ?? 0;
      const fresh = segments.filter((s) => s.segment > done);
      if (!fresh.length) return 0;
      const total = db.query("UPDATE posts SET views = views + ? WHERE id = ?");
      const daily = db.query(
        "INSERT INTO daily_views (post_id, day, views) SELECT id, ?, ? FROM posts WHERE id = ? ON CONFLICT (post_id, day) DO UPDATE SET views = views + excluded.views",
      );
      let rows = 0;
      for (const { rows: list } of fresh) {
        for (const [day, postId, count] of list) {
          total.run(count, postId);
          daily.run(day, count, postId);
          rows++;
        }
      }
      const last = Math.max(...fresh.map((s) => s.segment));
      db.query(
        "INSERT INTO views_applied (journal, segment) VALUES (?, ?) ON CONFLICT (journal) DO UPDATE SET segment = excluded.segment",
      ).run(journal, last);
      return rows;
    })
    .immediate();
}

export class ViewCounter {
  /** Recorded since the last journal append. */
  private fresh = new Map<TenantName, Counts>();
  /** Journaled, not yet in the blog's file: segment → blog → counts. */
  private readonly segments = new Map<number, Map<TenantName, Counts>>();
  /** Rows added to blog files so far (a metric). */
  rowsWritten = 0;

  private dayStart = 0;
  private dayEnd = 0;
  private day = "";

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** One view of a post; `at` (epoch ms) when the caller already read the clock. */
  record(blog: TenantName, postId: number, at = this.now().getTime()): void {
    if (at < this.dayStart || at >= this.dayEnd) {
      // Formatting the day costs more than the rest of record(); do it once per UTC day.
      this.dayStart = at - (at % 86_400_000);
      this.dayEnd = this.dayStart + 86_400_000;
      this.day = dayOf(new Date(at));
    }
    let counts = this.fresh.get(blog);
    if (!counts) this.fresh.set(blog, (counts = new Map()));
    add(counts, this.day, postId, 1);
  }

  /** Everything recorded since the last call, as journal rows; null when there is nothing. */
  takeFresh(): JournalRow[] | null {
    if (this.fresh.size === 0) return null;
    const rows: JournalRow[] = [];
    for (const [blog, counts] of this.fresh)
      for (const [day, postId, n] of rowsOf(counts)) rows.push([blog, day, postId, n]);
    this.fresh = new Map();
    return rows;
  }

  /** Rows written to journal segment `segment` (taken from fresh, or read back from a journal at start). */
  journaled(segment: number, rows: JournalRow[]): void {
    let blogs = this.segments.get(segment);
    if (!blogs) this.segments.set(segment, (blogs = new Map()));
    for (const [blog, day, postId, n] of rows) {
      let counts = blogs.get(blog);
      if (!counts) blogs.set(blog, (counts = new Map()));
      add(counts, day, postId, n);
    }
  }

  /** Rows whose journal append failed: recorded again, to go with the next append. */
  restoreFresh(rows: JournalRow[]): void {
    for (const [blog, day, postId, n] of rows) {
      let counts = this.fresh.get(blog);
      if (!counts) this.fresh.set(blog, (counts = new Map()));
      add(counts, day, postId, n);
    }
  }

  /** Segments with views not yet in their blogs' files, oldest first. */
  pendingSegments(): number[] {
    return [...this.segments.keys()].sort((a, b) => a - b);
  }

  /** Blogs with views of `segment` not yet in their files. */
  blogsOf(segment: number): TenantName[] {
    return [...(this.segments.get(segment)?.keys() ?? [])];
  }

  /** A blog's views of every pending segment up to `upTo`, oldest segment first. */
  viewsOf(blog: TenantName, upTo = Infinity): SegmentViews[] {
    const out: SegmentViews[] = [];
    for (const segment of this.pendingSegments()) {
      if (segment > upTo) break;
      const counts = this.segments.get(segment)!.get(blog);
      if (counts) out.push({ segment, rows: rowsOf(counts) });
    }
    return out;
  }

  /** The blog's views of these segments are in its file (or the blog is gone): forget them. */
  settled(blog: TenantName, segments: number[], rowsWritten = 0): void {
    for (const segment of segments) {
      const blogs = this.segments.get(segment);
      blogs?.delete(blog);
      if (blogs?.size === 0) this.segments.delete(segment);
    }
    this.rowsWritten += rowsWritten;
  }

  /** Whether every blog has taken its views of `segment`. */
  isSettled(segment: number): boolean {
    return !this.segments.has(segment);
  }

  /** The rows of `segment` still to be taken, for rewriting its file smaller. */
  rowsOf(segment: number): JournalRow[] {
    const rows: JournalRow[] = [];
    for (const [blog, counts] of this.segments.get(segment) ?? [])
      for (const [day, postId, n] of rowsOf(counts)) rows.push([blog, day, postId, n]);
    return rows;
  }

  /** A deleted blog: its views have nowhere to go. */
  drop(blog: TenantName): void {
    this.fresh.delete(blog);
    for (const segment of this.pendingSegments()) this.settled(blog, [segment]);
  }

  /** Views recorded and not yet in their blogs' files, over every blog. */
  get pendingViews(): number {
    let n = 0;
    for (const counts of this.fresh.values()) n += total(counts);
    for (const blogs of this.segments.values()) for (const counts of blogs.values()) n += total(counts);
    return n;
  }

  /** Views recorded and not yet journaled (what a kill -9 would lose). */
  get unjournaledViews(): number {
    let n = 0;
    for (const counts of this.fresh.values()) n += total(counts);
    return n;
  }

  /** The blog's views not yet in its file, as rows (summed over days and segments). */
  pendingRows(blog: TenantName): ViewRow[] {
    const sum: Counts = new Map();
    const all = [this.fresh.get(blog), ...[...this.segments.values()].map((blogs) => blogs.get(blog))];
    for (const counts of all)
      if (counts) for (const [day, posts] of counts) for (const [postId, n] of posts) add(sum, day, postId, n);
    return rowsOf(sum);
  }

  pendingFor(blog: TenantName): number {
    return this.pendingRows(blog).reduce((n, [, , c]) => n + c, 0);
  }
}
