// The reader mix's blog: one realistic blog of 101 posts, written through the product's own code
// (createTenant, then createPost, addComment and updateSettings), so the stored HTML, excerpts,
// tags and search index are what an author's saves produce. Then copied N times as plain files,
// as blogs.ts does. Everything is drawn from seeded generators and "now" is fixed, so every run
// builds the same bytes.
//
// Bodies are 2–15 KB of Markdown (log-uniform: most posts short, a few long) with headings, lists,
// fenced code, links, quotes and now and then a table. Each post has 2–5 tags drawn from 32 with
// Zipf(1.0) weights (a few popular tags, a long tail), and every tag is on at least one post.
import type { Database } from "bun:sqlite";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addComment } from "../src/blog/comments.ts";
import { createPost } from "../src/blog/posts.ts";
import { updateSettings } from "../src/blog/settings.ts";
import { createTenant } from "../src/tenants/files.ts";
import { parseTenantName, tenantPath, tenantsDir, type TenantName } from "../src/tenants/names.ts";
import { seededRandom } from "./stats.ts";

export const MIX_POSTS = 101;
/** The fixture's clock: posts are published before it, so every one is visible on any later day. */
const FIXTURE_NOW = new Date("2025-01-01T09:00:00Z");

export interface MixFixture {
  dataDir: string;
  names: TenantName[];
  /** Every post's slug, in the order they were written (oldest first). */
  slugs: string[];
  /** Every tag and how many posts carry it, most used first. */
  tags: { name: string; posts: number }[];
  fileBytes: number;
  /** Each blog file's mtime right after the copy: a file that still has it was never written. */
  copiedMtimes: Map<TenantName, number>;
  /** Markdown body sizes, for the record. */
  bodyBytes: { min: number; median: number; max: number };
}

const TAGS = [
  "sqlite",
  "performance",
  "bun",
  "typescript",
  "databases",
  "web",
  "self-hosting",
  "notes",
  "linux",
  "testing",
  "caching",
  "css",
  "http",
  "tooling",
  "security",
  "backups",
  "markdown",
  "travel",
  "books",
  "music",
  "kitchen",
  "garden",
  "photography",
  "cycling",
  "history",
  "maps",
  "keyboards",
  "writing",
  "rust",
  "go",
  "networking",
  "accessibility",
];

const VOCABULARY = (
  "the a of to and in is it that for on with as was at by this be from or an are which one have all " +
  "file blog page write read post reader author database query index table cache pool open close " +
  "server request answer fast small every night morning garden river mountain letter window coffee " +
  "travel winter summer notes story history picture music kitchen bread market street bicycle " +
  "latency throughput memory disk thread process kernel socket buffer queue batch transaction journal " +
  "checkpoint schema migration column row statement plan scan lookup tree page header body footer " +
  "build deploy release version branch commit review test bench profile trace measure number result " +
  "simple careful honest quiet steady slow early late often rarely always never because although " +
  "after before while until since during between across through under over inside outside around " +
  "learned tried found noticed wrote changed fixed broke measured compared replaced removed kept moved"
).split(" ");

