import { describe, expect, test } from "bun:test";
import { xml2js } from "xml-js";
import { createPost } from "../../src/blog/posts.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { makeBlog, makeServer, request, tempDir } from "../helpers.ts";

const HOST = "alice.localhost:3000";

async function blog() {
  const data = tempDir();
  await makeBlog(data, "alice", { title: "Alice's notes" });
  const { handler, services } = makeServer(data);
  const db = services.pool.get(parseTenantName("alice")).db;
  createPost(db, {
    title: "On SQLite",
    body: "WAL <b>mode</b>.",
    tags: ["sqlite", "design"],
    status: "published",
    publishedAt: "2026-01-01T00:00:00Z",
  });
  createPost(db, {
    title: "On CSS",
    body: "Grids.",
    tags: ["design"],
    status: "published",
    publishedAt: "2026-01-02T00:00:00Z",
  });
  createPost(db, { title: "Draft on SQLite", body: "x", tags: ["sqlite"], status: "draft" });
  createPost(db, {
    title: "Café notes",
    body: "x",
    tags: ["café"],
    status: "published",
    publishedAt: "2026-01-03T00:00:00Z",
  });
  return { get: (path: string, init?: RequestInit) => request(handler, HOST, path, init) };
}

describe("/tags/<tag>/feed.xml", () => {
  test("is an Atom feed of that tag's published posts, with its own id, title and self link", async () => {
    const { get } = await blog();
    const r = await get("/tags/sqlite/feed.xml");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    const doc: any = xml2js(await r.text(), { compact: true });
    expect(doc.feed._attributes.xmlns).toBe("http://www.w3.org/2005/Atom");
    expect(doc.feed.title._text).toBe("Alice's notes: posts tagged “sqlite”");
    expect(doc.feed.id._text).toBe("tag:writekit,2026:alice:tag:sqlite");
    const links = [doc.feed.link].flat().map((l: any) => l._attributes);
    expect(links).toContainEqual({ rel: "self", href: `http://${HOST}/tags/sqlite/feed.xml` });
    expect(links).toContainEqual({ rel: "alternate", href: `http://${HOST}/tags/sqlite` });
    const entries = [doc.feed.entry].flat();
    expect(entries.map((e: any) => e.title._text ?? e.title._cdata)).toEqual(["On SQLite"]);
    expect(entries[0].content._cdata ?? entries[0].content._text).toContain("WAL &lt;b&gt;mode&lt;/b&gt;.");
    const design = [
      (xml2js(await (await get("/tags/design/feed.xml")).text(), { compact: true }) as any).feed.entry,
    ].flat();
    expect(design.map((e: any) => e.title._text ?? e.title._cdata)).toEqual(["On CSS", "On SQLite"]);
  });

  test("is linked from the tag page as an alternate, is cached with an ETag, and works for tags of any letters", async () => {
    const { get } = await blog();
    const page = await (await get("/tags/sqlite")).text();
    expect(page).toContain(
      `<link rel="alternate" type="application/atom+xml" title="Alice's notes: posts tagged “sqlite”" href="http://${HOST}/tags/sqlite/feed.xml"/>`,
    );
    expect(page).toContain('<a href="/tags/sqlite/feed.xml">Feed of this tag</a>');
    const first = await get("/tags/sqlite/feed.xml");
    expect(
      (await get("/tags/sqlite/feed.xml", { headers: { "if-none-match": first.headers.get("etag")! } })).status,
    ).toBe(304);
    const cafe = await get(`/tags/${encodeURIComponent("café")}/feed.xml`);
    expect(cafe.status).toBe(200);
    expect(await cafe.text()).toContain("Café notes");
  });

  test("a tag without published posts is a 404", async () => {
    const { get } = await blog();
    expect((await get("/tags/nothing/feed.xml")).status).toBe(404);
  });
});
