// Rendered pages kept until their blog changes. Rendering costs far more than answering from stored
// bytes, and a blog's pages change only when someone writes to it, so readers are served stored
// bytes with a stored ETag.
//
// Three places, looked at in turn: an LRU in memory bounded by bytes; a small separate one for
// search results, whose addresses anyone can vary without end and which must not push real pages
// out; and behind the first, the page store on disk (src/pagestore.ts), which keeps far more
// pages than memory and survives a restart. With the store behind it, memory takes a page only on its
// second look within a while (Admission): most pages of many blogs are asked for once in a long
// time, and letting each push a popular page out of memory churned the whole budget every few
// seconds, all of it garbage for the collector (docs/BENCHMARKS.md, "Memory admits a page on its
// second look"). A blog's pages are dropped together when it changes:
// a write through this server that committed, a change by another process (the file watcher), or
// its next scheduled post coming due (`expiresAt`).
import { LruMap } from "../lru.ts";
import type { PageStore } from "../pagestore.ts";
import type { TenantName } from "../tenants/names.ts";
import { SECURITY_HEADERS } from "./http.ts";

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

export type PageFields = Omit<CachedPage, "responseHeaders">;

/**
 * The headers of a cached page, built once when it is stored. A Headers object, not a record: Bun
 * copies one into a new Response in less than half the time a record of ten fields takes.
 */
