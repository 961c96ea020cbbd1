// Full-text search over visible posts (pages are not searched) with SQLite FTS5 (https://sqlite.org/fts5.html). A reader's
// query is never handed to FTS5 as typed: it is cut into word terms, each quoted as an FTS5 string,
// so operators, quotes, `*`, `^`, NEAR(, column filters and SQL fragments are only ever words.
import type { Database } from "bun:sqlite";
import { isoTime } from "./time.ts";

export const MAX_QUERY_LENGTH = 200;
/** A query needs this many letters or digits: one alone matches nearly every post, and costs as much. */
export const MIN_QUERY_CHARS = 2;

/** Whether a reader's query has enough letters or digits to be searched. */
export function isSearchable(input: string): boolean {
  return (input.slice(0, MAX_QUERY_LENGTH).match(/[\p{L}\p{N}]/gu)?.length ?? 0) >= MIN_QUERY_CHARS;
}
const MAX_TERMS = 12;

/** The FTS5 expression for a reader's query, or null when it has no searchable word. */
export function toFtsQuery(input: string): string | null {
  const terms = input
    .slice(0, MAX_QUERY_LENGTH)
    .normalize("NFKC")
    .match(/[\p{L}\p{N}]+/gu);
  if (!terms) return null;
  const unique = [...new Set(terms.map((t) => t.toLowerCase().slice(0, 64)))].slice(0, MAX_TERMS);
  // Each term is a quoted string (no quotes can be inside: terms are letters and digits only).
  // The last one also matches as a prefix, so "sqli" finds "sqlite" while typing.
  return unique.map((t, i) => (i === unique.length - 1 ? `"${t}" *` : `"${t}"`)).join(" ");
}

export interface SearchHit {
  slug: string;
  title: string;
  published_at: string;
  /** Escaped text with <mark> around matches: safe to insert as HTML. */
  titleHtml: string;
  snippetHtml: string;
}

function escapeWithMarks(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;")
    .replace(/[\u0001]/g, "<mark>")
    .replace(/[\u0002]/g, "</mark>");
}

/** Markdown punctuation reads badly in a snippet; drop the most common marks. */
function tidySnippet(text: string): string {
  return text
    .replace(/[#*_`]+/g, "")
    .replace(/(^|\s)>+/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

export function searchPosts(
  db: Database,
  query: string,
  options: { limit: number; offset: number; now: Date },
): { hits: SearchHit[]; total: number } {
  const fts = toFtsQuery(query);
  if (!fts) return { hits: [], total: 0 };
  const now = isoTime(options.now);
  const rows = db
    .query(
      `SELECT p.slug AS slug, p.title AS title, p.published_at AS published_at,
              highlight(posts_fts, 0, char(1), char(2)) AS t,
              snippet(posts_fts, 1, char(1), char(2), '…', 24) AS s
         FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid
        WHERE posts_fts MATCH ? AND p.kind = 'post' AND p.status != 'draft' AND p.published_at <= ?
        ORDER BY bm25(posts_fts, 5.0, 1.0), p.published_at DESC
        LIMIT ? OFFSET ?`,
    )
    .all(fts, now, options.limit, options.offset) as {
    slug: string;
    title: string;
    published_at: string;
    t: string;
    s: string;
  }[];
  const total = (
    db
      .query(
        "SELECT count(*) AS n FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid WHERE posts_fts MATCH ? AND p.kind = 'post' AND p.status != 'draft' AND p.published_at <= ?",
      )
      .get(fts, now) as { n: number }
  ).n;
  return {
    total,
    hits: rows.map((r) => ({
      slug: r.slug,
      title: r.title,
      published_at: r.published_at,
      titleHtml: escapeWithMarks(r.t),
      snippetHtml: escapeWithMarks(tidySnippet(r.s)),
    })),
  };
}
