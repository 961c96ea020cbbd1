// The benchmark's data: one real blog of ~100 published posts, created through the product's own
// createTenant (so it is migrated and carries the schema the server expects), then copied N times
// as plain files. Copying is what makes 10,000 blogs take seconds instead of minutes.
//
// Posts are inserted with SQL matching migrations/0001_init.sql, not through blog/posts.ts, so the
// fixture does not move when the domain code does; the HTML is a fixed rendering of the Markdown.
import type { Database } from "bun:sqlite";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTenant } from "../src/tenants/files.ts";
import { parseTenantName, tenantPath, tenantsDir, type TenantName } from "../src/tenants/names.ts";
import { seededRandom } from "./stats.ts";

export const POSTS_PER_BLOG = 100;
/** A word every post contains, so `/search?q=` finds every post (the heaviest search page). */
export const SEARCH_WORD = "sqlite";

export interface Fixture {
  dataDir: string;
  names: TenantName[];
  /** The slug of the newest post: the post page every page row and multi-blog row requests. */
  postSlug: string;
  fileBytes: number;
}

const WORDS = (
  "the a of to and in is it that for on with as was at by this be from or an are which one have all " +
  "file blog page write read post reader author database query index table cache pool open close " +
  "server request answer fast small every night morning garden river mountain letter window coffee " +
  "travel winter summer notes story history picture music kitchen bread market street bicycle"
).split(" ");

function sentence(random: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(random() * WORDS.length)]);
  const s = out.join(" ");
  return s[0].toUpperCase() + s.slice(1) + ".";
}

function paragraph(random: () => number): string {
  return Array.from({ length: 4 + Math.floor(random() * 3) }, () =>
    sentence(random, 8 + Math.floor(random() * 10)),
  ).join(" ");
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Fills a freshly migrated blog: settings, ~100 published posts (4–6 KB of HTML each), tags, comments. */
export function fillBlog(db: Database): { newestSlug: string } {
  const random = seededRandom(42);
  const put = db.query("INSERT INTO settings (key, value) VALUES (?, ?)");
  put.run("title", "A benchmark blog");
  put.run("description", "One hundred posts, copied ten thousand times.");
  put.run("author_name", "Bench Author");
  const insertPost = db.query(
    "INSERT INTO posts (slug, title, body, html, excerpt, status, published_at, created_at, updated_at, views) VALUES (?, ?, ?, ?, ?, 'published', ?, ?, ?, 0)",
  );
  const tags = ["notes", "travel", "sqlite", "music", "kitchen", "history"];
  const insertTag = db.query("INSERT INTO tags (name) VALUES (?)");
  for (const tag of tags) insertTag.run(tag);
  const tagPost = db.query("INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?)");
  const comment = db.query(
    "INSERT INTO comments (post_id, author_name, author_email, body, status, created_at) VALUES (?, ?, NULL, ?, 'approved', ?)",
  );
  const start = Date.parse("2024-01-01T08:00:00Z");
  let newestSlug = "";
  for (let i = 1; i <= POSTS_PER_BLOG; i++) {
    const title = sentence(random, 5).slice(0, -1);
    const slug = `post-${String(i).padStart(3, "0")}-${title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")}`
      .slice(0, 80)
      .replace(/-+$/, "");
    const paragraphs = Array.from({ length: 6 }, () => paragraph(random));
    paragraphs[1] += ` Every blog here is one ${SEARCH_WORD} file.`;
    const body = `${paragraphs.slice(0, 3).join("\n\n")}\n\n## ${sentence(random, 4).slice(0, -1)}\n\n${paragraphs.slice(3).join("\n\n")}\n`;
    const html = [
      ...paragraphs.slice(0, 3).map((p) => `<p>${escapeHtml(p)}</p>`),
      `<h2>${escapeHtml(sentence(random, 4).slice(0, -1))}</h2>`,
      ...paragraphs.slice(3).map((p) => `<p>${escapeHtml(p)}</p>`),
    ].join("\n");
    const at = new Date(start + i * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const id = Number(insertPost.run(slug, title, body, html, paragraphs[0].slice(0, 240), at, at, at).lastInsertRowid);
    tagPost.run(id, 1 + (i % tags.length));
    tagPost.run(
      id,
      1 + ((i * 7) % tags.length) === 1 + (i % tags.length) ? 1 + ((i + 1) % tags.length) : 1 + ((i * 7) % tags.length),
    );
    for (let c = 0; c < i % 4; c++) comment.run(id, `Reader ${c + 1}`, paragraph(random), at);
    newestSlug = slug;
  }
  return { newestSlug };
}

/** `count` blogs named blog-00001…, each a copy of one filled blog, in a new temporary data directory. */
export function makeBlogs(count: number, under = tmpdir()): Fixture {
  const dataDir = mkdtempSync(join(under, "writekit-bench-"));
  mkdirSync(tenantsDir(dataDir), { recursive: true });
  const names = Array.from({ length: count }, (_, i) => parseTenantName(`blog-${String(i + 1).padStart(5, "0")}`));
  let postSlug = "";
  const source = createTenant(dataDir, names[0], (db) => {
    postSlug = fillBlog(db).newestSlug;
  });
  for (let i = 1; i < count; i++) copyFileSync(source, tenantPath(dataDir, names[i]));
  return { dataDir, names, postSlug, fileBytes: Bun.file(source).size };
}

export function removeBlogs(fixture: Fixture): void {
  rmSync(fixture.dataDir, { recursive: true, force: true });
}
