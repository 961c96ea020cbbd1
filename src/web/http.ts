// How every HTML answer is sent: content type and the security headers every page carries.
// Pages run no script at all, so the policy forbids it outright. And how large a request body may
// be: one limit for every route, and a larger one for the few that carry an image.
import { MEDIA_LIMITS, sizeText } from "../blog/media.ts";

export const BLOG_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self'";
/** Admin pages may never be framed (clickjacking of the author's buttons). */
export const ADMIN_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** An uploaded image, opened on its own, may do nothing at all (no script, no plugin, no frame). */
export const MEDIA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": BLOG_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
};

export function htmlResponse(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", ...SECURITY_HEADERS, ...headers },
  });
}

/** A 303 after a form post, so reloading the next page does not post again. */
export function seeOther(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { location, ...headers } });
}

/** Largest request body accepted (a long post is 500,000 characters, up to ~2 MB in UTF-8). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Largest body of an upload: one image at its size limit, plus the editor's text sent with it. */
export const UPLOAD_MAX_BODY_BYTES = MEDIA_LIMITS.fileBytes + MAX_BODY_BYTES;

/** The form posts that carry an image: the Media page's, and the editor's "Upload image" button. */
const UPLOAD_ROUTE = /^\/admin\/(?:media|posts\/(?:new|[1-9]\d{0,11})\/upload)$/;

/** The most bytes the request's body may have: UPLOAD_MAX_BODY_BYTES on an upload route, MAX_BODY_BYTES everywhere else. */
export function bodyLimitOf(request: Request): number {
  if (request.method !== "POST") return MAX_BODY_BYTES;
  const url = request.url;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", pathStart);
  const path = pathStart < 0 ? "/" : url.slice(pathStart, query < 0 ? undefined : query);
  return UPLOAD_ROUTE.test(path) ? UPLOAD_MAX_BODY_BYTES : MAX_BODY_BYTES;
}

/** Why a body was refused as too large; for an upload, in terms of the image. */
export function tooLargeMessage(limit: number, bytes?: number): string {
  const size = bytes === undefined ? `more than ${sizeText(limit)}` : sizeText(bytes);
  if (limit === UPLOAD_MAX_BODY_BYTES) {
    return `This upload is ${size}; an image may be at most ${sizeText(MEDIA_LIMITS.fileBytes)}. Nothing was stored. Scale the image down or save it at a lower quality, then upload it again.`;
  }
  return `The request body is ${size}; the limit is ${sizeText(limit)}.`;
}
