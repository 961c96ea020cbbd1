import { describe, expect, test } from "bun:test";
import { parseTenantName } from "../../src/tenants/names.ts";
import { PageCache, type CachedPage } from "../../src/web/pagecache.ts";

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
