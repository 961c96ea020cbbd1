// An imported file is rebuilt, not trusted: its rows are read with explicit columns and written
// into a blog freshly made by the migrations, each value checked as the admin's forms would check
// it. What the server shows is made here again (a post's HTML and excerpt from its Markdown, the
// search index by the new file's own triggers), never copied; sessions and password hashes are
// never read. Images are checked from their bytes as an upload is (image.ts), and kept only under
// the SHA-256 of those bytes, since that is the name posts link them by.
//
// Longer than a module here usually is, on purpose: it is one rule per table of the schema, and a
// reviewer checking that no column of an imported file reaches a blog unchecked reads them together.
import type { Database } from "bun:sqlite";
import { isValidEmail } from "./authors.ts";
import { COMMENT_LIMITS } from "./comments.ts";
import { CUSTOM_CSS_LIMIT, cleanCustomCss } from "./customcss.ts";
import { IMAGE_EXTENSIONS, inspectImage, UnsupportedImageError } from "./image.ts";
import { excerptOf, renderMarkdown } from "./markdown.ts";
import { MEDIA_LIMITS, mediaSizeByUrl } from "./media.ts";
import { checkMenu, MenuError } from "./menu.ts";
import { isValidSlug, LIMITS, normaliseTag, slugify } from "./posts.ts";
import { DEFAULT_MEDIA_QUOTA_BYTES, DEFAULT_SETTINGS, getSettings, SETTING_LIMITS } from "./settings.ts";
import { isoTime, parseTime } from "./time.ts";
import { isValidTimeZone } from "./zones.ts";

export interface RebuildOptions {
  /** The columns each table had at the file's schema version (tenants/schema.ts). */
  columns: ReadonlyMap<string, ReadonlySet<string>>;
  /** The file's schema version. */
  version: number;
  /** A custom_domain setting → the domain to keep, or why it is left out. */
  checkDomain: (value: string) => { domain: string } | { reason: string };
  now: Date;
}

export interface Rebuilt {
  posts: number;
  images: number;
  /** One line per thing changed or left out, in words; at most MAX_NOTES. */
  notes: string[];
  /** Notes beyond MAX_NOTES, only counted. */
  moreNotes: number;
}

const MAX_NOTES = 50;

/**
 * How to read, from a file of an older schema version, a column that version did not have (or
 * named otherwise): an SQL expression over that version's columns, used when the file's version
 * is below `before`. A column missing without an entry here reads as NULL and gets its default.
 * (A table a version did not have is simply not read: `media` before 2.)
 */
const OLDER_COLUMNS: readonly { before: number; table: string; column: string; expression: string }[] = [
  // Before 0002 every row of posts was a post.
  { before: 2, table: "posts", column: "kind", expression: "'post'" },
];

type Row = Record<string, unknown>;

function readRows(
  source: Database,
  options: RebuildOptions,
  table: string,
  columns: readonly string[],
  orderBy = "",
): Iterable<Row> {
  const have = options.columns.get(table);
  if (!have) return []; // the table came with a later version
  const list = columns.map((c) => {
    if (have.has(c)) return `"${c}"`;
    const older = OLDER_COLUMNS.find((o) => o.table === table && o.column === c && options.version < o.before);
    return `${older?.expression ?? "NULL"} AS "${c}"`;
  });
  return source
    .query(`SELECT ${list.join(", ")} FROM "${table}"${orderBy ? ` ORDER BY ${orderBy}` : ""}`)
    .iterate() as Iterable<Row>;
}

/** A text value; numbers become their text, NULL and blobs null. */
function text(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  return null;
}

function time(v: unknown, fallback: string): string {
  const t = typeof v === "string" ? parseTime(v) : null;
  return t ? isoTime(t) : fallback;
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : 0;
}

/** A value quoted for a note, cut short. */
function show(v: unknown): string {
  const s = text(v) ?? (v === null ? "NULL" : "a blob");
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + "…" : s);
}

const POLICIES = new Set(["moderate", "approve", "off"]);
const POST_STATUSES = new Set(["draft", "published", "scheduled"]);
const POST_KINDS = new Set(["post", "page"]);
const COMMENT_STATUSES = new Set(["pending", "approved", "spam"]);

