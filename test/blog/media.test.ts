import type { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspectImage, InvalidImageError, UnsupportedImageError } from "../../src/blog/image.ts";
import {
  deleteMedia,
  getMedia,
  listMedia,
  MEDIA_LIMITS,
  MediaAltError,
  mediaMarkdown,
  MediaInUseError,
  MediaQuotaError,
  MediaTooLargeError,
  mediaUrl,
  mediaUsage,
  mediaUsedBy,
  parseMediaFileName,
  readMedia,
  readMediaRange,
  setMediaAlt,
  storeMedia,
} from "../../src/blog/media.ts";
import { createPost, updatePost } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { makeBlog, tempDir } from "../helpers.ts";

// Made with ImageMagick 6, cwebp and avifenc (see test/fixtures/media/README.md).
const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dir, "..", "fixtures", "media", name)));
const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
};
const text = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: (Uint8Array | number[])[]) => new Uint8Array(parts.flatMap((p) => Array.from(p)));

/** A copy of a PNG with its IHDR width and height replaced (the CRC is not checked, nor need it be). */
function pngDeclaring(width: number, height: number): Uint8Array {
  const png = fixture("photo.png").slice();
  const view = new DataView(png.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return png;
}

async function blog(): Promise<Database> {
  return openBlogDatabase(await makeBlog(tempDir(), "alice"));
}

const count = (db: Database) => (db.query("SELECT count(*) AS n FROM media").get() as { n: number }).n;

describe("what a file is: the type from its magic bytes, the size from its header", () => {
  test.each([
    ["photo.jpg", "image/jpeg", 40, 30],
    ["progressive.jpg", "image/jpeg", 40, 30],
    ["photo.png", "image/png", 3, 2],
    ["alpha.png", "image/png", 7, 9],
    ["still.gif", "image/gif", 5, 4],
    ["animated.gif", "image/gif", 6, 5],
    ["lossy.webp", "image/webp", 3, 2],
    ["lossless.webp", "image/webp", 3, 2],
    ["alpha.webp", "image/webp", 7, 9],
    ["photo.avif", "image/avif", 64, 48],
  ])("%s is %s, %i × %i", (name, type, width, height) => {
    expect(inspectImage(fixture(name))).toEqual({ type: type as never, width, height });
  });

  test("an SVG is refused, scripts or not, with the types that are accepted", () => {
    for (const svg of [
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
      '\uFEFF<?xml version="1.0"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg/>',
    ]) {
      const e = errorOf(() => inspectImage(text(svg)));
      expect(e).toBeInstanceOf(UnsupportedImageError);
      expect(e.message).toBe(
        "This file is an SVG image (SVG can carry scripts), not an image WriteKit accepts; upload a JPEG, PNG, GIF, WebP or AVIF image.",
      );
    }
  });

  test("HTML renamed .png, a PDF, a BMP, a HEIC photo, random bytes and nothing are refused, each named", () => {
    const heic = concat([0, 0, 0, 24], text("ftypheic"), [0, 0, 0, 0], text("mif1heic"));
    const cases: [Uint8Array, string][] = [
      [text("<!DOCTYPE html><html><script>alert(1)</script></html>"), "an HTML page"],
      [text("%PDF-1.7\n..."), "a PDF document"],
      [concat(text("BM"), new Uint8Array(60)), "a BMP image"],
      [heic, "a HEIC image"],
      [new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]), "not an image"],
      [new Uint8Array(0), "empty"],
    ];
    for (const [bytes, found] of cases) {
      const e = errorOf(() => inspectImage(bytes)) as UnsupportedImageError;
      expect(e).toBeInstanceOf(UnsupportedImageError);
      expect(e.found).toBe(found);
    }
  });

  test("a truncated file of every type is refused as cut short, at any length", () => {
    for (const name of [
      "photo.jpg",
      "progressive.jpg",
      "photo.png",
      "animated.gif",
      "lossy.webp",
      "alpha.webp",
      "photo.avif",
    ]) {
      const whole = fixture(name);
      for (const keep of [whole.length - 1, Math.floor(whole.length / 2), 40, 12]) {
        const e = errorOf(() => inspectImage(whole.subarray(0, keep)));
        expect([e.name, name, keep]).toEqual(["InvalidImageError", name, keep]);
      }
    }
    expect(errorOf(() => inspectImage(fixture("photo.png").subarray(0, 60))).message).toBe(
      "This PNG is damaged or cut short: it has no end (IEND chunk). Upload the whole file again.",
    );
    expect(errorOf(() => inspectImage(fixture("photo.jpg").subarray(0, 300))).message).toContain(
      "its image data has no end (EOI marker)",
    );
  });

  test("a JPEG without a frame header (SOF) has no size and is refused", () => {
    const noSof = concat([0xff, 0xd8], [0xff, 0xe0, 0, 4, 0, 0], [0xff, 0xda, 0, 2], [1, 2, 3], [0xff, 0xd9]);
    expect(errorOf(() => inspectImage(noSof)).message).toBe(
      "This JPEG has no frame header (SOF marker) before its image data, so it has no size; it is damaged.",
    );
    expect(errorOf(() => inspectImage(concat([0xff, 0xd8], [0xff, 0xd9]))).message).toContain("no frame header");
  });

  test("a JPEG cut inside its image data is refused even when an EXIF thumbnail before it holds an end marker", () => {
    const jpg = fixture("photo.jpg");
    const thumbnail = [0xff, 0xd8, 0xff, 0xd9];
    const app1 = concat([0xff, 0xe1, 0, 2 + 6 + thumbnail.length], text("Exif\0\0"), thumbnail);
    const withExif = concat(jpg.subarray(0, 2), app1, jpg.subarray(2));
    expect(inspectImage(withExif)).toMatchObject({ width: 40, height: 30 });
    expect(errorOf(() => inspectImage(withExif.subarray(0, withExif.length - 2)))).toBeInstanceOf(InvalidImageError);
  });

  test("a PNG without IHDR, or without image data, is refused", () => {
    const png = fixture("photo.png").slice();
    png.set(text("IHDX"), 12);
    expect(errorOf(() => inspectImage(png)).message).toBe(
      "This PNG has no header (IHDR chunk) where the format puts it; it is damaged.",
    );
    const ihdrAndIend = concat(fixture("photo.png").subarray(0, 33), fixture("photo.png").subarray(-12));
    expect(errorOf(() => inspectImage(ihdrAndIend)).message).toContain("no image data (IDAT chunk)");
  });

  test("a zip bomb of a PNG (a few bytes declaring a gigantic image) is refused, and so is anything past 20,000 px a side or 100 megapixels", () => {
    expect(errorOf(() => inspectImage(pngDeclaring(100_000, 100_000))).message).toBe(
      "This PNG says it is 100,000 × 100,000 pixels; WriteKit accepts at most 20,000 pixels a side and 100 megapixels. Scale it down and upload it again.",
    );
    expect(errorOf(() => inspectImage(pngDeclaring(0xffffffff, 1)))).toBeInstanceOf(InvalidImageError);
    expect(errorOf(() => inspectImage(pngDeclaring(20_001, 1)))).toBeInstanceOf(InvalidImageError);
    expect(errorOf(() => inspectImage(pngDeclaring(10_000, 10_001)))).toBeInstanceOf(InvalidImageError);
    expect(errorOf(() => inspectImage(pngDeclaring(0, 10))).message).toContain("does not say how large it is");
    expect(inspectImage(pngDeclaring(20_000, 5_000))).toEqual({ type: "image/png", width: 20_000, height: 5_000 });
    const gif = fixture("still.gif").slice();
    new DataView(gif.buffer).setUint16(6, 65535, true);
    new DataView(gif.buffer).setUint16(8, 65535, true);
    expect(errorOf(() => inspectImage(gif))).toBeInstanceOf(InvalidImageError);
  });
});

