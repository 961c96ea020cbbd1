// The local images of an imported Markdown post, brought into the blog's media and linked there:
// blog/importimages.ts finds them in the text, this module finds their files and stores them.
//
// Where a path is looked for: one from the site's root (`/assets/a.png`) under --site-root, then
// under its `static/` folder (Hugo serves that at the root); a relative one (`img/a.png`, a Hugo
// page bundle's `cover.jpg`) next to the Markdown file, then under --site-root. A file is read only
// inside the site's folder or the folder being imported (sitefiles.ts), so `../../etc/passwd` or a
// link out of the site is refused and said. An image already in the blog is not stored again.
import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { localImages, rewriteImages } from "../blog/importimages.ts";
import {
  getMedia,
  InvalidImageError,
  MEDIA_LIMITS,
  MediaQuotaError,
  MediaTooLargeError,
  mediaUrl,
  sizeText,
  storeMedia,
  UnsupportedImageError,
} from "../blog/media.ts";
import { fileErrorMessage, isInside, readSiteFile, SiteFileError } from "./sitefiles.ts";

export interface SiteFolders {
  /** The real path of the folder the Markdown file was found under (the one named on the command line). */
  importRoot: string;
  /** The real path of --site-root, when given. */
  siteRoot?: string;
}

export interface BroughtImages {
  body: string;
  /** What the person importing should know, for the file's line: images stored, or not found and why. */
  notes: string[];
}

/** The places `path` may be, in order; each inside the site's folder or the imported one. */
function candidates(path: string, markdownPath: string, folders: SiteFolders): string[] {
  const { siteRoot } = folders;
  const places = path.startsWith("/")
    ? siteRoot
      ? [join(siteRoot, path), join(siteRoot, "static", path)]
      : []
    : [resolve(dirname(markdownPath), path), ...(siteRoot ? [join(siteRoot, path)] : [])];
  return [...new Set(places)];
}

/**
 * Stores the images `body` shows from local files (each once) and returns the body linking them
 * at /media/. An image that cannot be brought keeps its old link, and a note says why. Call it
 * inside the transaction that saves the post, so a post that fails leaves no images behind.
 */
export function bringImages(
  db: Database,
  body: string,
  markdownPath: string,
  folders: SiteFolders,
  now: Date,
): BroughtImages {
  const notes: string[] = [];
  const urls = new Map<string, string>();
  const roots = [folders.importRoot, ...(folders.siteRoot ? [folders.siteRoot] : [])];
  let stored = 0;
  for (const { path, alt } of localImages(body)) {
    const shown = JSON.stringify(path);
    const places = candidates(path, markdownPath, folders);
    if (places.length === 0) {
      notes.push(
        `image ${shown} not brought: it is a path from the site's root; give the site's folder with --site-root DIR`,
      );
      continue;
    }
    const inside = places.filter((place) => roots.some((root) => isInside(place, root)));
    if (inside.length === 0) {
      notes.push(`image ${shown} not brought: it is outside the site's folder`);
      continue;
    }
    const file = inside.find((place) => existsSync(place));
    if (!file) {
      notes.push(`image ${shown} not found (looked for ${inside.join(" and ")}); its link is kept`);
      continue;
    }
    try {
      const { bytes } = readSiteFile(
        file,
        roots,
        MEDIA_LIMITS.fileBytes,
        (size) => `it is ${sizeText(size)}; an image may be at most ${sizeText(MEDIA_LIMITS.fileBytes)}`,
      );
      const sha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
      let media = getMedia(db, sha256);
      if (!media) {
        media = storeMedia(db, bytes, { alt: alt.slice(0, MEDIA_LIMITS.alt), now }).media;
        stored++;
      }
      urls.set(path, mediaUrl(media));
    } catch (e) {
      if (e instanceof UnsupportedImageError)
        notes.push(`image ${shown} not brought: it is ${e.found}, not a JPEG, PNG, GIF, WebP or AVIF image`);
      else if (e instanceof InvalidImageError || e instanceof SiteFileError)
        notes.push(`image ${shown} not brought: ${e.message.replace(/\.$/, "")}`);
      else if (e instanceof MediaTooLargeError)
        notes.push(
          `image ${shown} not brought: it is ${sizeText(e.bytes)}; an image may be at most ${sizeText(e.limit)}`,
        );
      else if (e instanceof MediaQuotaError)
        notes.push(
          `image ${shown} not brought: the blog's images would use ${sizeText(e.used + e.bytes)} of its quota of ${sizeText(e.quota)} (the setting media_quota_bytes)`,
        );
      else if ((e as { code?: unknown })?.code !== undefined && !(e instanceof Error && e.name === "SQLiteError"))
        notes.push(`image ${shown} not brought: ${fileErrorMessage(e)}`);
      else throw e;
    }
  }
  if (stored) notes.unshift(`${stored} image${stored === 1 ? "" : "s"} brought into the blog`);
  return { body: urls.size ? rewriteImages(body, urls) : body, notes };
}
