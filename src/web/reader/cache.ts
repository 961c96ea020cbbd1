// Serving reader pages from the page cache: render once per blog change, then answer from stored
// bytes with an ETag and Last-Modified, and 304 to conditional requests.
import { nextScheduledTime } from "../../blog/posts.ts";
import { SECURITY_HEADERS } from "../http.ts";
import type { CachedPage } from "../pagecache.ts";
import type { Services } from "../services.ts";
import { readBlog, type BlogRequest } from "../site.ts";
import type { TenantName } from "../../tenants/names.ts";
import type { Visit } from "../visit.ts";

export interface Rendered {
  body: string;
  status?: number;
  contentType?: string;
  /** ISO time the content last changed; defaults to when it was rendered. */
  lastModified?: string | null;
  headers?: Record<string, string>;
  /** A post page: each 200 answer counts a view of this post. */
  viewPostId?: number;
}

const encoder = new TextEncoder();

function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

function isNotModified(request: Request, page: CachedPage): boolean {
  const inm = request.headers.get("if-none-match");
  if (inm !== null) return inm.split(",").some((tag) => tag.trim().replace(/^W\//, "") === page.etag || tag.trim() === "*");
  const ims = request.headers.get("if-modified-since");
  if (ims !== null) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && Date.parse(page.lastModified) <= since;
  }
  return false;
}

/**
 * The headers of a cached page, built once when it is stored. A Headers object, not a record: Bun
 * copies one into a new Response in less than half the time a record of ten fields takes.
 */
function headersOf(page: Omit<CachedPage, "responseHeaders">): Headers {
  return new Headers({
    ...SECURITY_HEADERS,
    "content-type": page.contentType,
    etag: page.etag,
    "last-modified": page.lastModified,
    // Readers' browsers may keep a copy but must check it is current (cheap: a 304).
    "cache-control": "no-cache",
    ...page.headers,
  });
}

function respond(request: Request, page: CachedPage): Response {
  if (page.status === 200 && isNotModified(request, page)) return new Response(null, { status: 304, headers: page.responseHeaders });
  return new Response(request.method === "HEAD" ? null : page.body, { status: page.status, headers: page.responseHeaders });
}

/**
 * The page's key: the origin its absolute links (canonical, feeds) are built from, by the same rule
 * (visit.origin: the scheme a trusted proxy or --public-scheme gives, and the Host), and the path
 * with its query, without building a URL. So a page rendered for http is never served for https.
 */
function cacheKey(visit: Visit): string {
  const url = visit.request.url;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const rest = pathStart < 0 ? "/" : url.slice(pathStart);
  const hash = rest.indexOf("#");
  return visit.origin + (hash < 0 ? rest : rest.slice(0, hash));
}

/** A post page's answer counts a view (the front door records it once the answer is ready). */
function countView(visit: Visit, page: CachedPage): void {
  if (page.viewPostId !== undefined && page.status === 200) visit.viewPostId = page.viewPostId;
}

/**
 * Answers a GET or HEAD for blog `name` from a page already in the cache, before any routing: most
 * reader requests end here, with the Host lookup (memoised, done by the caller), one map read and
 * the stored bytes. A page only gets into the cache through its route, after that route validated
 * the same URL, so answering the same URL from it needs no validation again. Undefined: let the
 * routes answer.
 */
export function answerFromCache(services: Services, visit: Visit, name: TenantName): Response | undefined {
  const { request } = visit;
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const page = services.pages.get(name, cacheKey(visit), services.now().getTime(), false);
  if (!page) return undefined;
  countView(visit, page);
  return respond(request, page);
}

/**
 * Answers the visit's request for its blog from the cache, rendering with `render` on a miss. The
 * key includes the scheme and Host, since absolute links (canonical, feeds) are built from them.
 */
export function servePage(services: Services, visit: Visit, render: (blog: BlogRequest) => Rendered): Response {
  const { request } = visit;
  const name = visit.blog;
  const key = cacheKey(visit);
  const now = services.now();
  let page = services.pages.get(name, key, now.getTime());
  if (!page) {
    const { r, next } = readBlog(services, visit, (blog) => ({ r: render(blog), next: nextScheduledTime(blog.db, now) }));
    const body = encoder.encode(r.body);
    const stored: Omit<CachedPage, "responseHeaders"> = {
      status: r.status ?? 200,
      body,
      etag: `"${Bun.hash(body).toString(36)}"`,
      lastModified: httpDate(r.lastModified ?? now.toISOString()),
      contentType: r.contentType ?? "text/html; charset=utf-8",
      expiresAt: next ? Date.parse(next) : Infinity,
      headers: r.headers,
      viewPostId: r.viewPostId,
    };
    page = { ...stored, responseHeaders: headersOf(stored) };
    services.pages.set(name, key, page);
  }
  countView(visit, page);
  return respond(request, page);
}
