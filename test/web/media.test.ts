import { describe, expect, test } from "bun:test";
import { storeMedia } from "../../src/blog/media.ts";
import { createPost } from "../../src/blog/posts.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { makeBlog, makeServer, request, tempDir } from "../helpers.ts";
import { fixture, sha256 } from "../media-files.ts";

const HOST = "alice.localhost";
const jpg = fixture("photo.jpg");
const png = fixture("photo.png");
const hash = sha256(jpg);
const path = `/media/${hash}.jpg`;

async function blogWithImages() {
  const data = tempDir();
  await makeBlog(data, "alice");
  await makeBlog(data, "bob");
  const { handler, services } = makeServer(data);
  const db = services.pool.get(parseTenantName("alice")).db;
  storeMedia(db, jpg, { alt: "A photo" });
  storeMedia(db, png);
  return { handler, services, db };
}

describe("/media/<sha256>.<ext>", () => {
  test("serves the stored bytes with the stored type, the hash as ETag, immutable caching, nosniff and a policy that allows nothing", async () => {
    const { handler } = await blogWithImages();
    const r = await request(handler, HOST, path);
    expect(r.status).toBe(200);
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(jpg);
    expect(r.headers.get("content-type")).toBe("image/jpeg");
    expect(r.headers.get("content-length")).toBe(String(jpg.length));
    expect(r.headers.get("etag")).toBe(`"${hash}"`);
    expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
    expect(r.headers.get("accept-ranges")).toBe("bytes");
    expect((await request(handler, HOST, `/media/${sha256(png)}.png`)).headers.get("content-type")).toBe("image/png");
  });

  test("answers 304 to If-None-Match with its hash, and HEAD with the headers alone", async () => {
    const { handler } = await blogWithImages();
    const cached = await request(handler, HOST, path, { headers: { "if-none-match": `W/"x", "${hash}"` } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(`"${hash}"`);
    expect(await cached.text()).toBe("");
    expect((await request(handler, HOST, path, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
    const head = await request(handler, HOST, path, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("image/jpeg");
    expect(head.headers.get("content-length")).toBe(String(jpg.length));
    expect(await head.text()).toBe("");
  });

  test("answers byte ranges with 206 and Content-Range, and 416 past the end", async () => {
    const { handler } = await blogWithImages();
    const range = async (value: string, extra: Record<string, string> = {}) =>
      request(handler, HOST, path, { headers: { range: value, ...extra } });
    const first = await range("bytes=0-9");
    expect(first.status).toBe(206);
    expect(first.headers.get("content-range")).toBe(`bytes 0-9/${jpg.length}`);
    expect(first.headers.get("content-length")).toBe("10");
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(jpg.subarray(0, 10));
    const rest = await range("bytes=300-");
    expect(rest.headers.get("content-range")).toBe(`bytes 300-${jpg.length - 1}/${jpg.length}`);
    expect(new Uint8Array(await rest.arrayBuffer())).toEqual(jpg.subarray(300));
    const suffix = await range("bytes=-5");
    expect(suffix.headers.get("content-range")).toBe(`bytes ${jpg.length - 5}-${jpg.length - 1}/${jpg.length}`);
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(jpg.subarray(jpg.length - 5));
    const past = await range("bytes=100-999999");
    expect(past.status).toBe(206);
    expect(past.headers.get("content-range")).toBe(`bytes 100-${jpg.length - 1}/${jpg.length}`);
    const unsatisfiable = await range(`bytes=${jpg.length}-`);
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get("content-range")).toBe(`bytes */${jpg.length}`);
    // Several ranges, other units, nonsense, or an If-Range for another version: the whole image.
    for (const [value, extra] of [
      ["bytes=0-1,5-6", {}],
      ["items=0-1", {}],
      ["bytes=9-2", {}],
      ["bytes=0-9", { "if-range": '"old"' }],
    ] as const) {
      const whole = await range(value, extra);
      expect(whole.status).toBe(200);
      expect((await whole.arrayBuffer()).byteLength).toBe(jpg.length);
    }
  });

  test("a wrong extension, an unknown hash, a malformed name, another blog's host or the instance's host is a 404", async () => {
    const { handler } = await blogWithImages();
    expect((await request(handler, HOST, `/media/${hash}.png`)).status).toBe(404);
    expect((await request(handler, HOST, `/media/${hash}.JPG`)).status).toBe(404);
    expect((await request(handler, HOST, `/media/${"0".repeat(64)}.jpg`)).status).toBe(404);
    expect((await request(handler, HOST, `/media/${hash}`)).status).toBe(404);
    expect((await request(handler, HOST, "/media/..%2F..%2Ftenants%2Falice.db")).status).toBe(404);
    expect((await request(handler, "bob.localhost", path)).status).toBe(404);
    expect((await request(handler, "localhost", path)).status).toBe(404);
  });

  test("is not kept in the page cache and is not a page view", async () => {
    const { handler, services, db } = await blogWithImages();
    createPost(db, { title: "Photo", body: `![A photo](${path})`, status: "published" });
    expect((await request(handler, HOST, "/photo")).status).toBe(200);
    const pages = services.pages.size;
    const views = services.views.pendingViews;
    for (let i = 0; i < 3; i++) expect((await request(handler, HOST, path)).status).toBe(200);
    expect(services.pages.size).toBe(pages);
    expect(services.views.pendingViews).toBe(views);
  });
});
