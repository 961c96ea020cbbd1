import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { xml2js } from "xml-js";
import { createPost, updatePost, type PostInput } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { makeBlog, makeServer, request, settleViews, tempDir } from "../helpers.ts";

const HOST = "alice.localhost:3000";

async function blogWith(
  posts: Partial<PostInput>[],
  options: { now?: () => Date; settings?: Record<string, string | number> } = {},
) {
  const data = tempDir();
  await makeBlog(data, "alice", { title: "Alice's notes" });
  const { handler, services } = makeServer(data);
  if (options.now) services.now = options.now;
  const db = services.pool.get(parseTenantName("alice")).db;
  if (options.settings) updateSettings(db, options.settings as any);
  const base = new Date("2026-01-01T00:00:00Z").getTime();
  const created = posts.map((p, i) =>
    createPost(db, {
      title: `Post ${i + 1}`,
      body: `Body of post ${i + 1}.`,
      status: "published",
      publishedAt: new Date(base + i * 86_400_000).toISOString(),
      ...p,
    }),
  );
  return { data, handler, services, db, created };
}

const get = (handler: any, path: string, init?: RequestInit) => request(handler, HOST, path, init);

describe("the home page", () => {
  test("lists the newest posts first and paginates with ?page=N", async () => {
    const { handler } = await blogWith(
      Array.from({ length: 12 }, () => ({})),
      { settings: { posts_per_page: 5 } },
    );
    const first = await (await get(handler, "/")).text();
    expect(first.indexOf("Post 12")).toBeLessThan(first.indexOf("Post 11"));
    expect(first).not.toContain("Post 7<");
    expect(first).toContain('href="/?page=2"');
    const third = await get(handler, "/?page=3");
    expect(third.status).toBe(200);
    const text = await third.text();
    expect(text).toContain("Post 2<");
    expect(text).toContain("Post 1<");
    expect(text).toContain("Page 3 of 3");
  });

  test.each(["abc", "0", "-1", "1.5", "99", "1e3", "%00", "999999999999"])(
    "?page=%p is a 404 page, never a 5xx",
    async (page) => {
      const { handler } = await blogWith([{}]);
      const r = await get(handler, `/?page=${page}`);
      expect(r.status).toBe(404);
      expect(await r.text()).toContain("Alice&#x27;s notes");
    },
  );

  test("drafts never show; a scheduled post appears when its time comes", async () => {
    let now = new Date("2026-03-01T12:00:00Z");
    const { handler } = await blogWith(
      [
        { title: "Visible" },
        { title: "Secret draft", status: "draft" },
        { title: "Future post", publishedAt: "2026-03-02T09:00:00Z" },
      ],
      { now: () => now },
    );
    const before = await (await get(handler, "/")).text();
    expect(before).toContain("Visible");
    expect(before).not.toContain("Secret draft");
    expect(before).not.toContain("Future post");
    expect((await get(handler, "/future-post")).status).toBe(404);
    expect((await get(handler, "/secret-draft")).status).toBe(404);
    now = new Date("2026-03-02T09:00:01Z");
    expect(await (await get(handler, "/")).text()).toContain("Future post");
    expect((await get(handler, "/future-post")).status).toBe(200);
  });
});

