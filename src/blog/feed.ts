// The blog's feeds. Atom 1.0 comes from the `feed` library (it handles XML escaping and the
// element rules); JSON Feed 1.1 is plain JSON built from a typed object, since `feed` only emits
// JSON Feed 1.0.
// `feed` is loaded on first use: feeds are rendered once per blog change, and loading it costs
// start-up time every server would pay.
import type { Feed as FeedType } from "feed";
import type { ReaderPost } from "./posts.ts";
import type { Settings } from "./settings.ts";

/**
 * Entries per feed: the newest ten, as WordPress and jekyll-feed give by default. A feed carries
 * each post's whole HTML, so its size and its render grow with this number: at 20, a feed of an
 * ordinary blog was ~190 KB and took ~2–4 ms to make, five times a post page (docs/BENCHMARKS.md).
 */
export const FEED_SIZE = 10;

export interface FeedSource {
  settings: Settings;
  /** Name of the blog, used when it has no title. */
  name: string;
  /** Absolute origin for this request's host, e.g. "https://alice.example.com". */
  origin: string;
  posts: ReaderPost[];
  /** When the blog last changed (newest updated_at), for the feed's <updated>. */
  updated: Date;
  /** A tag's feed (/tags/<tag>/feed.xml): its posts only, with its own id, title and links. */
  tag?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function postUrl(origin: string, slug: string): string {
  return `${origin}/${slug}`;
}

/**
 * Ids stay stable when a post's slug or the blog's host changes: they are tag URIs built from the
 * blog's name and the post's row id (RFC 4151).
 */
function postId(name: string, post: ReaderPost): string {
  return `tag:writekit,2026:${name}:post:${post.id}`;
}

export function atomFeed(src: FeedSource): string {
  const title = src.settings.title || src.name;
  const { Feed } = require("feed") as { Feed: typeof FeedType };
  const tagPath = src.tag === undefined ? null : `/tags/${encodeURIComponent(src.tag)}`;
  const feed = new Feed({
    title: tagPath ? `${title}: posts tagged “${src.tag}”` : title,
    description: src.settings.description || undefined,
    id: tagPath ? `tag:writekit,2026:${src.name}:tag:${encodeURIComponent(src.tag!)}` : `tag:writekit,2026:${src.name}`,
    link: tagPath ? `${src.origin}${tagPath}` : `${src.origin}/`,
    language: "en",
    updated: src.updated,
    generator: "WriteKit",
    copyright: src.settings.author_name ? `© ${src.settings.author_name}` : "",
    feedLinks: tagPath
      ? { atom: `${src.origin}${tagPath}/feed.xml` }
      : { atom: `${src.origin}/feed.xml`, json: `${src.origin}/feed.json` },
    author: src.settings.author_name ? { name: src.settings.author_name } : { name: title },
  });
  for (const post of src.posts) {
    // `feed` marks titles and summaries as type="html"; ours are plain text, so escape them.
    feed.addItem({
      title: escapeHtml(post.title),
      id: postId(src.name, post),
      link: postUrl(src.origin, post.slug),
      date: new Date(post.updated_at > (post.published_at ?? "") ? post.updated_at : post.published_at!),
      published: new Date(post.published_at!),
      description: escapeHtml(post.excerpt),
      content: post.html,
      category: post.tags.map((t) => ({ name: t, term: t })),
    });
  }
  return feed.atom1();
}

export function jsonFeed(src: FeedSource): string {
  const title = src.settings.title || src.name;
  return JSON.stringify({
    version: "https://jsonfeed.org/version/1.1",
    title,
    home_page_url: `${src.origin}/`,
    feed_url: `${src.origin}/feed.json`,
    description: src.settings.description || undefined,
    language: "en",
    authors: src.settings.author_name ? [{ name: src.settings.author_name }] : undefined,
    items: src.posts.map((post) => ({
      id: postId(src.name, post),
      url: postUrl(src.origin, post.slug),
      title: post.title,
      content_html: post.html,
      summary: post.excerpt || undefined,
      date_published: post.published_at,
      date_modified: post.updated_at,
      tags: post.tags.length ? post.tags : undefined,
    })),
  });
}