describe("storing images in the blog's file", () => {
  test("an image is stored with its type, size and alt text, and read back whole and in ranges", async () => {
    const db = await blog();
    const jpg = fixture("photo.jpg");
    const { media, created } = storeMedia(db, jpg, {
      alt: "  A gradient,\nat dusk ",
      now: new Date("2026-01-01T00:00:00Z"),
    });
    expect(created).toBe(true);
    expect(media).toEqual({
      sha256: sha256(jpg),
      type: "image/jpeg",
      bytes: jpg.length,
      width: 40,
      height: 30,
      alt: "A gradient, at dusk",
      created_at: "2026-01-01T00:00:00Z",
    });
    expect(getMedia(db, media.sha256)).toEqual(media);
    expect(mediaUrl(media)).toBe(`/media/${sha256(jpg)}.jpg`);
    expect(mediaMarkdown({ ...media, alt: "a [bracket] \\ here" })).toBe(
      `![a \\[bracket\\] \\\\ here](/media/${sha256(jpg)}.jpg)`,
    );
    expect(readMedia(db, media.sha256)).toEqual(jpg);
    expect(readMediaRange(db, media.sha256, 0, 10)).toEqual(jpg.subarray(0, 10));
    expect(readMediaRange(db, media.sha256, 100, 50)).toEqual(jpg.subarray(100, 150));
    expect(readMediaRange(db, media.sha256, jpg.length - 5, 100)).toEqual(jpg.subarray(jpg.length - 5));
    expect(readMediaRange(db, media.sha256, 0, 0)).toEqual(new Uint8Array(0));
    expect(readMediaRange(db, "0".repeat(64), 0, 10)).toBeNull();
    expect(() => readMediaRange(db, media.sha256, -1, 10)).toThrow(RangeError);
    expect(readMedia(db, "../etc/passwd")).toBeNull();
  });

  test("the same bytes uploaded twice are stored once; a new alt text replaces the old one, an empty one does not", async () => {
    const db = await blog();
    const png = fixture("photo.png");
    storeMedia(db, png, { alt: "first" });
    const again = storeMedia(db, png, { alt: "second" });
    expect(again.created).toBe(false);
    expect(again.media.alt).toBe("second");
    expect(storeMedia(db, png).media.alt).toBe("second");
    expect(count(db)).toBe(1);
    expect(setMediaAlt(db, sha256(png), "third")).toBe(true);
    expect(getMedia(db, sha256(png))!.alt).toBe("third");
    expect(() => storeMedia(db, fixture("still.gif"), { alt: "x".repeat(MEDIA_LIMITS.alt + 1) })).toThrow(
      MediaAltError,
    );
  });

  test("hostile or oversized uploads store nothing", async () => {
    const db = await blog();
    const big = new Uint8Array(12 * 1024 * 1024);
    big.set(fixture("photo.png"));
    expect(errorOf(() => storeMedia(db, big)).message).toBe(
      "This file is 12.0 MiB; an image may be at most 10.0 MiB. Scale it down or save it at a lower quality, then upload it again.",
    );
    expect(errorOf(() => storeMedia(db, big))).toBeInstanceOf(MediaTooLargeError);
    expect(errorOf(() => storeMedia(db, text("<svg onload=alert(1)>")))).toBeInstanceOf(UnsupportedImageError);
    expect(errorOf(() => storeMedia(db, text("<html><body>not a png</body></html>")))).toBeInstanceOf(
      UnsupportedImageError,
    );
    expect(errorOf(() => storeMedia(db, fixture("photo.jpg").subarray(0, 200)))).toBeInstanceOf(InvalidImageError);
    expect(errorOf(() => storeMedia(db, pngDeclaring(100_000, 100_000)))).toBeInstanceOf(InvalidImageError);
    expect(count(db)).toBe(0);
  });

  test("a blog's images are held to its quota, and the refusal says how much is used", async () => {
    const db = await blog();
    const jpg = fixture("photo.jpg");
    const png = fixture("photo.png");
    updateSettings(db, { media_quota_bytes: jpg.length + 10 });
    storeMedia(db, jpg);
    const e = errorOf(() => storeMedia(db, png)) as MediaQuotaError;
    expect(e).toBeInstanceOf(MediaQuotaError);
    expect(e).toMatchObject({ used: jpg.length, quota: jpg.length + 10, bytes: png.length });
    expect(e.message).toBe(
      `This image (${png.length} B) does not fit: the blog's images use ${jpg.length} B of its ${jpg.length + 10} B. Delete images no post uses, or raise the quota (the setting media_quota_bytes).`,
    );
    // The same image again takes no room, so it is not refused.
    expect(storeMedia(db, jpg).created).toBe(false);
    expect(mediaUsage(db)).toEqual({ used: jpg.length, quota: jpg.length + 10, count: 1 });
  });

  test("the media list says where each image is used; one in use cannot be deleted, an unused one can", async () => {
    const db = await blog();
    const a = storeMedia(db, fixture("photo.png"), { now: new Date("2026-01-01T00:00:00Z") }).media;
    const b = storeMedia(db, fixture("still.gif"), { now: new Date("2026-01-02T00:00:00Z") }).media;
    const post = createPost(db, {
      title: "With a picture",
      body: `Look: ${mediaMarkdown(a)} and again ${mediaMarkdown(a)}`,
      status: "draft",
    });
    createPost(db, { title: "About", body: `![me](${mediaUrl(a)})`, status: "published", kind: "page" });
    const list = listMedia(db);
    expect(list.map((m) => m.sha256)).toEqual([b.sha256, a.sha256]);
    expect(list[1].usedBy).toEqual([
      { id: post.id, slug: "with-a-picture", title: "With a picture", kind: "post" },
      { id: post.id + 1, slug: "about", title: "About", kind: "page" },
    ]);
    expect(list[0].usedBy).toEqual([]);
    expect(mediaUsedBy(db, a.sha256).map((u) => u.slug)).toEqual(["with-a-picture", "about"]);
    const e = errorOf(() => deleteMedia(db, a.sha256));
    expect(e).toBeInstanceOf(MediaInUseError);
    expect(e.message).toBe(
      'This image is used in 2 posts ("With a picture", "About"); take it out of them before deleting it.',
    );
    expect(deleteMedia(db, b.sha256)).toBe(true);
    expect(deleteMedia(db, b.sha256)).toBe(false);
    db.run("DELETE FROM posts WHERE slug = 'about'");
    expect(errorOf(() => deleteMedia(db, a.sha256)).message).toBe(
      'This image is used in "With a picture"; take it out of that post before deleting it.',
    );
    updatePost(db, post.id, { title: "With a picture", body: "No picture now", status: "draft" });
    expect(deleteMedia(db, a.sha256)).toBe(true);
    expect(count(db)).toBe(0);
  });

  test("a post showing an uploaded image reserves its space: width and height come from the media table", async () => {
    const db = await blog();
    const { media } = storeMedia(db, fixture("photo.jpg"), { alt: "Dusk" });
    const post = createPost(db, {
      title: "Pictures",
      body: `${mediaMarkdown(media)}\n\n![again](${mediaUrl(media)})`,
      status: "published",
    });
    expect(post.html).toBe(
      `<p><img src="${mediaUrl(media)}" alt="Dusk" width="40" height="30" /></p>\n<p><img src="${mediaUrl(media)}" alt="again" width="40" height="30" loading="lazy" /></p>\n`,
    );
  });

  test("a /media/ file name names an image only as <sha256>.<known ext>", () => {
    const sha = "a".repeat(64);
    expect(parseMediaFileName(`${sha}.png`)).toEqual({ sha256: sha, ext: "png" });
    for (const bad of [
      `${sha}.svg`,
      `${sha}.PNG`,
      `${"A".repeat(64)}.png`,
      `../${sha}.png`,
      `${sha}.png/..`,
      `${sha}`,
      `"${sha}".png`,
    ])
      expect(parseMediaFileName(bad)).toBeNull();
  });
});
