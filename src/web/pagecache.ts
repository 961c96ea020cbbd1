// Rendered pages kept in memory until their blog changes. Rendering costs about half of what a
// request can cost at the ceiling (see STACK.md), and a blog's pages change only when someone
// writes to it, so readers are served stored bytes with a stored ETag.
//
// One LRU over every blog, bounded by bytes. A blog's entries are dropped together when it changes:
// a write through this server (any non-GET request to the blog), a change by another process (the
// tenants directory watcher), or its next scheduled post coming due (`expiresAt`).
import { LruMap } from "../lru.ts";
import type { TenantName } from "../tenants/names.ts";

export interface CachedPage {
  status: number;
  body: Uint8Array<ArrayBuffer>;
  etag: string;
  lastModified: string;
  contentType: string;
  /** Epoch ms after which the entry must be rebuilt (a scheduled post comes due); Infinity otherwise. */
  expiresAt: number;
  /** Extra headers to send with the page (a redirect's location and the like). */
  headers?: Record<string, string>;
  /** Every header of the answer, built once when the page is stored. */
  responseHeaders: Headers;
  /** A post page: each 200 answer counts a view of this post. */
  viewPostId?: number;
}

interface Entry extends CachedPage {
  blog: TenantName;
  key: string;
  bytes: number;
}

export class PageCache {
  private readonly entries = new LruMap<string, Entry>();
  private readonly byBlog = new Map<TenantName, Set<string>>();
  private used = 0;
  hits = 0;
  misses = 0;

  constructor(readonly budgetBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The page if cached and current; `countMiss` false for a look that will be followed by get().
   * `key` names the page on every blog at once (it holds the Host); a page stored for another blog
   * (a custom domain that moved) is not this blog's page.
   */
  get(blog: TenantName, key: string, now: number, countMiss = true): CachedPage | undefined {
    const entry = this.entries.get(key); // marks it used
    if (!entry || entry.blog !== blog) {
      if (countMiss) this.misses++;
      return undefined;
    }
    if (now >= entry.expiresAt) {
      this.invalidate(blog);
      if (countMiss) this.misses++;
      return undefined;
    }
    this.hits++;
    return entry;
  }

  set(blog: TenantName, key: string, page: CachedPage): void {
    const bytes = page.body.byteLength + key.length * 2 + 256;
    if (bytes > this.budgetBytes / 4) return; // one huge page must not flush everything else
    this.remove(key);
    const entry: Entry = { ...page, blog, key, bytes };
    this.entries.set(key, entry);
    let keys = this.byBlog.get(blog);
    if (!keys) this.byBlog.set(blog, (keys = new Set()));
    keys.add(key);
    this.used += bytes;
    while (this.used > this.budgetBytes) {
      const oldest = this.entries.oldest()!;
      this.remove(oldest);
    }
  }

  /** Drops every page of a blog. */
  invalidate(blog: TenantName): void {
    const keys = this.byBlog.get(blog);
    if (!keys) return;
    for (const key of keys) {
      const entry = this.entries.peek(key);
      if (entry) {
        this.entries.delete(key);
        this.used -= entry.bytes;
      }
    }
    this.byBlog.delete(blog);
  }

  clear(): void {
    this.entries.clear();
    this.byBlog.clear();
    this.used = 0;
  }

  private remove(key: string): void {
    const entry = this.entries.peek(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
    const keys = this.byBlog.get(entry.blog);
    keys?.delete(key);
    if (keys && keys.size === 0) this.byBlog.delete(entry.blog);
  }
}