function cleanSetting(
  key: string,
  value: string,
  options: RebuildOptions,
  note: (line: string) => void,
): string | null {
  switch (key) {
    case "title":
    case "description":
    case "author_name": {
      const v = value.trim();
      const limit = SETTING_LIMITS[key];
      if (v.length <= limit) return v;
      note(`the setting ${key} had ${v.length} characters; it was cut to ${limit}`);
      return v.slice(0, limit);
    }
    case "posts_per_page":
      if (/^\d{1,3}$/.test(value.trim()) && Number(value) >= 1 && Number(value) <= 100) return String(Number(value));
      note(
        `the setting posts_per_page ${show(value)} is not a whole number from 1 to 100; the default ${DEFAULT_SETTINGS.posts_per_page} applies`,
      );
      return null;
    case "comment_policy":
      if (POLICIES.has(value)) return value;
      note(
        `the setting comment_policy ${show(value)} is not moderate, approve or off; comments are held for moderation`,
      );
      return null;
    case "time_zone":
      if (isValidTimeZone(value)) return value;
      note(`the setting time_zone ${show(value)} is not a time zone; UTC applies`);
      return null;
    case "custom_css":
      if (value.length > CUSTOM_CSS_LIMIT) {
        note(`the custom CSS has ${value.length} characters, over the limit of ${CUSTOM_CSS_LIMIT}; it was left out`);
        return null;
      }
      if (value.includes("<")) note(`the custom CSS had "<" characters, which were removed`);
      return cleanCustomCss(value);
    case "menu":
      try {
        const items: unknown = JSON.parse(value);
        if (
          !Array.isArray(items) ||
          !items.every((item) => typeof item?.label === "string" && typeof item?.url === "string")
        ) {
          throw new MenuError("it is not a list of links, each with a label and a URL");
        }
        return JSON.stringify(checkMenu(items.map(({ label, url }) => ({ label, url }))));
      } catch (e) {
        if (!(e instanceof MenuError || e instanceof SyntaxError)) throw e;
        note(
          `the menu ${show(value)} was left out: ${e instanceof MenuError ? e.message.replace(/\.$/, "") : "it is not JSON"}`,
        );
        return null;
      }
    case "media_quota_bytes":
      if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return String(Number(value));
      note(
        `the setting media_quota_bytes ${show(value)} is not a whole number of bytes; the default ${DEFAULT_MEDIA_QUOTA_BYTES} (${DEFAULT_MEDIA_QUOTA_BYTES / 1024 / 1024} MiB) applies`,
      );
      return null;
    case "custom_domain": {
      if (value.trim() === "") return "";
      const checked = options.checkDomain(value);
      if ("domain" in checked) return checked.domain;
      note(`the custom domain ${show(value)} was left out: ${checked.reason}`);
      return null;
    }
    case "domain_token":
      // Kept, so a DNS record made for the blog's old server proves its domain here too.
      if (/^[0-9a-f]{32}$/.test(value)) return value;
      note(
        `the setting domain_token ${show(value)} is not a token WriteKit makes; a new one is made when a domain is claimed`,
      );
      return null;
    case "icon":
      // Checked against the images after they are copied (see rebuildBlog).
      if (value === "" || SHA256.test(value)) return value;
      note(`the icon ${show(value)} is not the SHA-256 of an image; the blog uses the default icon`);
      return null;
    case "domain_proven":
      // A proof is this server's own finding, never a file's word: the domain stays pending until checked here.
      if (value !== "")
        note(
          `the custom domain ${show(value)} was proven on another server; it must be proven again here (Settings, Check now) before the blog answers at it`,
        );
      return null;
    default:
      note(`the setting ${show(key)} is not one WriteKit has; it was left out`);
      return null;
  }
}

