// Posts and pages: reading what readers may see, and saving what authors write. Markdown is
// rendered here, at save time, so a read never renders. Every statement goes through db.query(),
// which prepares it once per open database.
//
// A page (About, Now) is a post row with kind = 'page': it answers at /<slug> (getVisiblePage) and
// is in the sitemap (listVisiblePages), but never in lists, tag pages, feeds or search, which all
// read kind = 'post' only.
//
// Longer than most modules: every statement over the posts table, so the visibility rule is written
// once.
import type { Database } from "bun:sqlite";
import { excerptOf, renderMarkdown } from "./markdown.ts";
import { mediaSizeByUrl } from "./media.ts";
import { setPostTags, tagsOfPost, tagsOfPosts } from "./tags.ts";
import { isoTime } from "./time.ts";

export type PostStatus = "draft" | "published" | "scheduled";
export type PostKind = "post" | "page";

export interface Post {
  id: number;
  slug: string;
  title: string;
  body: string;
  html: string;
  excerpt: string;
  status: PostStatus;
  kind: PostKind;
  published_at: string | null;
  created_at: string;
  updated_at: string;
  views: number;
  tags: string[];
}

export type PostSummary = Pick<Post, "id" | "slug" | "title" | "excerpt" | "published_at" | "updated_at" | "tags">;

export interface PostInput {
  title: string;
  body: string;
  /** Derived from the title when empty. */
  slug?: string;
  tags?: string[];
  /** "published" with a future publishedAt is stored as "scheduled". */
  status: "draft" | "published";
  /** ISO time; defaults to now when publishing. */
  publishedAt?: string | null;
  /** "post" when a new one is created without it; an update without it keeps what the row has. */
  kind?: PostKind;
}

export class PostError extends Error {
  override name = "PostError";
  constructor(
    readonly field: "title" | "body" | "slug" | "tags" | "publishedAt" | "kind",
    message: string,
  ) {
    super(message);
  }
}

/** The post changed since the editor loaded it. */
export class ConflictError extends Error {
  override name = "ConflictError";
}

export const LIMITS = { title: 300, body: 500_000, slug: 120, tags: 20 } as const;

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Slugs that would shadow a page of the blog itself. */
const RESERVED_SLUGS = new Set([
  "admin",
  "tags",
  "search",
  "feed.xml",
  "feed.json",
  "sitemap.xml",
  "robots.txt",
  "assets",
  "healthz",
  "metrics",
  "tls-check",
  "page",
  "comments",
]);

export function slugify(title: string): string {
  return title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .replace(/-+$/, "");
}

export function isValidSlug(slug: string): boolean {
  return slug.length <= LIMITS.slug && SLUG.test(slug) && !RESERVED_SLUGS.has(slug);
}

const COLUMNS = "id, slug, title, body, html, excerpt, status, kind, published_at, created_at, updated_at, views";
/** What readers' pages and feeds show: everything but the Markdown source, often as long as the HTML. */
const READER_COLUMNS = "id, slug, title, html, excerpt, status, kind, published_at, created_at, updated_at, views";
const SUMMARY = "id, slug, title, excerpt, published_at, updated_at";
/** What readers may see: published or scheduled, and its time has come (the term the index posts_by_kind_date is partial on comes first). */
const VISIBLE = "status != 'draft' AND published_at <= ?";
/** Visible posts, pages left out: what every list, feed, tag page and search reads. */
const LISTED = `kind = 'post' AND ${VISIBLE}`;

type Row = Omit<Post, "tags">;

/** A post or page as readers get it: without its Markdown source. */
export type ReaderPost = Omit<Post, "body">;

function withTags<T extends { id: number }>(db: Database, rows: T[]): (T & { tags: string[] })[] {
  if (rows.length <= 1) return rows.map((r) => ({ ...r, tags: tagsOfPost(db, r.id) }));
  const tags = tagsOfPosts(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, tags: tags.get(r.id) ?? [] }));
}

/** The post at /<slug> as readers see it (a page at that slug is not a post: getVisiblePage). */
export function getVisiblePost(db: Database, slug: string, now: Date): ReaderPost | null {
  const row = db
    .query(`SELECT ${READER_COLUMNS} FROM posts WHERE slug = ? AND kind = 'post' AND ${VISIBLE}`)
    .get(slug, isoTime(now)) as Omit<ReaderPost, "tags"> | null;
  return row ? withTags(db, [row])[0] : null;
}

/** The page at /<slug> as readers see it. */
export function getVisiblePage(db: Database, slug: string, now: Date): ReaderPost | null {
  const row = db
    .query(`SELECT ${READER_COLUMNS} FROM posts WHERE slug = ? AND kind = 'page' AND ${VISIBLE}`)
    .get(slug, isoTime(now)) as Omit<ReaderPost, "tags"> | null;
  return row ? withTags(db, [row])[0] : null;
}

