import { describe, expect, test } from "bun:test";
import { LruMap } from "../src/lru.ts";

describe("LruMap", () => {
  test("the oldest key is the least recently set or used", () => {
    const lru = new LruMap<string, number>();
    for (const k of ["a", "b", "c", "d"]) lru.set(k, k.charCodeAt(0));
    expect(lru.oldest()).toBe("a");
    expect(lru.get("a")).toBe(97);
    expect([...lru.keys()]).toEqual(["b", "c", "d", "a"]);
    lru.get("c");
    expect([...lru.keys()]).toEqual(["b", "d", "a", "c"]);
    lru.delete("b");
    expect(lru.oldest()).toBe("d");
    lru.set("d", 0); // setting again makes it the newest and replaces the value
    expect([...lru.keys()]).toEqual(["a", "c", "d"]);
    expect(lru.peek("d")).toBe(0);
    expect(lru.size).toBe(3);
    expect(lru.get("zz")).toBeUndefined();
  });

  test("peek and has do not count as a use", () => {
    const lru = new LruMap<string, number>();
    for (const k of ["a", "b", "c"]) lru.set(k, 1);
    lru.peek("a");
    expect(lru.has("a")).toBe(true);
    expect(lru.oldest()).toBe("a");
  });

  test("deleting the newest, the oldest and the only key keeps the order whole", () => {
    const lru = new LruMap<string, number>();
    for (const k of ["a", "b", "c"]) lru.set(k, 1);
    expect(lru.delete("c")).toBe(true);
    expect(lru.delete("c")).toBe(false);
    lru.set("d", 1);
    expect([...lru.keys()]).toEqual(["a", "b", "d"]);
    lru.delete("a");
    expect(lru.oldest()).toBe("b");
    lru.delete("b");
    lru.delete("d");
    expect(lru.oldest()).toBeUndefined();
    expect([...lru.keys()]).toEqual([]);
    lru.set("e", 1);
    expect([...lru.keys()]).toEqual(["e"]);
    lru.clear();
    expect(lru.size).toBe(0);
    expect(lru.oldest()).toBeUndefined();
  });

  test("evicting the oldest always removes the least recently used key, as a reference LRU does", () => {
    // A reference LRU kept as a plain array, checked against LruMap over a skewed random load.
    const size = 50;
    const lru = new LruMap<number, number>();
    let order: number[] = [];
    let seed = 1;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    let next = 0;
    for (let i = 0; i < 20_000; i++) {
      if (random() < 0.3 || order.length === 0) {
        if (order.length >= size) {
          expect(lru.oldest()).toBe(order[0]);
          lru.delete(order.shift()!);
        }
        lru.set(next, next);
        order.push(next++);
      } else {
        // Mostly recent keys, as Zipf traffic asks for a few blogs again and again.
        const k = order[Math.max(0, order.length - 1 - Math.floor(order.length * random() ** 3))];
        expect(lru.get(k)).toBe(k);
        order = [...order.filter((x) => x !== k), k];
      }
    }
    expect([...lru.keys()]).toEqual(order);
  });
});
