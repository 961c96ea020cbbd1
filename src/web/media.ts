// /media/<sha256>.<ext>: a blog's images, straight from its own file. The URL names the bytes (their
// SHA-256), so an answer never changes and browsers may keep it for a year without asking again.
// Served from the row's stored type (never sniffed), under a policy that lets the file do nothing
// if opened on its own; byte ranges read only the range (readMediaRange). Never kept in the page
// cache (the blob is already in SQLite's pages, and would crowd out rendered pages) and never a
// page view.
import { Elysia, t } from "elysia";
import { getMedia, mediaExtension, parseMediaFileName, readMedia, readMediaRange, type Media } from "../blog/media.ts";
import { NotFoundError } from "./errors.tsx";
import { MEDIA_CSP } from "./http.ts";
import type { Services } from "./services.ts";
import { visitContext, type Visit } from "./visit.ts";

export const IMMUTABLE = "public, max-age=31536000, immutable";

/** What an answer needs to know about an image: its ETag's text, type and length. */
export type ServedImage = Pick<Media, "sha256" | "bytes"> & { type: string };

/** The headers every answer about one image carries (200, 206, 304, 416). */
function mediaHeaders(media: ServedImage, cacheControl: string): Headers {
  return new Headers({
    "content-type": media.type,
    etag: `"${media.sha256}"`,
    "cache-control": cacheControl,
    "x-content-type-options": "nosniff",
    "content-security-policy": MEDIA_CSP,
    "accept-ranges": "bytes",
  });
}

/** Whether an If-None-Match (or If-Range) header names this ETag. */
export function etagMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}

export type ByteRange = { start: number; end: number };

/**
 * The one byte range a `Range` header asks for, inclusive; "unsatisfiable" when it starts past the
 * end; null when the header is absent, malformed, in other units or asks for several ranges, which
 * RFC 9110 (14.2) lets a server answer with the whole representation.
 */
export function parseRange(header: string | null, size: number): ByteRange | "unsatisfiable" | null {
  if (header === null) return null;
  const m = /^bytes=[ \t]*(\d{0,15})[ \t]*-[ \t]*(\d{0,15})[ \t]*$/.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    return suffix === 0 ? "unsatisfiable" : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (start >= size) return "unsatisfiable";
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  return end < start ? null : { start, end };
}

/**
 * The answer for one stored image, for GET and HEAD: 304 when the client has it, 206 for a byte
 * range, 416 for a range past its end, else the whole image. Reads the blob only for a body.
 */
/** Reads an image's bytes (bun:sqlite gives blobs as Uint8Arrays over a plain ArrayBuffer). */
export interface ImageReader {
  all(): Uint8Array | null;
  range(start: number, length: number): Uint8Array | null;
}

export function serveImage(request: Request, media: ServedImage, cacheControl: string, read: ImageReader): Response {
  const headers = mediaHeaders(media, cacheControl);
  const etag = `"${media.sha256}"`;
  if (etagMatches(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  const ifRange = request.headers.get("if-range");
  const range =
    ifRange === null || ifRange.trim() === etag ? parseRange(request.headers.get("range"), media.bytes) : null;
  const head = request.method === "HEAD";
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${media.bytes}`);
    headers.delete("content-type");
    return new Response(null, { status: 416, headers });
  }
  if (range) {
    const length = range.end - range.start + 1;
    headers.set("content-range", `bytes ${range.start}-${range.end}/${media.bytes}`);
    headers.set("content-length", String(length));
    const body = head ? null : read.range(range.start, length);
    if (!head && body === null) throw new NotFoundError("There is no image at this address.");
    return new Response(body as Uint8Array<ArrayBuffer> | null, { status: 206, headers });
  }
  headers.set("content-length", String(media.bytes));
  const body = head ? null : read.all();
  if (!head && body === null) throw new NotFoundError("There is no image at this address.");
  return new Response(body as Uint8Array<ArrayBuffer> | null, { status: 200, headers });
}

export function mediaRoutes(services: Services) {
  const answer = ({ visit, params }: { visit: Visit; params: { file: string } }): Response => {
    if (visit.site.kind !== "blog") throw new NotFoundError("Images belong to blogs; the server itself has none.");
    const name = parseMediaFileName(params.file);
    if (!name) throw new NotFoundError("There is no image at this address.");
    // One synchronous read of the row (and, for a body, of its blob) on the registry's cheapest connection.
    return services.pool.read(visit.blog, (tenant) => {
      const media = getMedia(tenant.db, name.sha256);
      // The extension must be the stored type's: /media/<png's hash>.jpg is not an address of it.
      if (!media || mediaExtension(media) !== name.ext) throw new NotFoundError("There is no image at this address.");
      const response = serveImage(visit.request, media, IMMUTABLE, {
        all: () => readMedia(tenant.db, media.sha256),
        range: (start, length) => readMediaRange(tenant.db, media.sha256, start, length),
      });
      // Elysia answers a HEAD to a path with parameters by reading the body of the GET route's
      // answer to count its bytes (even when a HEAD route exists): zeros are counted, the image is not read.
      if (visit.request.method !== "HEAD" || response.status >= 300) return response;
      return new Response(zeros(Number(response.headers.get("content-length"))), {
        status: response.status,
        headers: response.headers,
      });
    });
  };
  return new Elysia({ name: "media" })
    .use(visitContext(services))
    .get("/media/:file", answer, { params: t.Object({ file: t.String({ maxLength: 100 }) }) });
}

const ZEROS = new Uint8Array(64 * 1024);

/** `length` zero bytes, a shared chunk at a time. */
function zeros(length: number): ReadableStream<Uint8Array> {
  let left = length;
  return new ReadableStream({
    pull(controller) {
      if (left === 0) return controller.close();
      const n = Math.min(left, ZEROS.length);
      left -= n;
      controller.enqueue(ZEROS.subarray(0, n));
    },
  });
}