export type PageSummary = Pick<Post, "id" | "slug" | "title" | "published_at" | "updated_at">;

/** Every visible page, by title: for the sitemap and for choosing menu links. */
export function listVisiblePages(db: Database, now: Date): PageSummary[] {
  return db
    .query(
      `SELECT id, slug, title, published_at, updated_at FROM posts WHERE kind = 'page' AND ${VISIBLE} ORDER BY title, id`,
    )
    .all(isoTime(now)) as PageSummary[];
}

export function getPost(db: Database, id: number): Post | null {
  const row = db.query(`SELECT ${COLUMNS} FROM posts WHERE id = ?`).get(id) as Row | null;
  return row ? withTags(db, [row])[0] : null;
}

export function getPostBySlug(db: Database, slug: string): Post | null {
  const row = db.query(`SELECT ${COLUMNS} FROM posts WHERE slug = ?`).get(slug) as Row | null;
  return row ? withTags(db, [row])[0] : null;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export function listVisiblePosts(
  db: Database,
  options: { limit: number; offset: number; now: Date },
): Page<PostSummary> {
  const now = isoTime(options.now);
  const rows = db
    .query(`SELECT ${SUMMARY} FROM posts WHERE ${LISTED} ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?`)
    .all(now, options.limit, options.offset) as Omit<PostSummary, "tags">[];
  const total = (db.query(`SELECT count(*) AS n FROM posts WHERE ${LISTED}`).get(now) as { n: number }).n;
  return { items: withTags(db, rows), total };
}

export function listVisiblePostsWithTag(
  db: Database,
  tag: string,
  options: { limit: number; offset: number; now: Date },
): Page<PostSummary> {
  const now = isoTime(options.now);
  const rows = db
    .query(
      `SELECT ${SUMMARY} FROM posts WHERE ${LISTED} AND id IN (SELECT post_id FROM post_tags JOIN tags ON tags.id = tag_id WHERE tags.name = ?) ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?`,
    )
    .all(now, tag, options.limit, options.offset) as Omit<PostSummary, "tags">[];
  const total = (
    db
      .query(
        `SELECT count(*) AS n FROM posts WHERE ${LISTED} AND id IN (SELECT post_id FROM post_tags JOIN tags ON tags.id = tag_id WHERE tags.name = ?)`,
      )
      .get(now, tag) as { n: number }
  ).n;
  return { items: withTags(db, rows), total };
}

/** Full posts for feeds: the newest `limit` visible ones (no pages: listVisiblePages). */
export function listVisiblePostsFull(db: Database, options: { limit: number; now: Date }): ReaderPost[] {
  const rows = db
    .query(`SELECT ${READER_COLUMNS} FROM posts WHERE ${LISTED} ORDER BY published_at DESC, id DESC LIMIT ?`)
    .all(isoTime(options.now), options.limit) as Omit<ReaderPost, "tags">[];
  return withTags(db, rows);
}

/** Full posts with one tag for its feed: the newest `limit` visible ones. */
export function listVisiblePostsFullWithTag(
  db: Database,
  tag: string,
  options: { limit: number; now: Date },
): ReaderPost[] {
  const rows = db
    .query(
      `SELECT ${READER_COLUMNS} FROM posts WHERE ${LISTED} AND id IN (SELECT post_id FROM post_tags JOIN tags ON tags.id = tag_id WHERE tags.name = ?) ORDER BY published_at DESC, id DESC LIMIT ?`,
    )
    .all(isoTime(options.now), tag, options.limit) as Omit<ReaderPost, "tags">[];
  return withTags(db, rows);
}

/** Every visible post's address and last change, newest first: what the sitemap lists. */
export function listVisibleSlugs(db: Database, now: Date): Pick<Post, "slug" | "updated_at">[] {
  return db
    .query(`SELECT slug, updated_at FROM posts WHERE ${LISTED} ORDER BY published_at DESC, id DESC`)
    .all(isoTime(now)) as Pick<Post, "slug" | "updated_at">[];
}

/** Every post and page, drafts included, newest change first (the author's list). */
export function listAllPosts(
  db: Database,
): Pick<Post, "id" | "slug" | "title" | "status" | "kind" | "published_at" | "updated_at" | "views">[] {
  return db
    .query(
      "SELECT id, slug, title, status, kind, published_at, updated_at, views FROM posts ORDER BY updated_at DESC, id DESC",
    )
    .all() as any[];
}

/** The earliest future publication time, so cached pages know when a scheduled post appears. */
export function nextScheduledTime(db: Database, now: Date): string | null {
  const row = db
    .query("SELECT min(published_at) AS t FROM posts WHERE status != 'draft' AND published_at > ?")
    .get(isoTime(now)) as { t: string | null };
  return row.t;
}

/** The current slug of a post or page that used to live at `oldSlug` (for a 301), if it is visible. */
export function findRedirect(db: Database, oldSlug: string, now: Date): string | null {
  const row = db
    .query(
      `SELECT posts.slug FROM redirects JOIN posts ON posts.id = redirects.post_id WHERE old_slug = ? AND ${VISIBLE.replace(/status|published_at/g, (c) => "posts." + c)}`,
    )
    .get(oldSlug, isoTime(now)) as { slug: string } | null;
  return row?.slug ?? null;
}

interface Prepared {
  kind: PostKind | null;
  title: string;
  body: string;
  slug: string;
  tags: string[];
  status: PostStatus;
  publishedAt: string | null;
  html: string;
  excerpt: string;
}

export function normaliseTag(tag: string): string {
  return tag
    .normalize("NFKC")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 50);
}

