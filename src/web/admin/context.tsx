// Every admin request starts here: the blog its Host names, the author's session, and for any
// request that can change something, the cross-site and CSRF checks. What comes back is either
// the context a route works with, or the answer to send instead (sign in, refused, signed out).
import { countComments } from "../../blog/moderation.ts";
import { findSession, type Session } from "../../blog/sessions.ts";
import { NotFoundError } from "../errors.tsx";
import { ADMIN_CSP, SECURITY_HEADERS } from "../http.ts";
import type { Services } from "../services.ts";
import { blogOf, type BlogRequest } from "../site.ts";
import { crossSiteReason, tokensMatch } from "./csrf.ts";
import type { Chrome } from "./pages/AdminLayout.tsx";
import { MessagePage } from "./pages/MessagePage.tsx";
import { isSecureRequest, readCookie, SESSION_COOKIE } from "./session.ts";

type Server = Parameters<Services["peer"]>[1];

export interface Admin {
  blog: BlogRequest;
  session: Session;
  /** The cookie's token (to end this session, or keep it on a password change). */
  token: string;
  secure: boolean;
  /** What every admin page shows around its content. */
  chrome: Chrome;
}

/** Headers of every admin answer: never framed, never cached, never sniffed. */
export function adminHeaders(extra: HeadersInit = {}, cookies: string[] = []): Headers {
  const headers = new Headers({ "content-type": "text/html; charset=utf-8", ...SECURITY_HEADERS, "content-security-policy": ADMIN_CSP, "cache-control": "no-store" });
  new Headers(extra).forEach((v, k) => headers.set(k, v));
  for (const c of cookies) headers.append("set-cookie", c);
  return headers;
}

export function adminPage(body: JSX.Element | string, status = 200, extra: HeadersInit = {}, cookies: string[] = []): Response {
  return new Response(String(body), { status, headers: adminHeaders(extra, cookies) });
}

/** A 303 after a form post (reloading the next page does not post again). */
export function adminRedirect(location: string, cookies: string[] = []): Response {
  const headers = adminHeaders({ location }, cookies);
  headers.delete("content-type");
  return new Response(null, { status: 303, headers });
}

/** The blog the Host names; admin pages exist only on a blog's own host. */
export function adminBlog(services: Services, request: Request): BlogRequest {
  const blog = blogOf(services, request);
  if (!blog) throw new NotFoundError("The admin pages live on each blog's own address, like http://alice.localhost:3000/admin.");
  return blog;
}

export function refusal(blog: BlogRequest, status: number, heading: string, message: string, extra: HeadersInit = {}): Response {
  return adminPage(<MessagePage blogTitle={blog.chrome.title} heading={heading} message={message} status={status} />, status, extra);
}

function isWrite(request: Request): boolean {
  return request.method !== "GET" && request.method !== "HEAD";
}

/** A request from another site is refused before anything else is looked at. */
export function refuseCrossSite(blog: BlogRequest, request: Request): Response | null {
  if (!isWrite(request)) return null;
  const reason = crossSiteReason(request);
  return reason ? refusal(blog, 403, "Refused: sent from another site", `${reason} Nothing was changed. If you meant to do this, open the admin page of this blog and use its own form.`) : null;
}

/** Where a signed-out author goes, coming back to `path` afterwards. */
export function signInLocation(path: string): string {
  return path === "/admin" || path === "/admin/" ? "/admin/login" : `/admin/login?next=${encodeURIComponent(path)}`;
}

/** A `next` target is only ever a path of this blog's admin, never another site. */
export function safeNext(next: string | undefined | null): string {
  if (!next || next.length > 300) return "/admin";
  return /^\/admin(\/[A-Za-z0-9\-._~/]*)?(\?[A-Za-z0-9\-._~=&%]*)?$/.test(next) && !next.includes("//") && !next.includes("..") ? next : "/admin";
}

/**
 * The signed-in author for this request, or the answer to send instead. `csrf` is the token the
 * form carried: any request that can change something must carry the session's token.
 */
export function signedIn(services: Services, request: Request, server: Server, csrf?: string): Admin | Response {
  const blog = adminBlog(services, request);
  const crossSite = refuseCrossSite(blog, request);
  if (crossSite) return crossSite;
  const token = readCookie(request, SESSION_COOKIE);
  const session = token ? findSession(blog.db, token, services.now()) : null;
  if (!session || !token) {
    const url = new URL(request.url);
    if (!isWrite(request)) return adminRedirect(signInLocation(url.pathname + url.search));
    return refusal(blog, 401, "You are signed out", "Your session has ended, so nothing was saved. Sign in again in another tab, then come back here and send the form again.", {});
  }
  if (isWrite(request) && !tokensMatch(csrf, session.csrfToken)) {
    return refusal(blog, 403, "This form has expired", "The form did not carry this session's security token (it may be from before you last signed in, or from another site), so nothing was changed. Go back, reload the page and try again.");
  }
  const pending = countComments(blog.db, "pending");
  return {
    blog,
    session,
    token,
    secure: isSecureRequest(services, request, server),
    chrome: { blogTitle: blog.chrome.title, csrf: session.csrfToken, pending, email: session.email },
  };
}
