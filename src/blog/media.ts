// Images stored in the blog's own file (the `media` table): the export, the backup and a .db import
// carry them with no extra step. Each is stored once under its SHA-256, which is also its URL
// (/media/<sha256>.<ext>), so a URL never changes meaning and can be cached forever. What a file is
// and how large comes from image.ts; this module keeps the limits, the quota and the usage.
//
// Reading: bun:sqlite has no incremental blob I/O (sqlite3_blob_open), so readMediaRange uses
// `substr(data, ?, ?)`, which copies only the range into JavaScript but still has SQLite read every
// page of the blob (docs/ARCHITECTURE.md, "What is on disk", has what that costs). The metadata functions never
// touch `data`, which is the table's last column for that reason.
import type { Database } from "bun:sqlite";
import { IMAGE_EXTENSIONS, inspectImage, type ImageType } from "./image.ts";
import { getSettings } from "./settings.ts";
import { isoTime } from "./time.ts";

export { ACCEPTED_TYPES, IMAGE_LIMITS, InvalidImageError, UnsupportedImageError, type ImageType } from "./image.ts";

export const MEDIA_LIMITS = { fileBytes: 10 * 1024 * 1024, alt: 500 } as const;

export interface Media {
  sha256: string;
  type: ImageType;
  bytes: number;
  width: number;
  height: number;
  alt: string;
  created_at: string;
}

export interface MediaUse {
  id: number;
  slug: string;
  title: string;
  kind: "post" | "page";
}

export class MediaTooLargeError extends Error {
  override name = "MediaTooLargeError";
  constructor(
    readonly bytes: number,
    readonly limit: number = MEDIA_LIMITS.fileBytes,
  ) {
    super(
      `This file is ${sizeText(bytes)}; an image may be at most ${sizeText(limit)}. Scale it down or save it at a lower quality, then upload it again.`,
    );
  }
}

export class MediaQuotaError extends Error {
  override name = "MediaQuotaError";
  constructor(
    readonly used: number,
    readonly quota: number,
    readonly bytes: number,
  ) {
    super(
      `This image (${sizeText(bytes)}) does not fit: the blog's images use ${sizeText(used)} of its ${sizeText(quota)}. Delete images no post uses, or raise the quota (the setting media_quota_bytes).`,
    );
  }
}

export class MediaInUseError extends Error {
  override name = "MediaInUseError";
  constructor(readonly usedBy: MediaUse[]) {
    const names =
      usedBy
        .slice(0, 3)
        .map((u) => `"${u.title}"`)
        .join(", ") + (usedBy.length > 3 ? ` and ${usedBy.length - 3} more` : "");
    super(
      usedBy.length === 1
        ? `This image is used in ${names}; take it out of that post before deleting it.`
        : `This image is used in ${usedBy.length} posts (${names}); take it out of them before deleting it.`,
    );
  }
}

export class MediaAltError extends Error {
  override name = "MediaAltError";
}

/** "12.0 MiB": the same units the CLI prints. */
export function sizeText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const SHA256 = /^[0-9a-f]{64}$/;
const COLUMNS = "sha256, type, bytes, width, height, alt, created_at";

export function mediaExtension(media: Pick<Media, "type">): string {
  return IMAGE_EXTENSIONS[media.type];
}

/** The image's path on its blog: /media/<sha256>.<ext>. */
export function mediaUrl(media: Pick<Media, "sha256" | "type">): string {
  return `/media/${media.sha256}.${mediaExtension(media)}`;
}

/** The Markdown an author pastes to show the image: `![alt](/media/<sha256>.<ext>)`. */
export function mediaMarkdown(media: Pick<Media, "sha256" | "type" | "alt">): string {
  const alt = media.alt.replace(/\s+/g, " ").replace(/[\\[\]]/g, "\\$&");
  return `![${alt}](${mediaUrl(media)})`;
}