/** Parses "a, b c" typed in a form into normalised, unique tag names. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(",").map(normaliseTag).filter(Boolean))];
}

function prepare(db: Database, input: PostInput, now: Date, ownId: number | null): Prepared {
  const title = input.title.trim();
  if (!title) throw new PostError("title", "A post needs a title.");
  if (title.length > LIMITS.title)
    throw new PostError("title", `The title is ${title.length} characters long; the limit is ${LIMITS.title}.`);
  if (input.body.length > LIMITS.body)
    throw new PostError("body", `The body is ${input.body.length} characters long; the limit is ${LIMITS.body}.`);
  let slug = (input.slug ?? "").trim().toLowerCase();
  if (slug) {
    if (!isValidSlug(slug))
      throw new PostError(
        "slug",
        RESERVED_SLUGS.has(slug)
          ? `"${slug}" is used by the blog itself; choose another slug.`
          : "A slug is lower-case letters, digits and single hyphens, like my-first-post.",
      );
  } else {
    slug = uniqueSlug(db, slugify(title) || "post", ownId);
  }
  const clash = db.query("SELECT id FROM posts WHERE slug = ?").get(slug) as { id: number } | null;
  if (clash && clash.id !== ownId) throw new PostError("slug", `Another post already uses the slug "${slug}".`);
  const tags = [...new Set((input.tags ?? []).map(normaliseTag).filter(Boolean))];
  if (tags.length > LIMITS.tags) throw new PostError("tags", `A post can have at most ${LIMITS.tags} tags.`);
  let status: PostStatus = "draft";
  let publishedAt = input.publishedAt ?? null;
  if (publishedAt !== null) {
    const d = new Date(publishedAt);
    if (Number.isNaN(d.getTime())) throw new PostError("publishedAt", "The publish date is not a valid date and time.");
    publishedAt = isoTime(d);
  }
  if (input.status === "published") {
    publishedAt ??= isoTime(now);
    status = publishedAt > isoTime(now) ? "scheduled" : "published";
  }
  const html = renderMarkdown(input.body, { imageSize: (src) => mediaSizeByUrl(db, src) });
  const kind = input.kind ?? null;
  if (kind !== null && kind !== "post" && kind !== "page")
    throw new PostError("kind", `"${String(kind)}" is neither a post nor a page.`);
  return { kind, title, body: input.body, slug, tags, status, publishedAt, html, excerpt: excerptOf(html) };
}

function uniqueSlug(db: Database, base: string, ownId: number | null): string {
  const taken = (s: string) => {
    const row = db.query("SELECT id FROM posts WHERE slug = ?").get(s) as { id: number } | null;
    return (row && row.id !== ownId) || RESERVED_SLUGS.has(s);
  };
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}-${i}`)) return `${base}-${i}`;
}

export function createPost(db: Database, input: PostInput, now = new Date()): Post {
  return db.transaction(() => {
    const p = prepare(db, input, now, null);
    const stamp = isoTime(now);
    const { id } = db
      .query(
        "INSERT INTO posts (slug, title, body, html, excerpt, status, kind, published_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      )
      .get(p.slug, p.title, p.body, p.html, p.excerpt, p.status, p.kind ?? "post", p.publishedAt, stamp, stamp) as {
      id: number;
    };
    setPostTags(db, id, p.tags);
    return getPost(db, id)!;
  })();
}

/**
 * Saves a new version of a post. The version it replaces is kept in `revisions`; when
 * `expectedUpdatedAt` is given and the post changed since, nothing is written (ConflictError).
 * A published post whose slug changes leaves a redirect from the old slug.
 */