export function headersOf(page: PageFields): Headers {
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

/** A page's fields other than its body, as the store keeps them. */
function metaOf(page: PageFields): string {
  return JSON.stringify([
    page.status,
    page.etag,
    page.lastModified,
    page.contentType,
    page.expiresAt === Infinity ? null : page.expiresAt,
    page.headers ?? null,
    page.viewPostId ?? null,
  ]);
}

function pageOf(meta: string, body: Uint8Array): CachedPage | null {
  try {
    const [status, etag, lastModified, contentType, expiresAt, headers, viewPostId] = JSON.parse(meta);
    const fields: PageFields = {
      status,
      // bun:sqlite gives each read a body of its own: kept as it is, not copied again.
      body: body as Uint8Array<ArrayBuffer>,
      etag,
      lastModified,
      contentType,
      expiresAt: expiresAt ?? Infinity,
      headers: headers ?? undefined,
      viewPostId: viewPostId ?? undefined,
    };
    return { ...fields, responseHeaders: headersOf(fields) };
  } catch {
    return null;
  }
}

interface Entry extends CachedPage {
  blog: TenantName;
  key: string;
  bytes: number;
}

/** Distinct origins (scheme and Host) a blog's pages are kept for: more are rendered but not kept. */
const MAX_ORIGINS = 4;

/**
 * Which pages memory takes: one looked at before among the last `size` to `2 × size` distinct
 * pages that were not in memory (two generations of a set: a full one becomes the previous and a
 * new one starts, so nothing is forgotten the moment it was seen). A page asked for once is
 * answered from the store, or rendered into it, without pushing anything out of memory; a page
 * asked for again soon is kept. This is TinyLFU's "doorkeeper" (Einziger et al., 2017) without its
 * frequency sketch: the page store already answers the pages memory turns away.
 */
export class Admission {
  private current = new Set<string>();
  private previous = new Set<string>();

  constructor(readonly size: number) {}

  /** True when `key` was seen recently; remembers it either way. */
  admit(key: string): boolean {
    if (this.current.has(key) || this.previous.has(key)) return true;
    this.current.add(key);
    if (this.current.size >= this.size) {
      this.previous = this.current;
      this.current = new Set();
    }
    return false;
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }
}

/** Distinct pages the admission remembers per generation for a budget: ~3 times what memory holds (20 KB pages). */
export function admissionSize(budgetBytes: number): number {
  return Math.max(256, Math.round(budgetBytes / 8192));
}

/** One LRU of pages over every blog, bounded by bytes, that drops a blog's pages together. */
class Tier {
  readonly entries = new LruMap<string, Entry>();
  private readonly byBlog = new Map<TenantName, Set<string>>();
  used = 0;
  /** Bytes of entries let go of so far: garbage until the next full collection (server/gc.ts). */
  released = 0;

  constructor(readonly budgetBytes: number) {}

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.peek(key) !== undefined;
  }

  set(blog: TenantName, key: string, page: CachedPage): boolean {
    const bytes = page.body.byteLength + key.length * 2 + 256;
    if (bytes > this.budgetBytes / 4) return false; // one huge page must not flush everything else
    this.remove(key);
    this.entries.set(key, { ...page, blog, key, bytes });
    let keys = this.byBlog.get(blog);
    if (!keys) this.byBlog.set(blog, (keys = new Set()));
    keys.add(key);
    this.used += bytes;
    while (this.used > this.budgetBytes) this.remove(this.entries.oldest()!);
    return true;
  }

  invalidate(blog: TenantName): void {
    const keys = this.byBlog.get(blog);
    if (!keys) return;
    for (const key of keys) {
      const entry = this.entries.peek(key);
      if (entry) {
        this.entries.delete(key);
        this.used -= entry.bytes;
        this.released += entry.bytes;
      }
    }
    this.byBlog.delete(blog);
  }

  clear(): void {
    this.entries.clear();
    this.byBlog.clear();
    this.released += this.used;
    this.used = 0;
  }

  private remove(key: string): void {
    const entry = this.entries.peek(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
    this.released += entry.bytes;
    const keys = this.byBlog.get(entry.blog);
    keys?.delete(key);
    if (keys && keys.size === 0) this.byBlog.delete(entry.blog);
  }
}

export class PageCache {
  private readonly pages: Tier;
  private readonly searches: Tier;
  private readonly origins = new Map<TenantName, Set<string>>();
  /** Answers from memory, from the page store, and pages that had to be rendered. */
  hits = 0;
  storeHits = 0;
  misses = 0;

  /** `budgetBytes` for pages; searches get a sixteenth of it besides: enough for the searches readers repeat. */
  constructor(
    readonly budgetBytes: number,
    readonly store: PageStore | null = null,
  ) {
    this.pages = new Tier(budgetBytes);
    this.searches = new Tier(Math.floor(budgetBytes / 16));
    // Without a store, a page turned away would be rendered again: memory takes every page.
    this.admission = store ? new Admission(admissionSize(budgetBytes)) : null;
  }

  private readonly admission: Admission | null;

  /** Whether memory takes this page now (always, without a store). */
  private admits(key: string): boolean {
    return this.admission?.admit(key) ?? true;
  }

  get bytes(): number {
    return this.pages.used + this.searches.used;
  }

  get size(): number {
    return this.pages.entries.size + this.searches.entries.size;
  }

  /**
   * Bytes of page bodies let go of so far: evicted from memory, dropped or replaced, or answered
   * without memory keeping them (from the store, or just rendered). The server's full collections
   * are paced by it (server/gc.ts): each is garbage once its answer is sent.
   */
  get releasedBytes(): number {
    return this.pages.released + this.searches.released + this.passed;
  }

  /** Bytes of bodies answered without being kept in memory (see releasedBytes). */
  private passed = 0;

  /**
   * The page if it is kept and current; `countMiss` false for a look that will be followed by
   * get() again. `key` names the page on every blog at once (it holds the Host); a page kept for
   * another blog (a custom domain that moved) is not this blog's page.
   */
  get(blog: TenantName, key: string, now: number, countMiss = true): CachedPage | undefined {
    let entry: CachedPage | undefined = this.pages.get(key) ?? this.searches.get(key);
    if (entry && (entry as Entry).blog !== blog) entry = undefined;
    if (!entry && this.store) {
      const stored = this.store.get(blog, key);
      entry = stored ? (pageOf(stored.meta, stored.body) ?? undefined) : undefined;
      if (entry) {
        if (this.admits(key)) this.pages.set(blog, key, entry);
        else this.passed += entry.body.byteLength;
        if (now < entry.expiresAt) this.storeHits++;
      }
    } else if (entry && now < entry.expiresAt) {
      this.hits++;
    }
    if (entry && now >= entry.expiresAt) {
      this.invalidate(blog);
      entry = undefined;
    }
    if (!entry && countMiss) this.misses++;
    return entry;
  }

  /**
   * Keeps a page. A search result goes to its own small LRU and never to disk; a blog whose pages
   * were asked for under more than a few origins (Host and scheme) keeps the first ones only.
   */
  set(blog: TenantName, key: string, page: CachedPage, options: { search?: boolean } = {}): void {
    const origin = key.slice(0, key.indexOf("/", key.indexOf("//") + 2));
    let origins = this.origins.get(blog);
    if (!origins) this.origins.set(blog, (origins = new Set()));
    if (!origins.has(origin)) {
      if (origins.size >= MAX_ORIGINS) return;
      origins.add(origin);
    }
    if (options.search) {
      this.searches.set(blog, key, page);
      return;
    }
    // A page replacing one memory holds is kept at once (it was looked at: it is being re-made).
    if (this.pages.has(key) || this.admits(key)) this.pages.set(blog, key, page);
    else this.passed += page.body.byteLength;
    this.store?.put(blog, key, metaOf(page), page.body);
  }

  /** Drops every page of a blog, in memory and on disk. */
  invalidate(blog: TenantName): void {
    this.pages.invalidate(blog);
    this.searches.invalidate(blog);
    this.origins.delete(blog);
    this.store?.invalidate(blog);
  }

  /** The blog's files are in `state`, which its current pages show (see PageStore.remember). */
  remember(blog: TenantName, state: string): void {
    this.store?.remember(blog, state);
  }

  clear(): void {
    this.pages.clear();
    this.searches.clear();
    this.origins.clear();
    this.admission?.clear();
  }
}
