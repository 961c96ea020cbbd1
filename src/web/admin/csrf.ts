// Cross-site request forgery, refused two ways. Every state-changing form carries a token (the
// session's, or before sign-in a random one mirrored in a short-lived cookie) compared in
// constant time; and a request whose Origin (or Fetch Metadata) names another site is refused
// before anything else, since a browser sets those headers and a page on another site cannot.
import { createHash, timingSafeEqual } from "node:crypto";

/** Constant-time equality of two tokens (hashed first, so their lengths leak nothing either). */
export function tokensMatch(given: string | undefined | null, expected: string | undefined | null): boolean {
  if (!given || !expected) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Why a state-changing request must be refused as coming from another site, or null when it may
 * proceed. Requests without an Origin header (old browsers, scripts) still need the form token.
 */
export function crossSiteReason(request: Request): string | null {
  const site = request.headers.get("sec-fetch-site");
  if (site === "cross-site") return "Your browser reports that this form was sent from another website.";
  const origin = request.headers.get("origin");
  if (origin === null) return null;
  const host = (request.headers.get("host") ?? "").toLowerCase();
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return `The request came from an unknown origin (“${origin.slice(0, 100)}”).`;
  }
  if (origin === "null" || originHost !== host)
    return `The request came from another website (${origin.slice(0, 100)}), not from this blog.`;
  return null;
}
