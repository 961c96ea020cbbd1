// Serving reader pages from the page cache: render once per blog change, then answer from stored
// bytes with an ETag and Last-Modified, and 304 to conditional requests.
import { nextScheduledTime } from "../../blog/posts.ts";
import { headersOf, type CachedPage, type PageFields } from "../pagecache.ts";
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
  if (inm !== null)
    return inm.split(",").some((tag) => tag.trim().replace(/^W\//, "") === page.etag || tag.trim() === "*");
  const ims = request.headers.get("if-modified-since");
  if (ims !== null) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && Date.parse(page.lastModified) <= since;
  }
  return false;
}

function respond(request: Request, page: CachedPage): Response {
  if (page.status === 200 && isNotModified(request, page))
    return new Response(null, { status: 304, headers: page.responseHeaders });
  return new Response(request.method === "HEAD" ? null : page.body, {
    status: page.status,
    headers: page.responseHeaders,
  });
}

/** The query parameters each reader page reads; any other parameter does not change the page. */
const PARAMS: [RegExp, string[]][] = [
  [/^\/$/, ["page"]],
  [/^\/search$/, ["q", "page"]],
  [/^\/tags\/[^/]+$/, ["page"]],
  [/^\/[^/]+$/, ["comment"]],
];

/**
 * The page's key: the origin its absolute links (canonical, feeds) are built from, by the same rule
 * (visit.origin: the scheme a trusted proxy or --public-scheme gives, and the Host), so a page
 * rendered for http is never served for https; then the path, and of the query only what the
 * page's route reads, in a fixed order: `/?x=1` and `/` are one page, not two.
 */
export function cacheKey(visit: Visit): string {
  const url = visit.request.url;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  let rest = pathStart < 0 ? "/" : url.slice(pathStart);
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const queryStart = rest.indexOf("?");
  if (queryStart < 0) return visit.origin + rest;
  const path = rest.slice(0, queryStart);
  const params = new URLSearchParams(rest.slice(queryStart + 1));
  const kept = PARAMS.find(([pattern]) => pattern.test(path))?.[1] ?? [];
  const query = kept
    .filter((k) => params.has(k))
    .map((k) => `${k}=${encodeURIComponent(params.get(k)!)}`)
    .join("&");
  return visit.origin + path + (query ? "?" + query : "");
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
  visit.pageLooked = true;
  const page = services.pages.get(name, cacheKey(visit), services.now().getTime());
  if (!page) return undefined;
  countView(visit, page);
  return respond(request, page);
}

/**
 * Answers the visit's request for its blog from the cache, rendering with `render` on a miss (the
 * front door has looked already when it could). A page that says "not found" is not kept: anyone
 * can ask for endless addresses that do not exist. A search result is kept apart (PageCache).
 */
export function servePage(
  services: Services,
  visit: Visit,
  render: (blog: BlogRequest) => Rendered,
  options: { search?: boolean } = {},
): Response {
  const { request } = visit;
  const name = visit.blog;
  const key = cacheKey(visit);
  const now = services.now();
  let page = visit.pageLooked ? undefined : services.pages.get(name, key, now.getTime());
  if (!page) {
    const { r, next } = readBlog(services, visit, (blog) => ({
      r: render(blog),
      next: nextScheduledTime(blog.db, now),
    }));
    const body = encoder.encode(r.body);
    const stored: PageFields = {
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
    if (page.status !== 404) services.pages.set(name, key, page, options);
  }
  countView(visit, page);
  return respond(request, page);
}