/** `<sha256>.<ext>` from a /media/ URL, or null when it cannot name an image (the type is checked against the row by the caller). */
export function parseMediaFileName(name: string): { sha256: string; ext: string } | null {
  const m = /^([0-9a-f]{64})\.(jpg|png|gif|webp|avif)$/.exec(name);
  return m ? { sha256: m[1], ext: m[2] } : null;
}

function checkAlt(alt: string): string {
  const text = alt.replace(/\s+/g, " ").trim();
  if (text.length > MEDIA_LIMITS.alt)
    throw new MediaAltError(
      `The alt text is ${text.length} characters long; the limit is ${MEDIA_LIMITS.alt}. Describe the image in a sentence or two.`,
    );
  return text;
}

/** Bytes used by the blog's images and the most it may hold. */
export function mediaUsage(db: Database): { used: number; quota: number; count: number } {
  const row = db.query("SELECT coalesce(sum(bytes), 0) AS used, count(*) AS count FROM media").get() as {
    used: number;
    count: number;
  };
  return { used: row.used, quota: getSettings(db).media_quota_bytes, count: row.count };
}

/**
 * Stores an uploaded image once: the same bytes again are not stored a second time (a non-empty
 * alt text given then replaces the old one). Refuses, storing nothing, a file over the size limit,
 * one that is not an accepted image (UnsupportedImageError, InvalidImageError), and one that would
 * take the blog past its quota (MediaQuotaError, which says how much is used).
 */
export function storeMedia(
  db: Database,
  bytes: Uint8Array,
  options: { alt?: string; now?: Date } = {},
): { media: Media; created: boolean } {
  if (bytes.length > MEDIA_LIMITS.fileBytes) throw new MediaTooLargeError(bytes.length);
  const alt = checkAlt(options.alt ?? "");
  const image = inspectImage(bytes);
  const sha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
  return db
    .transaction(() => {
      const existing = getMedia(db, sha256);
      if (existing) {
        if (alt && alt !== existing.alt) db.query("UPDATE media SET alt = ? WHERE sha256 = ?").run(alt, sha256);
        return { media: { ...existing, alt: alt || existing.alt }, created: false };
      }
      const { used, quota } = mediaUsage(db);
      if (used + bytes.length > quota) throw new MediaQuotaError(used, quota, bytes.length);
      const media: Media = {
        sha256,
        type: image.type,
        bytes: bytes.length,
        width: image.width,
        height: image.height,
        alt,
        created_at: isoTime(options.now ?? new Date()),
      };
      db.query(
        "INSERT INTO media (sha256, type, bytes, width, height, alt, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ).run(media.sha256, media.type, media.bytes, media.width, media.height, media.alt, media.created_at, bytes);
      return { media, created: true };
    })
    .immediate(); // the quota is read and the row written under one write lock
}

/** An image's description, without its bytes. */
export function getMedia(db: Database, sha256: string): Media | null {
  if (!SHA256.test(sha256)) return null;
  return db.query(`SELECT ${COLUMNS} FROM media WHERE sha256 = ?`).get(sha256) as Media | null;
}

/** The size of the blog's image at a /media/ URL (as a post links it), for the renderer to reserve its space. */
export function mediaSizeByUrl(db: Database, url: string): { width: number; height: number } | null {
  const m = /^\/media\/([0-9a-f]{64})\.[a-z]+$/.exec(url);
  if (!m) return null;
  return db.query("SELECT width, height FROM media WHERE sha256 = ?").get(m[1]) as {
    width: number;
    height: number;
  } | null;
}

/** Changes an image's alt text. */
export function setMediaAlt(db: Database, sha256: string, alt: string): boolean {
  return db.query("UPDATE media SET alt = ? WHERE sha256 = ?").run(checkAlt(alt), sha256).changes > 0;
}

/** The posts and pages (drafts too) whose Markdown points at the image. */
export function mediaUsedBy(db: Database, sha256: string): MediaUse[] {
  if (!SHA256.test(sha256)) return [];
  return db
    .query("SELECT id, slug, title, kind FROM posts WHERE instr(body, ?) > 0 ORDER BY id")
    .all(`/media/${sha256}.`) as MediaUse[];
}

/** Every image, newest first, each with the posts and pages that use it (read in one pass over the posts). */
export function listMedia(db: Database): (Media & { usedBy: MediaUse[] })[] {
  const uses = new Map<string, MediaUse[]>();
  const posts = db
    .query("SELECT id, slug, title, kind, body FROM posts WHERE instr(body, '/media/') > 0 ORDER BY id")
    .all() as (MediaUse & { body: string })[];
  for (const { body, ...post } of posts) {
    for (const sha of new Set(Array.from(body.matchAll(/\/media\/([0-9a-f]{64})\./g), (m) => m[1]))) {
      const list = uses.get(sha) ?? [];
      list.push(post);
      uses.set(sha, list);
    }
  }
  const media = db.query(`SELECT ${COLUMNS} FROM media ORDER BY created_at DESC, rowid DESC`).all() as Media[];
  return media.map((m) => ({ ...m, usedBy: uses.get(m.sha256) ?? [] }));
}

/** Deletes an image no post or page uses (MediaInUseError otherwise); false when there was none. */
export function deleteMedia(db: Database, sha256: string): boolean {
  return db.transaction(() => {
    const usedBy = mediaUsedBy(db, sha256);
    if (usedBy.length) throw new MediaInUseError(usedBy);
    return db.query("DELETE FROM media WHERE sha256 = ?").run(sha256).changes > 0;
  })();
}

/** The image's bytes, or null when there is no such image. */
export function readMedia(db: Database, sha256: string): Uint8Array | null {
  if (!SHA256.test(sha256)) return null;
  const row = db.query("SELECT data FROM media WHERE sha256 = ?").get(sha256) as { data: Uint8Array } | null;
  return row?.data ?? null;
}

/**
 * `length` bytes of the image from byte `start` (0-based; cut at its end), for HTTP range
 * requests: only the range reaches JavaScript. Null when there is no such image.
 */
export function readMediaRange(db: Database, sha256: string, start: number, length: number): Uint8Array | null {
  if (!SHA256.test(sha256)) return null;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0)
    throw new RangeError(`not a byte range: start ${start}, length ${length}`);
  const row = db
    .query("SELECT substr(data, ?, ?) AS part FROM media WHERE sha256 = ?")
    .get(start + 1, length, sha256) as { part: Uint8Array | null } | null;
  if (!row) return null;
  return row.part ?? new Uint8Array(0);
}

