// What the author sees of their readers: views per day (daily_views, UTC days) and per post
// (posts.views), both written by the batched view counter (views.ts).
import type { Database } from "bun:sqlite";
import { dayOf } from "./time.ts";

export interface DayViews {
  day: string;
  views: number;
}

export interface PostViews {
  id: number;
  slug: string;
  title: string;
  status: string;
  views: number;
  /** Views within the chart's window. */
  recent: number;
}

/** One entry per day, oldest first, ending with `today`'s UTC day; days without views are 0. */
export function dailyViews(db: Database, today: Date, days = 30): DayViews[] {
  const out: DayViews[] = [];
  for (let i = days - 1; i >= 0; i--) out.push({ day: dayOf(new Date(today.getTime() - i * 86_400_000)), views: 0 });
  const rows = db
    .query("SELECT day, sum(views) AS views FROM daily_views WHERE day >= ? AND day <= ? GROUP BY day")
    .all(out[0].day, out[out.length - 1].day) as DayViews[];
  const byDay = new Map(rows.map((r) => [r.day, r.views]));
  for (const d of out) d.views = byDay.get(d.day) ?? 0;
  return out;
}

/** Every post with views, most viewed first, with its views since `fromDay`. */
export function viewsPerPost(db: Database, fromDay: string, limit = 500): PostViews[] {
  return db
    .query(
      `SELECT posts.id, posts.slug, posts.title, posts.status, posts.views, coalesce(recent.views, 0) AS recent
       FROM posts LEFT JOIN (SELECT post_id, sum(views) AS views FROM daily_views WHERE day >= ? GROUP BY post_id) AS recent ON recent.post_id = posts.id
       WHERE posts.views > 0 OR recent.views > 0 ORDER BY posts.views DESC, posts.id DESC LIMIT ?`,
    )
    .all(fromDay, limit) as PostViews[];
}

export function totalViews(db: Database): number {
  return (db.query("SELECT coalesce(sum(views), 0) AS n FROM posts").get() as { n: number }).n;
}

export interface Stats {
  days: DayViews[];
  posts: PostViews[];
  total: number;
}

/**
 * What the blog's file says, plus views the server has counted but not yet added to it (ViewRow:
 * day, post id, views), so the author sees every read at once.
 */
export function withPendingViews(
  db: Database,
  stats: Stats,
  pending: [day: string, postId: number, count: number][],
): Stats {
  if (!pending.length) return stats;
  const days = stats.days.map((d) => ({ ...d }));
  const byDay = new Map(days.map((d) => [d.day, d]));
  const posts = new Map(stats.posts.map((p) => [p.id, { ...p }]));
  const from = days[0]?.day ?? "";
  let total = stats.total;
  for (const [day, postId, count] of pending) {
    let post = posts.get(postId);
    if (!post) {
      const row = db.query("SELECT id, slug, title, status, views FROM posts WHERE id = ?").get(postId) as Omit<
        PostViews,
        "recent"
      > | null;
      if (!row) continue; // deleted since
      posts.set(postId, (post = { ...row, recent: 0 }));
    }
    post.views += count;
    if (day >= from) post.recent += count;
    const d = byDay.get(day);
    if (d) d.views += count;
    total += count;
  }
  return { days, posts: [...posts.values()].sort((a, b) => b.views - a.views || b.id - a.id), total };
}