/** The slug of each post: its own when valid, else one made from it (or the title), unique. */
function postSlugs(source: Database, options: RebuildOptions, note: (line: string) => void): Map<number, string> {
  const all = [...readRows(source, options, "posts", ["id", "slug", "title"], "id")];
  const taken = new Set<string>();
  for (const p of all) if (typeof p.slug === "string" && isValidSlug(p.slug)) taken.add(p.slug);
  const slugs = new Map<number, string>();
  for (const p of all) {
    const id = p.id as number;
    if (typeof p.slug === "string" && isValidSlug(p.slug)) {
      slugs.set(id, p.slug);
      continue;
    }
    const base = slugify(text(p.slug) ?? "") || slugify(text(p.title) ?? "") || "post";
    let slug = base;
    for (let i = 2; taken.has(slug) || !isValidSlug(slug); i++) slug = `${base}-${i}`;
    taken.add(slug);
    slugs.set(id, slug);
    note(
      `post ${id}: its slug ${show(p.slug)} is not a valid slug (lower-case letters, digits and single hyphens); it is now /${slug}`,
    );
  }
  return slugs;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Copies the images whose bytes are what their row says they are: an image WriteKit accepts (type
 * and size read from the bytes, as an upload's are), within the size limit, and stored under the
 * SHA-256 of those bytes. A wrong type, size or dimensions is corrected; an image under another
 * hash is left out, since posts link it by that hash and would show other bytes than it names.
 * Returns how many images and bytes were kept. The blog's quota is not applied: refusing images a
 * blog already had would break its posts, so a note says when they exceed it.
 */
function copyMedia(
  source: Database,
  dest: Database,
  options: RebuildOptions,
  note: (line: string) => void,
): { images: number; bytes: number } {
  if (!options.columns.has("media")) return { images: 0, bytes: 0 }; // the table came with version 2
  // One row at a time (iterate steps the statement), in rowid order, which needs no sorter that
  // would hold every blob at once. typeof() and length() of a blob read only the row's header
  // (SQLite skips the content for them), so a file over the limit is never read into memory.
  const rows = source
    .query(
      `SELECT sha256, type, bytes, width, height, alt, created_at, typeof(data) AS storage, length(data) AS size,
       CASE WHEN typeof(data) = 'blob' AND length(data) <= ${MEDIA_LIMITS.fileBytes} THEN data END AS data
     FROM media ORDER BY rowid`,
    )
    .iterate() as Iterable<Row>;
  const putMedia = dest.query(
    "INSERT INTO media (sha256, type, bytes, width, height, alt, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const stamp = isoTime(options.now);
  let images = 0;
  let total = 0;
  for (const row of rows) {
    const stored = text(row.sha256) ?? "";
    const name = SHA256.test(stored) ? `the image ${stored}` : `the image stored under ${show(row.sha256)}`;
    const refuse = (why: string) =>
      note(`${name} was left out, so a post that shows it shows nothing there: ${why.replace(/\.$/, "")}`);
    if (row.storage !== "blob") {
      refuse(`its data is ${row.storage === "null" ? "missing" : `${row.storage}, not a file`}`);
      continue;
    }
    const size = row.size as number;
    if (!(row.data instanceof Uint8Array)) {
      refuse(`it is ${size} bytes; an image may be at most ${MEDIA_LIMITS.fileBytes}`);
      continue;
    }
    let image;
    try {
      image = inspectImage(row.data);
    } catch (e) {
      refuse(
        e instanceof UnsupportedImageError
          ? `it is ${e.found}, not a JPEG, PNG, GIF, WebP or AVIF image`
          : (e as Error).message,
      );
      continue;
    }
    const sha256 = new Bun.CryptoHasher("sha256").update(row.data).digest("hex");
    if (sha256 !== stored) {
      refuse(`the SHA-256 of its bytes is ${sha256}, not the one it is stored under`);
      continue;
    }
    const fix = (what: string, was: string, is: string, then = "") =>
      note(`${name}: its ${what} was recorded as ${was} but is ${is}; corrected${then}`);
    if (row.type !== image.type)
      fix("type", show(row.type), image.type, `, so its URL is now /media/${sha256}.${IMAGE_EXTENSIONS[image.type]}`);
    if (row.bytes !== size) fix("size", show(row.bytes), `${size} bytes`);
    if (row.width !== image.width || row.height !== image.height)
      fix("size in pixels", `${show(row.width)} × ${show(row.height)}`, `${image.width} × ${image.height}`);
    let alt = (text(row.alt) ?? "").replace(/\s+/g, " ").trim(); // as media.ts keeps alt text
    if (alt.length > MEDIA_LIMITS.alt) {
      note(`${name}: its alt text had ${alt.length} characters; it was cut to ${MEDIA_LIMITS.alt}`);
      alt = alt.slice(0, MEDIA_LIMITS.alt);
    }
    putMedia.run(sha256, image.type, size, image.width, image.height, alt, time(row.created_at, stamp), row.data);
    images++;
    total += size;
  }
  return { images, bytes: total };
}

/**
 * Copies every row of `source` (the imported file, opened read-only) that WriteKit can vouch for
 * into `dest` (a blog just made by the migrations, inside a transaction), and says what it changed
 * or left out. Sessions and password hashes are not read; the caller sets the author's password.
 */
export function rebuildBlog(source: Database, dest: Database, options: RebuildOptions): Rebuilt {
  const notes: string[] = [];
  let moreNotes = 0;
  const note = (line: string) => (notes.length < MAX_NOTES ? notes.push(line) : moreNotes++);
  const stamp = isoTime(options.now);

  const putSetting = dest.query("INSERT INTO settings (key, value) VALUES (?, ?)");
  for (const row of readRows(source, options, "settings", ["key", "value"])) {
    const key = text(row.key);
    const value = text(row.value);
    if (key === null || value === null) continue;
    const clean = cleanSetting(key, value, options, note);
    if (clean !== null) putSetting.run(key, clean);
  }

  const putAuthor = dest.query(
    "INSERT OR IGNORE INTO authors (id, email, name, password_hash, created_at) VALUES (?, ?, ?, '', ?)",
  );
  for (const row of readRows(source, options, "authors", ["id", "email", "name", "created_at"], "id")) {
    const email = (text(row.email) ?? "").trim();
    if (!isValidEmail(email)) {
      note(`author ${row.id} was left out: ${show(row.email)} is not an email address`);
      continue;
    }
    if (
      putAuthor.run(
        row.id as number,
        email,
        (text(row.name) ?? "").trim().slice(0, SETTING_LIMITS.author_name),
        time(row.created_at, stamp),
      ).changes === 0
    ) {
      note(`author ${row.id} was left out: another author has the email ${show(email)}`);
    }
  }

  const media = copyMedia(source, dest, options, note);
  const icon = dest.query<{ value: string }, []>("SELECT value FROM settings WHERE key = 'icon' AND value != ''").get();
  if (icon && !dest.query("SELECT 1 FROM media WHERE sha256 = ?").get(icon.value)) {
    dest.run("DELETE FROM settings WHERE key = 'icon'");
    note(`the icon ${icon.value} is not among the images kept; the blog uses the default icon`);
  }
  const { media_quota_bytes: quota } = getSettings(dest);
  if (media.bytes > quota) {
    note(
      `the images take ${media.bytes} bytes, more than the blog's quota of ${quota} (the setting media_quota_bytes); all were kept, but no image can be uploaded until some are deleted or the quota is raised`,
    );
  }

  const slugs = postSlugs(source, options, note);
  const posts = new Set<number>();
  const putPost = dest.query(
    "INSERT INTO posts (id, slug, title, body, html, excerpt, status, kind, published_at, created_at, updated_at, views) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  for (const row of readRows(
    source,
    options,
    "posts",
    ["id", "title", "body", "status", "kind", "published_at", "created_at", "updated_at", "views"],
    "id",
  )) {
    const id = row.id as number;
    let title = (text(row.title) ?? "").trim();
    const body = text(row.body);
    const refuse = (why: string) =>
      note(`post ${id} (${show(title || slugs.get(id))}) was left out, with its comments, tags and views: ${why}`);
    if (!title) {
      refuse("it has no title");
      continue;
    }
    if (body === null) {
      refuse("its body is not text");
      continue;
    }
    if (body.length > LIMITS.body) {
      refuse(`its body has ${body.length} characters; the limit is ${LIMITS.body}`);
      continue;
    }
    if (title.length > LIMITS.title) {
      note(`post ${id}: its title had ${title.length} characters; it was cut to ${LIMITS.title}`);
      title = title.slice(0, LIMITS.title);
    }
    let status = text(row.status) ?? "";
    if (!POST_STATUSES.has(status)) {
      note(`post ${id}: its status ${show(row.status)} is not draft, published or scheduled; it is a draft`);
      status = "draft";
    }
    let kind = text(row.kind) ?? "";
    if (!POST_KINDS.has(kind)) {
      note(`post ${id}: its kind ${show(row.kind)} is not post or page; it is a post`);
      kind = "post";
    }
    let publishedAt: string | null = row.published_at === null ? null : time(row.published_at, "");
    if (publishedAt === "") {
      note(`post ${id}: its publication time ${show(row.published_at)} is not a date; it is a draft`);
      publishedAt = null;
      status = "draft";
    }
    // As posts.ts renders on save: the blog's own images (copied above) get their width and height.
    const html = renderMarkdown(body, { imageSize: (src) => mediaSizeByUrl(dest, src) });
    putPost.run(
      id,
      slugs.get(id)!,
      title,
      body,
      html,
      excerptOf(html),
      status,
      kind,
      publishedAt,
      time(row.created_at, stamp),
      time(row.updated_at, stamp),
      count(row.views),
    );
    posts.add(id);
  }

  const tags = new Map<number, number>();
  const putTag = dest.query("INSERT INTO tags (id, name) VALUES (?, ?) ON CONFLICT (name) DO NOTHING");
  const tagId = dest.query("SELECT id FROM tags WHERE name = ?");
  for (const row of readRows(source, options, "tags", ["id", "name"])) {
    const name = normaliseTag(text(row.name) ?? "");
    if (!name) {
      note(`the tag ${show(row.name)} has no letters or digits; it was left out`);
      continue;
    }
    putTag.run(row.id as number, name);
    tags.set(row.id as number, (tagId.get(name) as { id: number }).id);
  }
  const putPostTag = dest.query("INSERT OR IGNORE INTO post_tags (post_id, tag_id) VALUES (?, ?)");
  for (const row of readRows(source, options, "post_tags", ["post_id", "tag_id"])) {
    const tag = tags.get(row.tag_id as number);
    if (tag !== undefined && posts.has(row.post_id as number)) putPostTag.run(row.post_id as number, tag);
  }
  dest.query("DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM post_tags)").run();

  const putComment = dest.query(
    "INSERT INTO comments (id, post_id, author_name, author_email, body, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  for (const row of readRows(
    source,
    options,
    "comments",
    ["id", "post_id", "author_name", "author_email", "body", "status", "created_at"],
    "id",
  )) {
    if (!posts.has(row.post_id as number)) continue;
    const body = (text(row.body) ?? "").trim();
    if (!body || body.length > COMMENT_LIMITS.body) {
      note(
        `comment ${row.id} was left out: its text is ${body ? `${body.length} characters long; the limit is ${COMMENT_LIMITS.body}` : "empty"}`,
      );
      continue;
    }
    let status = text(row.status) ?? "";
    if (!COMMENT_STATUSES.has(status)) {
      note(
        `comment ${row.id}: its status ${show(row.status)} is not pending, approved or spam; it waits for moderation`,
      );
      status = "pending";
    }
    const email = (text(row.author_email) ?? "").trim();
    const name = (text(row.author_name) ?? "").trim().slice(0, COMMENT_LIMITS.name);
    putComment.run(
      row.id as number,
      row.post_id as number,
      name,
      isValidEmail(email) ? email : null,
      body,
      status,
      time(row.created_at, stamp),
    );
  }

  const putViews = dest.query("INSERT OR IGNORE INTO daily_views (post_id, day, views) VALUES (?, ?, ?)");
  for (const row of readRows(source, options, "daily_views", ["post_id", "day", "views"])) {
    const day = text(row.day) ?? "";
    if (posts.has(row.post_id as number) && /^\d{4}-\d{2}-\d{2}$/.test(day) && parseTime(day))
      putViews.run(row.post_id as number, day, count(row.views));
  }

  const putRevision = dest.query(
    "INSERT INTO revisions (id, post_id, title, slug, body, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  for (const row of readRows(
    source,
    options,
    "revisions",
    ["id", "post_id", "title", "slug", "body", "tags", "created_at"],
    "id",
  )) {
    if (!posts.has(row.post_id as number)) continue;
    const body = text(row.body) ?? "";
    if (body.length > LIMITS.body) {
      note(
        `revision ${row.id} of post ${row.post_id} was left out: its body has ${body.length} characters; the limit is ${LIMITS.body}`,
      );
      continue;
    }
    const short = (v: unknown, limit: number) => (text(v) ?? "").slice(0, limit);
    putRevision.run(
      row.id as number,
      row.post_id as number,
      short(row.title, LIMITS.title),
      short(row.slug, LIMITS.slug),
      body,
      short(row.tags, 2000),
      time(row.created_at, stamp),
    );
  }

  const current = new Set(slugs.values());
  const putRedirect = dest.query("INSERT OR IGNORE INTO redirects (old_slug, post_id) VALUES (?, ?)");
  for (const row of readRows(source, options, "redirects", ["old_slug", "post_id"])) {
    if (!posts.has(row.post_id as number)) continue;
    const old = text(row.old_slug) ?? "";
    if (!isValidSlug(old)) note(`the redirect from ${show(row.old_slug)} was left out: it is not a valid slug`);
    else if (!current.has(old)) putRedirect.run(old, row.post_id as number);
  }

  // views_applied is never read: it names the segments of the other server's page-view journal
  // that the blog took, which mean nothing to this server's journal; the new blog starts with none.

  return { posts: posts.size, images: media.images, notes, moreNotes };
}