describe("a post page", () => {
  test("has the title in <h1>, date, tags, canonical and OpenGraph tags, and the feed link", async () => {
    const { handler } = await blogWith([
      { title: "Why SQLite", body: "It is **fast**.", tags: ["Databases", "sqlite"] },
    ]);
    const r = await get(handler, "/why-sqlite");
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain("<h1>Why SQLite</h1>");
    expect(html).toContain("<strong>fast</strong>");
    expect(html).toContain('<time datetime="2026-01-01T00:00:00Z">1 January 2026</time>');
    expect(html).toContain('href="/tags/databases"');
    expect(html).toContain('<link rel="canonical" href="http://alice.localhost:3000/why-sqlite"/>');
    expect(html).toContain('<meta property="og:title" content="Why SQLite"/>');
    expect(html).toContain('<link rel="alternate" type="application/atom+xml"');
    expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  });

  test("a missing post is a 404 in the blog's layout", async () => {
    const { handler } = await blogWith([]);
    const r = await get(handler, "/no-such-post");
    expect(r.status).toBe(404);
    const html = await r.text();
    expect(html).toContain("Alice&#x27;s notes");
    expect(html).toContain("There is no post at this address");
  });

  test("an old slug of a renamed post answers 301 to the new URL", async () => {
    const { handler, db, created } = await blogWith([{ title: "First name" }]);
    updatePost(db, created[0].id, { title: "First name", body: "x", slug: "second-name", status: "published" });
    const r = await get(handler, "/first-name");
    expect(r.status).toBe(301);
    expect(r.headers.get("location")).toBe("/second-name");
    expect((await get(handler, "/second-name")).status).toBe(200);
  });

  test("answers ETag and Last-Modified, and 304 to a conditional request", async () => {
    const { handler } = await blogWith([{ title: "Cached" }]);
    const r = await get(handler, "/cached");
    const etag = r.headers.get("etag")!;
    const lastModified = r.headers.get("last-modified")!;
    expect(etag).toMatch(/^"[a-z0-9]+"$/);
    expect(lastModified).toContain("GMT");
    expect((await get(handler, "/cached", { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await get(handler, "/cached", { headers: { "if-modified-since": lastModified } })).status).toBe(304);
    expect((await get(handler, "/cached", { headers: { "if-none-match": '"other"' } })).status).toBe(200);
    for (const path of ["/", "/feed.xml", "/feed.json"]) {
      const first = await get(handler, path);
      expect((await get(handler, path, { headers: { "if-none-match": first.headers.get("etag")! } })).status).toBe(304);
    }
  });
});

describe("tags and search", () => {
  test("/tags/<tag> lists the posts with that tag; an unknown tag is a 404", async () => {
    const { handler } = await blogWith([
      { title: "Tagged one", tags: ["go"] },
      { title: "Tagged two", tags: ["go", "rust"] },
      { title: "Untagged" },
    ]);
    const html = await (await get(handler, "/tags/go")).text();
    expect(html).toContain("Tagged one");
    expect(html).toContain("Tagged two");
    expect(html).not.toContain("Untagged");
    expect((await get(handler, "/tags/nothing-here")).status).toBe(404);
    expect(await (await get(handler, "/tags")).text()).toContain("go (2)");
  });

  test("search finds visible posts and highlights matches", async () => {
    const { handler } = await blogWith([
      { title: "Write-ahead logging", body: "WAL lets readers and writers proceed together." },
      { title: "Hidden", body: "readers secret", status: "draft" },
    ]);
    const html = await (await get(handler, "/search?q=readers")).text();
    expect(html).toContain("1 post match");
    expect(html).toContain("<mark>readers</mark>");
    expect(html).not.toContain("Hidden");
    expect(await (await get(handler, "/search?q=zzzz")).text()).toContain("No posts match");
    expect((await get(handler, "/search")).status).toBe(200);
  });

  const hostile = [
    '"',
    "'",
    '"unbalanced',
    "NEAR(",
    "NEAR(a b",
    "a NEAR/3 b",
    "title:secret",
    "body:x OR 1=1",
    "*",
    "^start",
    "a*",
    "a AND",
    "OR",
    "NOT x",
    "'; DROP TABLE posts; --",
    '") OR 1=1 --',
    "()",
    "(((",
    "{a}",
    "-x",
    "+x",
    "\u0000",
    "%",
    "\\",
    "a:b:c",
    "col:",
    "\u202e",
    "日本語",
    "😀",
    "x".repeat(2000),
    "<script>alert(1)</script>",
    "posts_fts MATCH '*'",
    "rank:1",
    'a"b"c',
  ];
  test.each(hostile)("the hostile query %p never makes search answer 5xx", async (q) => {
    const { handler } = await blogWith([{ title: "Some post", body: "Some text about x and a and b." }]);
    const r = await get(handler, `/search?q=${encodeURIComponent(q)}`);
    expect(r.status).toBe(200);
    // Inside a quoted attribute "<" is inert; everywhere else it must be escaped.
    const html = (await r.text()).replace(/"[^"]*"/g, '""');
    expect(html).not.toContain("<script>alert(1)</script>");
  });
});

describe("feeds, sitemap and robots", () => {
  test("/feed.xml is Atom 1.0 with the newest 10 posts, absolute links and stable ids", async () => {
    const { handler, db, created, services } = await blogWith(
      Array.from({ length: 25 }, (_, i) => ({ title: `Entry ${i + 1}`, tags: ["t"] })),
    );
    const r = await get(handler, "/feed.xml");
    expect(r.headers.get("content-type")).toContain("application/atom+xml");
    const doc: any = xml2js(await r.text(), { compact: true });
    expect(doc.feed._attributes.xmlns).toBe("http://www.w3.org/2005/Atom");
    const entries = doc.feed.entry;
    expect(entries).toHaveLength(10);
    expect(entries.at(-1).title._text ?? entries.at(-1).title._cdata).toBe("Entry 16");
    expect(entries[0].title._text ?? entries[0].title._cdata).toBe("Entry 25");
    expect(entries[0].link._attributes.href).toBe("http://alice.localhost:3000/entry-25");
    const id = entries[0].id._text;
    // Renaming the post changes its URL but not its id.
    updatePost(db, created[24].id, { title: "Entry 25", body: "x", slug: "renamed", status: "published" });
    services.pages.invalidate(parseTenantName("alice")); // as the admin's save request does
    const again: any = xml2js(await (await get(handler, "/feed.xml")).text(), { compact: true });
    expect(again.feed.entry[0].id._text).toBe(id);
    expect(again.feed.entry[0].link._attributes.href).toBe("http://alice.localhost:3000/renamed");
  });

  test("/feed.json is JSON Feed 1.1", async () => {
    const { handler } = await blogWith([{ title: "One", tags: ["a"] }]);
    const r = await get(handler, "/feed.json");
    expect(r.headers.get("content-type")).toContain("application/feed+json");
    const feed = await r.json();
    expect(feed.version).toBe("https://jsonfeed.org/version/1.1");
    expect(feed.feed_url).toBe("http://alice.localhost:3000/feed.json");
    expect(feed.items[0]).toMatchObject({ url: "http://alice.localhost:3000/one", title: "One", tags: ["a"] });
    expect(feed.items[0].content_html).toContain("<p>Body of post 1.</p>");
  });

  test("/sitemap.xml lists home, every published post and tag pages; /robots.txt points to it", async () => {
    const { handler } = await blogWith([
      { title: "A post", tags: ["x"] },
      { title: "Draft", status: "draft" },
    ]);
    const xml = await (await get(handler, "/sitemap.xml")).text();
    expect(xml).toContain("<loc>http://alice.localhost:3000/</loc>");
    expect(xml).toContain("<loc>http://alice.localhost:3000/a-post</loc>");
    expect(xml).toContain("<loc>http://alice.localhost:3000/tags/x</loc>");
    expect(xml).not.toContain("draft");
    const robots = await (await get(handler, "/robots.txt")).text();
    expect(robots).toContain("Sitemap: http://alice.localhost:3000/sitemap.xml");
  });
});

describe("cached pages follow every change", () => {
  test("an edit through another connection (another process) shows at once", async () => {
    const { handler, data, services } = await blogWith([{ title: "Before" }]);
    const { BlogWatcher } = await import("../../src/server/watcher.ts");
    const watcher = new BlogWatcher(services);
    watcher.start();
    expect(await (await get(handler, "/")).text()).toContain("Before");
    const changed = new Promise<void>((resolve) => {
      const original = services.pages.invalidate.bind(services.pages);
      services.pages.invalidate = (name) => (original(name), resolve());
    });
    const other = new Database(join(data, "tenants", "alice.db"));
    other.run("UPDATE posts SET title = 'After'");
    other.close();
    await changed;
    expect(await (await get(handler, "/")).text()).toContain("After");
    watcher.stop();
  });

  test("the server's own view flush keeps a blog's cached pages; another connection's write drops them", async () => {
    const { handler, data, services } = await blogWith([{ title: "Kept" }]);
    const { BlogWatcher } = await import("../../src/server/watcher.ts");
    const watcher = new BlogWatcher(services);
    const alice = parseTenantName("alice");
    await get(handler, "/kept");
    await settleViews(services); // adds the view on the Worker's own connection
    watcher.changed(alice); // the watcher's event for that write
    // Answered from memory or the page store: not rendered again.
    const answered = () => services.pages.hits + services.pages.storeHits;
    const hits = answered();
    expect((await get(handler, "/kept")).status).toBe(200);
    expect(answered()).toBe(hits + 1);
    const other = new Database(join(data, "tenants", "alice.db"));
    other.run("UPDATE posts SET title = 'Changed elsewhere'");
    other.close();
    watcher.changed(alice);
    expect(await (await get(handler, "/kept")).text()).toContain("Changed elsewhere");
    // Closed by the pool after writing (its close checkpoints): the events of our own close keep the pages.
    await get(handler, "/kept");
    await settleViews(services);
    services.pool.close(alice);
    const cached = services.pages.size;
    watcher.changed(alice);
    expect(services.pages.size).toBe(cached);
    // Another process writes while it is closed: dropped.
    const third = new Database(join(data, "tenants", "alice.db"));
    third.run("UPDATE posts SET title = 'While closed'");
    third.close();
    watcher.changed(alice);
    expect(await (await get(handler, "/kept")).text()).toContain("While closed");
    // Another process writes while it is open, and the pool closes it before the event arrives:
    // the close itself reports the change.
    const fourth = new Database(join(data, "tenants", "alice.db"));
    fourth.run("UPDATE posts SET title = 'Before eviction'");
    fourth.close();
    services.pool.close(alice);
    watcher.changed(alice);
    expect(await (await get(handler, "/kept")).text()).toContain("Before eviction");
    watcher.stop();
  });

  test("the server's fetch answers a cached page before routing: same answer, its view counted, its request measured", async () => {
    const { services } = await blogWith([{ title: "Fast" }]);
    const { createApp } = await import("../../src/app.ts");
    const { createFrontDoor } = await import("../../src/web/frontdoor.ts");
    const app = createApp(services);
    let routed = 0;
    const fetch = createFrontDoor(services, { fetch: (r: Request) => (routed++, app.fetch(r)) });
    const req = (path: string, headers: Record<string, string> = {}) =>
      new Request(`http://localhost${path}`, { headers: { host: HOST, ...headers } });
    const first = await fetch(req("/fast")); // not cached yet: through the routes
    const body = await first.text();
    const hits = services.pages.hits + services.pages.storeHits;
    const second = await fetch(req("/fast")); // from the page store (memory keeps a page on its second look)
    expect(services.pages.hits + services.pages.storeHits).toBe(hits + 1);
    expect(routed).toBe(1); // only the first request reached the routes
    expect(second.status).toBe(200);
    expect(await second.text()).toBe(body);
    expect(second.headers.toJSON()).toEqual(first.headers.toJSON());
    expect(services.views.pendingFor(parseTenantName("alice"))).toBe(2);
    expect((await fetch(req("/fast", { "if-none-match": second.headers.get("etag")! }))).status).toBe(304);
    const metrics = await (await services.metrics.render()).body;
    // The 304 was answered by the fast path, and measured there.
    expect(metrics).toContain('writekit_http_requests_total{class="3xx"} 1');
    // Anything else goes through the routes: a POST, an uncached page, a bad Host.
    expect(
      (
        await fetch(
          new Request("http://localhost/fast/comments", {
            method: "POST",
            headers: { host: HOST },
            body: new URLSearchParams({ name: "a", body: "b" }),
          }),
        )
      ).status,
    ).toBe(303);
    expect((await fetch(req("/nothing-here"))).status).toBe(404);
    expect((await fetch(new Request("http://localhost/", { headers: { host: "a..b" } }))).status).toBe(400);
    expect(routed).toBe(4);
  });

  test("a settings change is seen on the next request", async () => {
    const { handler, db } = await blogWith([{}]);
    expect(await (await get(handler, "/")).text()).toContain("Alice&#x27;s notes");
    updateSettings(db, { title: "Renamed blog" });
    // Writes through this server go through a non-GET request, which drops the blog's pages.
    await get(handler, "/post-1/comments", { method: "POST", body: new URLSearchParams({ name: "x", body: "y" }) });
    expect(await (await get(handler, "/")).text()).toContain("Renamed blog");
  });
});