/**
 * What `writekit check` finds wrong with the images: quick_check proves the pages hold together,
 * not that an image's bytes are still the ones stored (a flipped bit inside a blob breaks no
 * page). Each image is read once, one row at a time, and hashed; its row must name that hash and
 * its size. Returns how many images were read and a line per one that is not what its row says.
 */
export function verifyMedia(db: Database, max = 10): { images: number; bytes: number; problems: string[] } {
  const table = db.query("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'media'").get();
  if (!table) return { images: 0, bytes: 0, problems: [] }; // a blog from before schema version 2
  const problems: string[] = [];
  let images = 0;
  let bytes = 0;
  for (const row of db.query("SELECT sha256, bytes, data FROM media ORDER BY rowid").iterate() as Iterable<{
    sha256: string;
    bytes: number;
    data: unknown;
  }>) {
    images++;
    const name = `the image ${row.sha256}`;
    if (!(row.data instanceof Uint8Array)) {
      problems.push(`${name} has no bytes stored`);
      continue;
    }
    bytes += row.data.length;
    const actual = new Bun.CryptoHasher("sha256").update(row.data).digest("hex");
    if (actual !== row.sha256) problems.push(`${name} is damaged: its bytes have the SHA-256 ${actual}`);
    else if (row.data.length !== row.bytes)
      problems.push(`${name} is ${row.data.length} bytes but its row says ${row.bytes}`);
    if (problems.length >= max) break;
  }
  return { images, bytes, problems };
}
