import { describe, expect, test } from "bun:test";
import { xml2js } from "xml-js";
import { addComment } from "../../src/blog/comments.ts";
import { FEED_SIZE } from "../../src/blog/feed.ts";
import { createPost, normaliseTag } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { makeServer, makeBlog, request, tempDir } from "../helpers.ts";
import { XSS_PAYLOADS } from "../xss-payloads.ts";

/** Markup that would run script or load a javascript:/data: URL, outside of escaped text. */
function dangerous(html: string): string[] {
  const found: string[] = [];
  // Attribute values are inert as long as they stay inside their quotes; look at markup only.
  const markup = html.replace(/="[^"]*"/g, '=""');
  for (const re of [/<script/i, /<iframe/i, /<svg/i, /<math/i, /<style/i, /<details/i]) {
    if (re.test(markup)) found.push(re.source);
  }
  // An event handler attribute inside a real tag (escaped text has "&lt;", never "<").
  for (const tag of markup.matchAll(/<[a-z][^>]*>/gi)) if (/\son\w+=/i.test(tag[0])) found.push(tag[0]);
  for (const m of html.matchAll(/(?:href|src)="([^"]*)"/gi)) {
    if (/^\s*(javascript|vbscript|data):/i.test(m[1].replace(/&#x?[0-9a-f]+;|[\s\u0000-\u001f]/gi, "")))
      found.push(m[0]);
  }
  return found;
}

describe("user text is escaped on every page", () => {
  test("XSS payloads in titles, bodies, tags, comments and settings never come back as markup", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { handler, services } = makeServer(data);
    const db = services.pool.get(parseTenantName("alice")).db;
    updateSettings(db, {
      title: XSS_PAYLOADS[1],
      description: XSS_PAYLOADS[2],
      author_name: XSS_PAYLOADS[3],
      comment_policy: "approve",
    });
    const slugs: string[] = [];
    XSS_PAYLOADS.forEach((payload, i) => {
      const post = createPost(db, {
        title: `${payload} ${i}`,
        body: `Intro ${payload}\n\n${payload}\n\n* ${payload}`,
        tags: [payload],
        status: "published",
        publishedAt: "2026-01-01T00:00:00Z",
      });
      addComment(db, {
        postId: post.id,
        name: payload,
        email: null,
        body: `${payload}\n\n${payload} https://example.com`,
        status: "approved",
      });
      slugs.push(post.slug);
    });
    const paths = [
      "/",
      "/?page=2",
      "/tags",
      "/feed.json",
      ...slugs.map((s) => `/${s}`),
      ...XSS_PAYLOADS.map((p) => `/search?q=${encodeURIComponent(p)}`),
      `/tags/${encodeURIComponent("script-xss-1-script")}`,
    ];
    for (const path of paths) {
      const r = await request(handler, "alice.localhost", path);
      expect(r.status).toBeLessThan(500);
      const body = await r.text();
      if (path === "/feed.json") {
        // JSON escapes by construction; the HTML inside content_html is the sanitised post.
        for (const item of JSON.parse(body).items) expect(dangerous(item.content_html)).toEqual([]);
        continue;
      }
      expect({ path, found: dangerous(body) }).toEqual({ path, found: [] });
    }
    // Atom: every type="html" field is HTML to a feed reader, so each must be safe as HTML.
    // The blog feed holds the newest FEED_SIZE posts; each post's own tag feed holds it, so every
    // payload is read back from a feed.
    const feeds = ["/feed.xml", ...XSS_PAYLOADS.map((p) => `/tags/${encodeURIComponent(normaliseTag(p))}/feed.xml`)];
    const seen = new Set<string>();
    for (const path of feeds) {
      const r = await request(handler, "alice.localhost", path);
      expect({ path, status: r.status }).toEqual({ path, status: 200 });
      const atom: any = xml2js(await r.text(), { compact: true });
      const entries = [atom.feed.entry].flat();
      if (path === "/feed.xml") expect(entries).toHaveLength(FEED_SIZE);
      for (const entry of entries) {
        seen.add(entry.id._text);
        for (const field of ["title", "summary", "content"]) {
          const html = entry[field]._cdata ?? entry[field]._text ?? "";
          expect({ path, field, found: dangerous(html) }).toEqual({ path, field, found: [] });
        }
      }
    }
    expect(seen.size).toBe(XSS_PAYLOADS.length);
  });
});
