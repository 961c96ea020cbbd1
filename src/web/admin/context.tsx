// What every admin answer is built from: the admin's headers and pages, refusals, and the author
// context a route works with (see author.tsx, which decides who is signed in).
import type { Session } from "../../blog/sessions.ts";
import { ADMIN_CSP, SECURITY_HEADERS } from "../http.ts";
import type { BlogRequest } from "../site.ts";
import { crossSiteReason } from "./csrf.ts";
import type { Chrome } from "./pages/AdminLayout.tsx";
import { MessagePage } from "./pages/MessagePage.tsx";

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
  const headers = new Headers({
    "content-type": "text/html; charset=utf-8",
    ...SECURITY_HEADERS,
    "content-security-policy": ADMIN_CSP,
    "cache-control": "no-store",
  });
  new Headers(extra).forEach((v, k) => headers.set(k, v));
  for (const c of cookies) headers.append("set-cookie", c);
  return headers;
}

export function adminPage(
  body: JSX.Element | string,
  status = 200,
  extra: HeadersInit = {},
  cookies: string[] = [],
): Response {
  return new Response(String(body), { status, headers: adminHeaders(extra, cookies) });
}

/** A 303 after a form post (reloading the next page does not post again). */
export function adminRedirect(location: string, cookies: string[] = []): Response {
  const headers = adminHeaders({ location }, cookies);
  headers.delete("content-type");
  return new Response(null, { status: 303, headers });
}

export function refusal(
  blog: BlogRequest,
  status: number,
  heading: string,
  message: string,
  extra: HeadersInit = {},
): Response {
  return adminPage(
    <MessagePage blogTitle={blog.chrome.title} heading={heading} message={message} status={status} />,
    status,
    extra,
  );
}

export function isWrite(request: Request): boolean {
  return request.method !== "GET" && request.method !== "HEAD";
}

/** A request from another site is refused before anything else is looked at. */
export function refuseCrossSite(blog: BlogRequest, request: Request): Response | null {
  if (!isWrite(request)) return null;
  const reason = crossSiteReason(request);
  return reason
    ? refusal(
        blog,
        403,
        "Refused: sent from another site",
        `${reason} Nothing was changed. If you meant to do this, open the admin page of this blog and use its own form.`,
      )
    : null;
}

/** Where a signed-out author goes, coming back to `path` afterwards. */
export function signInLocation(path: string): string {
  return path === "/admin" || path === "/admin/" ? "/admin/login" : `/admin/login?next=${encodeURIComponent(path)}`;
}

/** A `next` target is only ever a path of this blog's admin, never another site. */
export function safeNext(next: string | undefined | null): string {
  if (!next || next.length > 300) return "/admin";
  return /^\/admin(\/[A-Za-z0-9\-._~/]*)?(\?[A-Za-z0-9\-._~=&%]*)?$/.test(next) &&
    !next.includes("//") &&
    !next.includes("..")
    ? next
    : "/admin";
}