const LANGUAGES = ["ts", "sql", "sh", "go", "rust", "js", "python"];
const SITES = [
  "https://sqlite.org/docs.html",
  "https://bun.sh/docs",
  "https://developer.mozilla.org/en-US/docs/Web/HTTP",
  "https://www.rfc-editor.org/rfc/rfc9110",
  "https://lwn.net/",
  "https://en.wikipedia.org/wiki/Zipf%27s_law",
];

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const between = (random: Random, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

function words(random: Random, n: number): string {
  return Array.from({ length: n }, () => pick(random, VOCABULARY)).join(" ");
}

function sentence(random: Random): string {
  let s = words(random, between(random, 7, 18));
  // Inline markup now and then: emphasis, code, a link.
  const r = random();
  if (r < 0.12) s += ` *${words(random, 2)}*`;
  else if (r < 0.22) s += ` \`${pick(random, VOCABULARY)}_${pick(random, VOCABULARY)}()\``;
  else if (r < 0.3) s += ` [${words(random, 3)}](${pick(random, SITES)})`;
  return s[0].toUpperCase() + s.slice(1) + ".";
}

function paragraph(random: Random): string {
  return Array.from({ length: between(random, 3, 6) }, () => sentence(random)).join(" ");
}

function block(random: Random): string {
  const r = random();
  if (r < 0.5) return paragraph(random);
  if (r < 0.62)
    return Array.from({ length: between(random, 3, 6) }, () => `- ${words(random, between(random, 4, 12))}`).join("\n");
  if (r < 0.7)
    return Array.from(
      { length: between(random, 3, 5) },
      (_, i) => `${i + 1}. ${words(random, between(random, 5, 12))}`,
    ).join("\n");
  if (r < 0.85) {
    const lines = Array.from(
      { length: between(random, 4, 16) },
      () =>
        `${" ".repeat(2 * between(random, 0, 2))}${pick(random, VOCABULARY)}(${pick(random, VOCABULARY)}, ${between(random, 0, 999)}); // ${words(random, 3)}`,
    );
    return "```" + pick(random, LANGUAGES) + "\n" + lines.join("\n") + "\n```";
  }
  if (r < 0.93) return `> ${paragraph(random)}`;
  if (r < 0.97) return `### ${words(random, between(random, 2, 5))}`;
  const rows = Array.from(
    { length: between(random, 2, 5) },
    () => `| ${pick(random, VOCABULARY)} | ${between(random, 1, 9999)} | ${words(random, 3)} |`,
  );
  return ["| name | value | note |", "|---|--:|---|", ...rows].join("\n");
}

/** A Markdown body of at least `target` bytes (never more than 15 KB), in sections with headings. */
function body(random: Random, target: number): string {
  const parts: string[] = [paragraph(random)];
  let size = parts[0].length;
  for (;;) {
    if (size >= target) break;
    const next = random() < 0.12 ? `## ${words(random, between(random, 2, 6))}` : block(random);
    if (size + next.length + 2 > 15_000) break;
    parts.push(next);
    size += next.length + 2;
  }
  return parts.join("\n\n") + "\n";
}

/** `k` distinct tag indexes under Zipf(1.0) weights over TAGS. */
function drawTags(random: Random, k: number): number[] {
  const weights = TAGS.map((_, i) => 1 / (i + 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  const chosen = new Set<number>();
  while (chosen.size < k) {
    let u = random() * sum;
    let i = 0;
    while (u > weights[i] && i < TAGS.length - 1) u -= weights[i++];
    chosen.add(i);
  }
  return [...chosen];
}

/** Fills a freshly migrated blog through the product's own functions. */
function fillBlog(db: Database): { slugs: string[]; bodies: number[]; tags: { name: string; posts: number }[] } {
  const random = seededRandom(2026);
  updateSettings(db, {
    title: "Notes from a small server",
    description: "Databases, tools and the odd bicycle ride.",
    author_name: "Sam Reader",
  });
  const slugs: string[] = [];
  const bodies: number[] = [];
  const start = FIXTURE_NOW.getTime() - MIX_POSTS * 5 * 86_400_000;
  for (let i = 0; i < MIX_POSTS; i++) {
    const tags = drawTags(random, between(random, 2, 5));
    // Every tag on at least one post: post i also gets tag i while there are tags left.
    if (i < TAGS.length && !tags.includes(i)) tags.push(i);
    // Log-uniform 2–15 KB: most posts short, a few long.
    const text = body(random, Math.round(2000 * Math.pow(7.5, random())));
    const title = words(random, between(random, 3, 8)).replace(/^./, (c) => c.toUpperCase());
    const post = createPost(
      db,
      {
        title,
        body: text,
        tags: tags.map((t) => TAGS[t]),
        status: "published",
        publishedAt: new Date(start + i * 5 * 86_400_000 + between(random, 0, 86_399) * 1000).toISOString(),
      },
      FIXTURE_NOW,
    );
    for (let c = between(random, 0, 6) - 2; c > 0; c--) {
      addComment(
        db,
        {
          postId: post.id,
          name: `Reader ${between(random, 1, 500)}`,
          body: Array.from({ length: between(random, 1, 3) }, () => paragraph(random)).join("\n\n"),
          status: "approved",
        },
        FIXTURE_NOW,
      );
    }
    slugs.push(post.slug);
    bodies.push(text.length);
  }
  // The tags as the blog stores them (normalised by createPost), counted from the blog itself.
  const tagCounts = db
    .query(
      "SELECT tags.name AS name, count(*) AS posts FROM tags JOIN post_tags ON post_tags.tag_id = tags.id GROUP BY tags.id ORDER BY posts DESC, name",
    )
    .all() as { name: string; posts: number }[];
  return { slugs, bodies, tags: tagCounts };
}

/** `count` blogs named mix-00001…, each a copy of one realistic blog, in a new data directory. */
export function makeMixBlogs(count: number, under = tmpdir()): MixFixture {
  const dataDir = mkdtempSync(join(under, "writekit-bench-mix-"));
  mkdirSync(tenantsDir(dataDir), { recursive: true });
  const names = Array.from({ length: count }, (_, i) => parseTenantName(`mix-${String(i + 1).padStart(5, "0")}`));
  let filled: ReturnType<typeof fillBlog> | undefined;
  const source = createTenant(dataDir, names[0], (db) => {
    filled = fillBlog(db);
  });
  const { slugs, bodies, tags } = filled!;
  for (let i = 1; i < count; i++) copyFileSync(source, tenantPath(dataDir, names[i]));
  const copiedMtimes = new Map(names.map((name) => [name, statSync(tenantPath(dataDir, name)).mtimeMs]));
  const sorted = [...bodies].sort((a, b) => a - b);
  return {
    dataDir,
    names,
    slugs,
    tags,
    fileBytes: Bun.file(source).size,
    copiedMtimes,
    bodyBytes: { min: sorted[0], median: sorted[sorted.length >> 1], max: sorted[sorted.length - 1] },
  };
}

export function removeMixBlogs(fixture: MixFixture): void {
  rmSync(fixture.dataDir, { recursive: true, force: true });
}
