import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { createPost } from "../../../src/blog/posts.ts";
import { getSettings, updateSettings } from "../../../src/blog/settings.ts";
import { request } from "../../helpers.ts";
import { fixture, HOSTILE, pngOfSize, sha256 } from "../../media-files.ts";
import { HOST, signedInBrowser } from "./admin.ts";

const png = fixture("photo.png");
const jpg = fixture("photo.jpg");

function uploadForm(
  csrf: string,
  file: Uint8Array<ArrayBuffer> | null,
  options: { name?: string; type?: string; alt?: string } = {},
): FormData {
  const form = new FormData();
  form.set("csrf", csrf);
  // A browser sends an empty part when no file was chosen.
  form.set(
    "image",
    new File([file ?? new Uint8Array(0)], file ? (options.name ?? "photo.png") : "", {
      type: file ? (options.type ?? "image/png") : "application/octet-stream",
    }),
  );
  form.set("alt", options.alt ?? "");
  return form;
}

const mediaCount = (db: import("bun:sqlite").Database) =>
  (db.query("SELECT count(*) AS n FROM media").get() as { n: number }).n;

describe("the Media page", () => {
  test("is in the admin nav and has a multipart upload form with a labelled Image and Alt text and the CSRF token", async () => {
    const { b, csrf } = await signedInBrowser();
    expect(await (await b.get("/admin")).text()).toContain('<a href="/admin/media">Media</a>');
    const r = await b.get("/admin/media");
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('<a href="/admin/media" aria-current="page">Media</a>');
    expect(html).toContain('<form class="stack" method="post" action="/admin/media" enctype="multipart/form-data">');
    expect(html).toContain(`name="csrf" value="${csrf}"`);
    expect(html).toContain('<label for="image">Image</label>');
    expect(html).toContain('type="file" id="image" name="image"');
    expect(html).toContain('<label for="alt">Alt text</label>');
    expect(html).toContain("No images yet.");
  });

  test("an upload is stored by its bytes and answers with the Markdown to paste", async () => {
    const { b, csrf, db } = await signedInBrowser();
    const r = await b.postForm("/admin/media", uploadForm(csrf, png, { alt: "A tiny gradient" }));
    expect(r.status).toBe(303);
    const hash = sha256(png);
    expect(r.headers.get("location")).toBe(`/admin/media?uploaded=${hash}`);
    const html = await (await b.get(r.headers.get("location")!)).text();
    expect(html).toContain("Uploaded. Paste this Markdown into a post:");
    expect(html).toContain(`<code class="markdown">![A tiny gradient](/media/${hash}.png)</code>`);
    expect(db().query("SELECT sha256, type, bytes, width, height, alt FROM media").all()).toEqual([
      { sha256: hash, type: "image/png", bytes: png.length, width: 3, height: 2, alt: "A tiny gradient" },
    ]);
    // The same bytes again are stored once.
    const again = await b.postForm("/admin/media", uploadForm(csrf, png));
    expect(again.headers.get("location")).toBe(`/admin/media?uploaded=${hash}&again=1`);
    expect(await (await b.get(again.headers.get("location")!)).text()).toContain(
      "This image was already here, so it is stored once.",
    );
    expect(mediaCount(db())).toBe(1);
  });

  test("lists every image with its thumbnail, size, dimensions, Markdown and where it is used", async () => {
    const { b, csrf, db, now } = await signedInBrowser();
    await b.postForm("/admin/media", uploadForm(csrf, png, { alt: "Gradient" }));
    await b.postForm(
      "/admin/media",
      uploadForm(csrf, jpg, { name: "photo.jpg", type: "image/jpeg", alt: "Photo <b>" }),
    );
    const post = createPost(
      db(),
      { title: "Uses the photo", body: `![x](/media/${sha256(jpg)}.jpg)`, status: "draft" },
      now(),
    );
    const html = await (await b.get("/admin/media")).text();
    const jpgUrl = `/media/${sha256(jpg)}.jpg`;
    expect(html).toContain(`<img src="${jpgUrl}" alt="Photo <b>" width="40" height="30" loading="lazy"/>`);
    expect(html).toContain(`<img src="/media/${sha256(png)}.png" alt="Gradient" width="3" height="2" loading="lazy"/>`);
    expect(html).toContain(`${jpg.length} B`);
    expect(html).toContain("40 × 30 pixels, JPEG");
    expect(html).toContain("3 × 2 pixels, PNG");
    expect(html).toContain(`value="![Photo <b>](${jpgUrl})"`);
    expect(html).toContain(`<a href="/admin/posts/${post.id}">Uses the photo</a>`);
    expect(html).toContain("Nothing yet");
    expect(html).toContain(`2 images, ${png.length + jpg.length} B of this blog&#x27;s 500.0 MiB.`);
    // Only the unused image can be deleted.
    expect(html).toContain(`href="/admin/media/${sha256(png)}/delete"`);
    expect(html).not.toContain(`href="/admin/media/${sha256(jpg)}/delete"`);
  });

  test("deleting asks first, then deletes an unused image; one in use is refused with where it is used", async () => {
    const { b, csrf, db, now, handler } = await signedInBrowser();
    await b.postForm("/admin/media", uploadForm(csrf, png, { alt: "Gradient" }));
    await b.postForm("/admin/media", uploadForm(csrf, jpg, { name: "photo.jpg", type: "image/jpeg" }));
    createPost(db(), { title: "Photo post", body: `![x](/media/${sha256(jpg)}.jpg)`, status: "published" }, now());
    const confirm = await b.get(`/admin/media/${sha256(png)}/delete`);
    expect(confirm.status).toBe(200);
    const page = await confirm.text();
    expect(page).toContain("Delete this image?");
    expect(page).toContain(`action="/admin/media/${sha256(png)}/delete"`);
    expect(page).toContain("Delete for good</button>");
    expect(page).toContain('href="/admin/media">Cancel</a>');
    expect(mediaCount(db())).toBe(2);
    const done = await b.post(`/admin/media/${sha256(png)}/delete`, { csrf });
    expect(done.status).toBe(303);
    expect(await (await b.get(done.headers.get("location")!)).text()).toContain("The image was deleted.");
    expect((await request(handler, HOST, `/media/${sha256(png)}.png`)).status).toBe(404);
    const inUse = await b.post(`/admin/media/${sha256(jpg)}/delete`, { csrf });
    expect(inUse.status).toBe(409);
    expect(await inUse.text()).toContain("This image is used in &quot;Photo post&quot;");
    expect(mediaCount(db())).toBe(1);
    expect((await b.post(`/admin/media/${sha256(png)}/delete`, { csrf })).status).toBe(404);
    expect((await b.post(`/admin/media/${sha256(jpg)}/delete`, {})).status).toBe(403);
  });

  test("an image chosen as the blog's icon is marked, cannot be deleted, and can be given up", async () => {
    const { b, csrf, db } = await signedInBrowser();
    await b.postForm("/admin/media", uploadForm(csrf, png, { alt: "Logo" }));
    const hash = sha256(png);
    const chosen = await b.post("/admin/media/icon", { csrf, sha256: hash });
    expect(chosen.status).toBe(303);
    expect(getSettings(db()).icon).toBe(hash);
    const html = await (await b.get(chosen.headers.get("location")!)).text();
    expect(html).toContain("The blog&#x27;s icon is changed.");
    expect(html).toContain(`<span class="status published">The blog's icon</span>`);
    expect(html).not.toContain(`href="/admin/media/${hash}/delete"`);
    expect((await b.post(`/admin/media/${hash}/delete`, { csrf })).status).toBe(409);
    expect((await b.post("/admin/media/icon", { csrf, sha256: "0".repeat(64) })).status).toBe(404);
    expect(await (await b.get("/admin/settings")).text()).toContain(
      `<img src="/media/${hash}.png" alt="Logo" width="48" height="48"/>`,
    );
    await b.post("/admin/media/icon", { csrf, sha256: "" });
    expect(getSettings(db()).icon).toBe("");
    expect((await b.post(`/admin/media/${hash}/delete`, { csrf })).status).toBe(303);
  });

  test("an upload needs a signed-in author and the session's token; without them nothing is stored", async () => {
    const { b, csrf, db, browser } = await signedInBrowser();
    const noToken = await b.postForm("/admin/media", uploadForm("", png));
    expect(noToken.status).toBe(403);
    const crossSite = await b.postForm("/admin/media", uploadForm(csrf, png), { origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    const signedOut = await browser().postForm("/admin/media", uploadForm(csrf, png));
    expect(signedOut.status).toBe(401);
    expect(mediaCount(db())).toBe(0);
  });
});

describe("hostile uploads are refused with a clear page, and nothing is stored", () => {
  const refusedWith = async (
    file: Uint8Array<ArrayBuffer>,
    options: { name?: string; type?: string },
    status: number,
    ...messages: string[]
  ) => {
    const { b, csrf, db, data } = await signedInBrowser();
    const before = readdirSync(data, { recursive: true }).sort();
    const r = await b.postForm("/admin/media", uploadForm(csrf, file, { ...options, alt: "kept alt" }));
    expect(r.status).toBe(status);
    const html = await r.text();
    for (const m of messages) expect(html).toContain(m);
    expect(html).toContain('name="alt" value="kept alt"');
    expect(html).toContain('<div class="field invalid"><label for="image">Image</label>');
    expect(mediaCount(db())).toBe(0);
    expect(readdirSync(data, { recursive: true }).sort()).toEqual(before);
    return html;
  };

  test("an SVG with a script: 415, naming the accepted types", async () => {
    await refusedWith(
      HOSTILE.svgWithScript,
      { name: "logo.svg", type: "image/svg+xml" },
      415,
      "This file is an SVG image (SVG can carry scripts), not an image WriteKit accepts; upload a JPEG, PNG, GIF, WebP or AVIF image.",
    );
  });

  test("an HTML page renamed .png and sent as image/png: 415, since the bytes decide", async () => {
    await refusedWith(
      HOSTILE.htmlRenamedPng,
      { name: "cat.png", type: "image/png" },
      415,
      "This file is an HTML page, not an image WriteKit accepts; upload a JPEG, PNG, GIF, WebP or AVIF image.",
    );
  });

  test("a truncated JPEG: 415", async () => {
    await refusedWith(
      HOSTILE.truncatedJpeg,
      { name: "photo.jpg", type: "image/jpeg" },
      415,
      "This JPEG",
      "WriteKit accepts JPEG, PNG, GIF, WebP or AVIF images.",
    );
  });

  test("a PNG declaring 100,000 × 100,000 pixels (a decompression bomb): 415", async () => {
    await refusedWith(
      HOSTILE.hugePng,
      { name: "bomb.png" },
      415,
      "This PNG says it is 100,000 × 100,000 pixels",
      "WriteKit accepts JPEG, PNG, GIF, WebP or AVIF images.",
    );
  });

  test("a 12 MB file: 413, with the limit", async () => {
    await refusedWith(
      pngOfSize(12 * 1024 * 1024),
      { name: "big.png" },
      413,
      "This file is 12.0 MiB; an image may be at most 10.0 MiB.",
    );
  });

  test("no file chosen: 400, asking for one", async () => {
    await refusedWith(new Uint8Array(0), {}, 400, "Choose an image file first");
  });

  test("an upload past the blog's quota: refused with how much is used", async () => {
    const { b, csrf, db } = await signedInBrowser();
    await b.postForm("/admin/media", uploadForm(csrf, png));
    updateSettings(db(), { media_quota_bytes: png.length + 10 });
    const r = await b.postForm("/admin/media", uploadForm(csrf, jpg, { name: "photo.jpg", type: "image/jpeg" }));
    expect(r.status).toBe(413);
    expect(await r.text()).toContain(
      `This image (${jpg.length} B) does not fit: the blog&#x27;s images use ${png.length} B of its ${png.length + 10} B.`,
    );
    expect(mediaCount(db())).toBe(1);
  });

  test("a file name with ../ and quotes is never used: the image is stored and served by its hash alone", async () => {
    const { b, csrf, db, data, handler } = await signedInBrowser();
    const before = readdirSync(data, { recursive: true }).sort();
    const name = `../../../tenants/evil"'><img src=x onerror=alert(1)>.png`;
    const r = await b.postForm("/admin/media", uploadForm(csrf, png, { name }));
    expect(r.status).toBe(303);
    expect(readdirSync(data, { recursive: true }).sort()).toEqual(before);
    const html = await (await b.get(r.headers.get("location")!)).text();
    expect(html).not.toContain("evil");
    expect(html).not.toContain("onerror");
    expect(db().query("SELECT sha256 FROM media").all()).toEqual([{ sha256: sha256(png) }]);
    expect((await request(handler, HOST, `/media/${sha256(png)}.png`)).status).toBe(200);
  });

  test("alt text that looks like JSON stays text (the form is not read by Elysia's JSON-guessing parser)", async () => {
    const { b, csrf, db } = await signedInBrowser();
    const r = await b.postForm("/admin/media", uploadForm(csrf, png, { alt: "[1, 2]" }));
    expect(r.status).toBe(303);
    expect(db().query("SELECT alt FROM media").get()).toEqual({ alt: "[1, 2]" });
  });
});
