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
