// What a reader page's <head> and the icon addresses tell browsers, search engines and link previews.
import { describe, expect, test } from "bun:test";
import { storeMedia } from "../../src/blog/media.ts";
import { createPost } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { DEFAULT_ICON } from "../../src/web/assets.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { makeBlog, makeServer, request, tempDir } from "../helpers.ts";
import { fixture, sha256 } from "../media-files.ts";

const HOST = "alice.localhost:3000";
const png = fixture("photo.png");
const jpg = fixture("photo.jpg");

async function blog(settings: Record<string, string> = {}) {
  const data = tempDir();
  await makeBlog(data, "alice", { title: "Alice's notes" });
  const { handler, services } = makeServer(data);
  const db = services.pool.get(parseTenantName("alice")).db;
  updateSettings(db, settings);
  createPost(db, {
    title: "Tagged",
    body: "Plain words.",
    tags: ["notes"],
    status: "published",
    publishedAt: "2026-01-01T00:00:00Z",
  });
  const get = (path: string, init?: RequestInit) => request(handler, HOST, path, init);
  return { handler, services, db, get };
}

const description = (html: string) => /<meta name="description" content="([^"]*)"/.exec(html)?.[1];

describe("the blog's icon", () => {
  test("without one, /favicon.ico and /apple-touch-icon.png answer a small default PNG, on a blog and on the instance", async () => {
    const { get, handler } = await blog();
    for (const r of [
      await get("/favicon.ico"),
      await get("/apple-touch-icon.png"),
      await request(handler, "localhost:3000", "/favicon.ico"),
    ]) {
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("image/png");
      expect(r.headers.get("cache-control")).toBe("public, max-age=86400");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(new Uint8Array(DEFAULT_ICON));
    }
    const etag = (await get("/favicon.ico")).headers.get("etag")!;
    expect((await get("/favicon.ico", { headers: { "if-none-match": etag } })).status).toBe(304);
    expect(await (await get("/")).text()).not.toContain('rel="icon"');
  });

  test("an uploaded image chosen as the icon is served with its own type, and every reader page links it by its immutable URL", async () => {
    const { get, db } = await blog();
    const { media } = storeMedia(db, jpg, { alt: "Logo" });
    updateSettings(db, { icon: media.sha256 });
    const r = await get("/favicon.ico");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/jpeg");
    expect(r.headers.get("etag")).toBe(`"${sha256(jpg)}"`);
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(jpg);
    expect((await get("/apple-touch-icon.png")).headers.get("content-type")).toBe("image/jpeg");
    expect((await get("/favicon.ico", { method: "HEAD" })).headers.get("content-length")).toBe(String(jpg.length));
    const url = `/media/${sha256(jpg)}.jpg`;
    for (const path of ["/", "/tagged", "/tags/notes", "/search?q=x"]) {
      const html = await (await get(path)).text();
      expect(html).toContain(`<link rel="icon" type="image/jpeg" sizes="40x30" href="${url}"/>`);
      expect(html).toContain(`<link rel="apple-touch-icon" href="${url}"/>`);
    }
  });

  test("an icon setting naming an image that is gone falls back to the default", async () => {
    const { get, db } = await blog();
    updateSettings(db, { icon: "0".repeat(64) });
    const r = await get("/favicon.ico");
    expect(r.headers.get("content-type")).toBe("image/png");
    expect(await (await get("/")).text()).not.toContain('rel="icon"');
  });
});

describe("the meta description", () => {
  test("every reader page has one: the blog's description, else its title; a post's excerpt on a post", async () => {
    const described = await blog({ description: "Notes on databases & the web." });
    for (const path of ["/", "/tags", "/tags/notes", "/search?q=x", "/no-such-post"]) {
      expect(description(await (await described.get(path)).text())).toBe("Notes on databases & the web.");
    }
    expect(description(await (await described.get("/tagged")).text())).toBe("Plain words.");
    const untitled = await blog();
    for (const path of ["/", "/tags/notes", "/search?q=x"])
      expect(description(await (await untitled.get(path)).text())).toBe("Alice's notes");
  });
});

describe("images in a post", () => {
  test("get their width and height from the blog's media, load lazily after the first, and the first is the post's og:image as a large card", async () => {
    const { get, db } = await blog();
    storeMedia(db, jpg, { alt: "Photo" });
    storeMedia(db, png, { alt: "Gradient" });
    const jpgUrl = `/media/${sha256(jpg)}.jpg`;
    const pngUrl = `/media/${sha256(png)}.png`;
    createPost(db, {
      title: "Pictures",
      body: `Intro.\n\n![Photo](${jpgUrl})\n\n![Gradient](${pngUrl})`,
      status: "published",
      publishedAt: "2026-01-02T00:00:00Z",
    });
    const html = await (await get("/pictures")).text();
    expect(html).toContain(`<img src="${jpgUrl}" alt="Photo" width="40" height="30" />`);
    expect(html).toContain(`<img src="${pngUrl}" alt="Gradient" width="3" height="2" loading="lazy" />`);
    expect(html).toContain(`<meta property="og:image" content="http://${HOST}${jpgUrl}"/>`);
    expect(html).toContain('<meta property="og:image:width" content="40"/>');
    expect(html).toContain('<meta property="og:image:height" content="30"/>');
    expect(html).toContain('<meta name="twitter:card" content="summary_large_image"/>');
    // The reader's browser can load it.
    const image = await get(jpgUrl);
    expect(image.status).toBe(200);
    expect(image.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  test("a post without an image has no og:image; an image elsewhere is named by its own absolute URL", async () => {
    const { get, db } = await blog();
    expect(await (await get("/tagged")).text()).not.toContain("og:image");
    createPost(db, {
      title: "Remote",
      body: "![x](https://images.example.com/a.png?w=1&h=2)",
      status: "published",
      publishedAt: "2026-01-02T00:00:00Z",
    });
    const html = await (await get("/remote")).text();
    expect(html).toContain('<meta property="og:image" content="https://images.example.com/a.png?w=1&h=2"/>');
    expect(html).not.toContain("og:image:width");
  });
});
