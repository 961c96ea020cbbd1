import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { PageStore } from "../../src/pagestore.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { Admission, PageCache, type CachedPage } from "../../src/web/pagecache.ts";
import { tempDir } from "../helpers.ts";

const alice = parseTenantName("alice");
const bob = parseTenantName("bob");

function page(text: string, expiresAt = Infinity): CachedPage {
  const body = new TextEncoder().encode(text);
  return {
    status: 200,
    body,
    etag: `"${text.length}"`,
    lastModified: "Mon, 01 Jun 2026 00:00:00 GMT",
    contentType: "text/html",
    expiresAt,
    responseHeaders: new Headers(),
  };
}

describe("the page cache", () => {
  test("a page is found under its key for its own blog only", () => {
    const cache = new PageCache(1 << 20);
    cache.set(alice, "http://shop.example/", page("alice's home"));
    expect(new TextDecoder().decode(cache.get(alice, "http://shop.example/", 0)!.body)).toBe("alice's home");
    // The custom domain moved to bob: alice's stored page is not his.
    expect(cache.get(bob, "http://shop.example/", 0)).toBeUndefined();
    cache.set(bob, "http://shop.example/", page("bob's home"));
    expect(cache.size).toBe(1);
    cache.invalidate(alice); // alice no longer owns the key: bob's page stays
    expect(new TextDecoder().decode(cache.get(bob, "http://shop.example/", 0)!.body)).toBe("bob's home");
    expect(cache.hits).toBe(2);
    expect(cache.misses).toBe(1);
  });

  test("invalidating a blog drops all of its pages and no other blog's", () => {
    const cache = new PageCache(1 << 20);
    for (const path of ["/", "/a", "/b"]) cache.set(alice, `http://alice.localhost${path}`, page(path));
    cache.set(bob, "http://bob.localhost/", page("bob"));
    const before = cache.bytes;
    cache.invalidate(alice);
    expect(cache.size).toBe(1);
    expect(cache.get(alice, "http://alice.localhost/a", 0)).toBeUndefined();
    expect(cache.get(bob, "http://bob.localhost/", 0)).toBeDefined();
    expect(cache.bytes).toBeLessThan(before);
    cache.invalidate(bob);
    expect(cache.bytes).toBe(0);
  });

  test("over its byte budget, the least recently used pages go first", () => {
    const one = page("x".repeat(1000));
    const entryBytes = (key: string) => one.body.byteLength + key.length * 2 + 256;
    const cache = new PageCache(entryBytes("http://alice.localhost/1") * 4); // room for four
    for (const n of [1, 2, 3, 4]) cache.set(alice, `http://alice.localhost/${n}`, one);
    cache.get(alice, "http://alice.localhost/1", 0); // used: now the newest
    cache.set(alice, "http://alice.localhost/5", one);
    expect(cache.size).toBe(4);
    expect(cache.get(alice, "http://alice.localhost/2", 0)).toBeUndefined(); // the least recently used
    for (const n of [1, 3, 4, 5]) expect(cache.get(alice, `http://alice.localhost/${n}`, 0)).toBeDefined();
    expect(cache.bytes).toBeLessThanOrEqual(cache.budgetBytes);
  });

  test("a page past its expiry (a scheduled post came due) drops its blog's pages", () => {
    const cache = new PageCache(1 << 20);
    cache.set(alice, "http://alice.localhost/", page("home", 1000));
    cache.set(alice, "http://alice.localhost/tags", page("tags"));
    expect(cache.get(alice, "http://alice.localhost/", 999)).toBeDefined();
    expect(cache.get(alice, "http://alice.localhost/", 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test("one page larger than a quarter of the budget is not kept", () => {
    const cache = new PageCache(4000);
    cache.set(alice, "http://alice.localhost/", page("x".repeat(2000)));
    expect(cache.size).toBe(0);
  });
});

function storeIn(dir: string): PageStore {
  const store = PageStore.open(join(dir, "pages.db"), {
    budgetBytes: 64 << 20,
    buildId: "test",
    stateOf: () => "state",
  });
  if (!store) throw new Error("no store");
  return store;
}

const textOf = (p: CachedPage | undefined) => (p ? new TextDecoder().decode(p.body) : undefined);

describe("the page cache in front of the page store", () => {
  test("memory keeps a page on its second look; the first is answered by the store, even before it is written", () => {
    const store = storeIn(tempDir());
    const cache = new PageCache(1 << 20, store);
    cache.set(alice, "http://alice.localhost/", page("home")); // rendered on a miss
    expect(cache.size).toBe(0); // looked at once: left to the store
    expect(textOf(cache.get(alice, "http://alice.localhost/", 0))).toBe("home"); // not flushed yet
    expect(cache.storeHits).toBe(1);
    expect(cache.size).toBe(1); // the second look: kept
    expect(textOf(cache.get(alice, "http://alice.localhost/", 0))).toBe("home");
    expect(cache.hits).toBe(1);
    // Pages answered without being kept count as let go of, for the collector's pacing.
    expect(cache.releasedBytes).toBe("home".length);
    store.close();
  });

  test("a crawler walking thousands of pages once each does not push the popular pages out of memory", () => {
    const store = storeIn(tempDir());
    const one = page("x".repeat(1000));
    const key = (n: number) => `http://alice.localhost/${n}`;
    const cache = new PageCache((one.body.byteLength + key(1).length * 2 + 256) * 4, store); // room for four
    for (const n of [1, 2]) {
      cache.set(alice, key(n), one);
      cache.get(alice, key(n), 0); // a reader comes back: kept
    }
    expect(cache.size).toBe(2);
    for (let n = 1000; n < 4000; n++) {
      cache.set(bob, `http://bob.localhost/old/${n}`, one); // each rendered once
      if (n % 500 === 0) store.flush();
    }
    const hits = cache.hits;
    for (const n of [1, 2]) expect(cache.get(alice, key(n), 0)).toBeDefined();
    expect(cache.hits).toBe(hits + 2); // both still answered from memory
    expect(cache.bytes).toBeLessThanOrEqual(cache.budgetBytes);
    // And a crawled page asked for again is still there: from the store.
    expect(cache.get(bob, "http://bob.localhost/old/1234", 0)).toBeDefined();
    store.close();
  });

  test("a page rendered again after its blog changed replaces the old one in memory at once", () => {
    const store = storeIn(tempDir());
    const cache = new PageCache(1 << 20, store);
    cache.set(alice, "http://alice.localhost/", page("v1"));
    cache.get(alice, "http://alice.localhost/", 0); // kept
    cache.invalidate(alice);
    expect(cache.get(alice, "http://alice.localhost/", 0)).toBeUndefined(); // never the old page
    cache.set(alice, "http://alice.localhost/", page("v2"));
    expect(textOf(cache.get(alice, "http://alice.localhost/", 0))).toBe("v2");
    expect(cache.hits).toBe(1); // looked at before: memory took the new page at once
    store.close();
  });
});

describe("the admission to memory", () => {
  test("admits a key seen within the last size to twice size distinct keys, and no other", () => {
    const admission = new Admission(3);
    expect(admission.admit("a")).toBe(false);
    expect(admission.admit("a")).toBe(true);
    for (const k of ["b", "c"]) expect(admission.admit(k)).toBe(false); // a, b, c: a generation ends
    expect(admission.admit("a")).toBe(true); // remembered from the previous generation
    for (const k of ["d", "e", "f"]) admission.admit(k); // two generations on
    expect(admission.admit("b")).toBe(false);
  });
});
