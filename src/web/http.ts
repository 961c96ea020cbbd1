// How every HTML answer is sent: content type and the security headers every page carries.
// Pages run no script at all, so the policy forbids it outright.

export const BLOG_CSP = "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self'";
/** Admin pages may never be framed (clickjacking of the author's buttons). */
export const ADMIN_CSP = "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": BLOG_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
};

export function htmlResponse(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", ...SECURITY_HEADERS, ...headers } });
}

/** A 303 after a form post, so reloading the next page does not post again. */
export function seeOther(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { location, ...headers } });
}

/** Largest request body accepted (a long post is 500,000 characters, up to ~2 MB in UTF-8). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