export function updatePost(
  db: Database,
  id: number,
  input: PostInput,
  options: { expectedUpdatedAt?: string; now?: Date } = {},
): Post {
  const now = options.now ?? new Date();
  return db.transaction(() => {
    const old = getPost(db, id);
    if (!old) throw new PostError("title", "This post no longer exists.");
    if (options.expectedUpdatedAt !== undefined && options.expectedUpdatedAt !== old.updated_at) {
      throw new ConflictError(
        `This post was changed (at ${old.updated_at}) after you opened the editor. Your text is kept below; review the current version before saving again.`,
      );
    }
    const p = prepare(
      db,
      {
        ...input,
        publishedAt: input.publishedAt ?? (input.status === "published" ? old.published_at : input.publishedAt),
      },
      now,
      id,
    );
    db.query("INSERT INTO revisions (post_id, title, slug, body, tags, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      id,
      old.title,
      old.slug,
      old.body,
      old.tags.join(", "),
      old.updated_at,
    );
    // Timestamps must move forward even for two saves in the same second, or conflict detection would miss one.
    let stamp = isoTime(now);
    if (stamp <= old.updated_at) stamp = isoTime(new Date(new Date(old.updated_at).getTime() + 1000));
    db.query(
      "UPDATE posts SET slug = ?, title = ?, body = ?, html = ?, excerpt = ?, status = ?, kind = ?, published_at = ?, updated_at = ? WHERE id = ?",
    ).run(p.slug, p.title, p.body, p.html, p.excerpt, p.status, p.kind ?? old.kind, p.publishedAt, stamp, id);
    if (old.slug !== p.slug && old.status !== "draft") {
      db.query(
        "INSERT INTO redirects (old_slug, post_id) VALUES (?, ?) ON CONFLICT (old_slug) DO UPDATE SET post_id = excluded.post_id",
      ).run(old.slug, id);
    }
    // A slug now in use again must not redirect away from its own post.
    db.query("DELETE FROM redirects WHERE old_slug = ?").run(p.slug);
    setPostTags(db, id, p.tags);
    return getPost(db, id)!;
  })();
}

/**
 * Renders every post's Markdown again with today's renderer, writing only what changed; neither
 * updated_at nor the revisions move, since the author changed nothing. The data step of migration
 * 0002 (blog/migrations.ts): it runs inside the migration's transaction.
 */
export function rerenderPosts(db: Database): number {
  const update = db.query("UPDATE posts SET html = ?, excerpt = ? WHERE id = ?");
  let changed = 0;
  // One post at a time by id, so a blog of any size never holds every body in memory at once.
  for (let last = 0; ;) {
    const row = db.query("SELECT id, body, html, excerpt FROM posts WHERE id > ? ORDER BY id LIMIT 1").get(last) as {
      id: number;
      body: string;
      html: string;
      excerpt: string;
    } | null;
    if (!row) return changed;
    last = row.id;
    const html = renderMarkdown(row.body, { imageSize: (src) => mediaSizeByUrl(db, src) });
    const excerpt = excerptOf(html);
    if (html !== row.html || excerpt !== row.excerpt) {
      update.run(html, excerpt, row.id);
      changed++;
    }
  }
}

export function deletePost(db: Database, id: number): boolean {
  return db.transaction(() => {
    const changes = db.query("DELETE FROM posts WHERE id = ?").run(id).changes;
    db.query("DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM post_tags)").run();
    return changes > 0;
  })();
}

/** Turns a published or scheduled post back into a draft (it disappears from the blog). */
export function unpublishPost(db: Database, id: number, now = new Date()): void {
  db.query("UPDATE posts SET status = 'draft', updated_at = ? WHERE id = ?").run(isoTime(now), id);
}

export type ImportOutcome = "imported" | "updated" | "unchanged";

/**
 * Inserts or updates a post by slug, as an import does: running the same import twice changes
 * nothing the second time.
 */
export function upsertPostBySlug(db: Database, input: PostInput & { slug: string }, now = new Date()): ImportOutcome {
  const existing = getPostBySlug(db, input.slug);
  if (!existing) {
    createPost(db, input, now);
    return "imported";
  }
  const sameTags =
    [...existing.tags].sort().join(",") ===
    [...new Set((input.tags ?? []).map(normaliseTag).filter(Boolean))].sort().join(",");
  const wantStatus = input.status === "draft" ? "draft" : "published";
  const hasStatus = existing.status === "draft" ? "draft" : "published";
  const samePublished = input.publishedAt == null || isoTime(new Date(input.publishedAt)) === existing.published_at;
  if (
    existing.title === input.title.trim() &&
    existing.body === input.body &&
    sameTags &&
    wantStatus === hasStatus &&
    samePublished
  )
    return "unchanged";
  updatePost(db, existing.id, input, { now });
  return "updated";
}
