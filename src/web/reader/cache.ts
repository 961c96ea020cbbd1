// Serving reader pages from the page cache: render once per blog change, then answer from stored
// bytes with an ETag and Last-Modified, and 304 to conditional requests.
import { nextScheduledTime } from "../../blog/posts.ts";
import { SECURITY_HEADERS } from "../http.ts";
import type { CachedPage } from "../pagecache.ts";
import type { Services } from "../services.ts";
import { blogOf, type BlogRequest } from "../site.ts";
import type { TenantName } from "../../tenants/names.ts";

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

/** The headers of a cached page, built once when it is stored and reused for every answer. */
function headersOf(page: Omit<CachedPage, "responseHeaders">): Record<string, string> {
  return {
    ...SECURITY_HEADERS,
    "content-type": page.contentType,
    etag: page.etag,
    "last-modified": page.lastModified,
    // Readers' browsers may keep a copy but must check it is current (cheap: a 304).
    "cache-control": "no-cache",
    ...page.headers,
  };
}

function respond(request: Request, page: CachedPage): Response {
  if (page.status === 200 && isNotModified(request, page)) return new Response(null, { status: 304, headers: page.responseHeaders });
  return new Response(request.method === "HEAD" ? null : page.body, { status: page.status, headers: page.responseHeaders });
}

/** "http://host/path?q" → "http://host/path?q" lower-cased up to the path, without building a URL. */
function cacheKey(request: Request): string {
  const url = request.url;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const scheme = url.startsWith("https:") ? "https://" : "http://";
  const host = request.headers.get("host")?.toLowerCase() ?? "";
  const rest = pathStart < 0 ? "/" : url.slice(pathStart);
  const hash = rest.indexOf("#");
  return scheme + host + (hash < 0 ? rest : rest.slice(0, hash));
}

/**
 * Answers a GET or HEAD for a page already in the cache, before any routing: most reader requests
 * end here, with the Host lookup (memoised), one map read and the stored bytes. A page only gets
 * into the cache through its route, after that route validated the same URL, so answering the same
 * URL from it needs no validation again. Undefined: let the routes answer.
 */
export function answerFromCache(services: Services, request: Request): Response | undefined {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  let site;
  try {
    site = services.sites.resolve(request.headers.get("host"));
  } catch {
    return undefined; // the routes answer a bad Host with its error page
  }
  if (site.kind !== "blog") return undefined;
  const page = services.pages.get(site.name, cacheKey(request), services.now().getTime(), false) as (CachedPage & { viewPostId?: number }) | undefined;
  if (!page) return undefined;
  if (page.viewPostId !== undefined && page.status === 200) services.views.record(site.name, page.viewPostId);
  return respond(request, page);
}

/**
 * Answers `request` for blog `name` from the cache, rendering with `render` on a miss. The key
 * includes the scheme and Host, since absolute links (canonical, feeds) are built from them.
 */
export function servePage(services: Services, request: Request, name: TenantName, render: (blog: BlogRequest) => Rendered): Response {
  const key = cacheKey(request);
  const now = services.now();
  let page = services.pages.get(name, key, now.getTime()) as (CachedPage & { viewPostId?: number }) | undefined;
  if (!page) {
    const blog = blogOf(services, request, { kind: "blog", name })!;
    const r = render(blog);
    const body = encoder.encode(r.body);
    const next = nextScheduledTime(blog.db, now);
    const stored: Omit<CachedPage, "responseHeaders"> & { viewPostId?: number } = {
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
  if (page.viewPostId !== undefined && page.status === 200) services.views.record(name, page.viewPostId);
  return respond(request, page);
}
