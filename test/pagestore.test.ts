import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PageStore } from "../src/pagestore.ts";
import { tempDir } from "./helpers.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (page: { body: Uint8Array } | null) => (page ? new TextDecoder().decode(page.body) : null);

function open(path: string, options: { state?: (owner: string) => string; build?: string; budget?: number } = {}) {
  const store = PageStore.open(path, {
    budgetBytes: options.budget ?? 1 << 20,
    buildId: options.build ?? "build-1",
    stateOf: options.state ?? (() => "state-1"),
  });
  if (!store) throw new Error("no store");
  return store;
}

describe("the page store", () => {
  test("keeps pages across a restart, under their owner's generation", () => {
    const path = join(tempDir(), "pages.db");
    const store = open(path);
    store.put("alice", "http://alice.localhost/", "meta", bytes("home"));
    // Written at the next flush, and answered before it (memory may not have kept it: PageCache).
    expect(text(store.get("alice", "http://alice.localhost/"))).toBe("home");
    store.flush();
    expect(text(store.get("alice", "http://alice.localhost/"))).toBe("home");
    expect(store.get("bob", "http://alice.localhost/")).toBeNull(); // another owner's key
    store.close();
    const again = open(path);
    expect(text(again.get("alice", "http://alice.localhost/"))).toBe("home");
    expect(again.get("alice", "http://alice.localhost/")?.meta).toBe("meta");
    again.close();
  });

  test("an invalidated owner's pages are never served again, before a flush, after it, and after a restart", () => {
    const path = join(tempDir(), "pages.db");
    const store = open(path);
    store.put("alice", "k1", "m", bytes("old"));
    store.put("bob", "k2", "m", bytes("bob's"));
    store.flush();
    store.put("alice", "k3", "m", bytes("queued"));
    store.invalidate("alice");
    expect(store.get("alice", "k1")).toBeNull();
    store.flush();
    expect(store.get("alice", "k1")).toBeNull();
    expect(store.get("alice", "k3")).toBeNull(); // queued under the old generation: dropped
    expect(text(store.get("bob", "k2"))).toBe("bob's");
    store.put("alice", "k1", "m", bytes("new"));
    store.close();
    const again = open(path);
    expect(text(again.get("alice", "k1"))).toBe("new");
    again.close();
  });

  test("a blog whose files changed while the server was down starts a new generation; one remembered in its new state keeps its pages", () => {
    const path = join(tempDir(), "pages.db");
    let state = "s1";
    const store = open(path, { state: () => state });
    store.put("alice", "k", "m", bytes("page"));
    store.close();
    state = "s2"; // another program wrote while the server was down
    const next = open(path, { state: () => state });
    expect(next.get("alice", "k")).toBeNull();
    next.put("alice", "k", "m", bytes("rendered again"));
    state = "s3"; // this server wrote only what pages do not show (page views), and knows it
    next.remember("alice", state);
    next.close();
    const third = open(path, { state: () => state });
    expect(text(third.get("alice", "k"))).toBe("rendered again");
    third.close();
  });

  test("a store another build of WriteKit wrote is emptied", () => {
    const path = join(tempDir(), "pages.db");
    const store = open(path, { build: "old" });
    store.put("alice", "k", "m", bytes("rendered by old code"));
    store.close();
    const next = open(path, { build: "new" });
    expect(next.get("alice", "k")).toBeNull();
    next.close();
  });

  test("a store of the same build in an older layout is made anew, not failed on", () => {
    const path = join(tempDir(), "pages.db");
    const db = new Database(path, { create: true });
    db.run(
      "CREATE TABLE pages (key TEXT PRIMARY KEY, owner TEXT NOT NULL, gen INTEGER NOT NULL, used INTEGER NOT NULL, bytes INTEGER NOT NULL, meta TEXT NOT NULL, body BLOB NOT NULL)",
    );
    db.run("CREATE TABLE owners (name TEXT PRIMARY KEY, gen INTEGER NOT NULL, state TEXT NOT NULL) WITHOUT ROWID");
    db.run("CREATE TABLE about (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
    db.run("INSERT INTO about VALUES ('build', 'build-1')");
    db.run("INSERT INTO pages VALUES ('k', 'alice', 0, 1, 3, 'm', x'6f6c64')");
    db.close();
    const store = open(path);
    expect(store.get("alice", "k")).toBeNull();
    store.put("alice", "k", "m", bytes("new"));
    store.flush();
    expect(text(store.get("alice", "k"))).toBe("new");
    store.close();
  });

  test("a page served from disk counts as used: over the budget, the pages nobody asked for go first", async () => {
    const path = join(tempDir(), "pages.db");
    const store = open(path, { budget: 10_000 });
    for (let i = 0; i < 9; i++) store.put("alice", `old${i}`, "m", new Uint8Array(1000));
    store.flush();
    await Bun.sleep(5);
    expect(store.get("alice", "old0")).not.toBeNull(); // read again: now the most recently used
    store.flush();
    await Bun.sleep(5);
    for (let i = 0; i < 3; i++) store.put("alice", `new${i}`, "m", new Uint8Array(1000));
    store.flush();
    expect(store.bytesStored).toBeLessThanOrEqual(10_000);
    expect(store.get("alice", "old0")).not.toBeNull();
    expect(store.get("alice", "old1")).toBeNull();
    expect(store.get("alice", "new2")).not.toBeNull();
    store.close();
  });

  test("over its budget, the least recently used pages go", () => {
    const path = join(tempDir(), "pages.db");
    const store = open(path, { budget: 10_000 });
    for (let i = 0; i < 30; i++) {
      store.put("alice", `k${i}`, "m", new Uint8Array(1000));
      store.flush();
    }
    expect(store.bytesStored).toBeLessThanOrEqual(10_000);
    expect(store.get("alice", "k29")).not.toBeNull();
    expect(store.get("alice", "k0")).toBeNull();
    store.close();
  });

  test("a damaged file is replaced by an empty store", () => {
    const path = join(tempDir(), "pages.db");
    writeFileSync(path, "not a database at all".repeat(500));
    const store = open(path);
    expect(store.get("alice", "k")).toBeNull();
    store.put("alice", "k", "m", bytes("works"));
    store.flush();
    expect(text(store.get("alice", "k"))).toBe("works");
    store.close();
  });
});

describe("the page store's writer Worker", () => {
  const WRITER = new URL("../src/server/pagestore-worker.ts", import.meta.url);

  /** Waits until `check` holds (the Worker answers on its own time), or fails saying what. */
  async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (check()) return;
      await Bun.sleep(25);
    }
    throw new Error(`timed out waiting for: ${what}`);
  }

  test("writes the batches off the thread; a page invalidated while its batch was being written is never served", async () => {
    const path = join(tempDir(), "pages.db");
    const store = open(path);
    store.startWriter(WRITER);
    expect(store.hasWriter).toBe(true);
    store.put("alice", "a1", "m", bytes("alice one"));
    store.put("bob", "b1", "m", bytes("bob one"));
    // Bodies travel packed in one buffer: each must come back whole, none shifted into another.
    const carol = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
    store.put("carol", "c1", "carol's meta", carol);
    store.put("carol", "c2", "m", new Uint8Array(0));
    store.flush();
    // The batch is in the Worker: alice changes before it is written.
    store.invalidate("alice");
    const carols = carol.byteLength;
    const both = bytes("alice one").byteLength + bytes("bob one").byteLength + carols;
    await until("the batch written and answered", () => store.bytesStored === both);
    expect(text(store.get("bob", "b1"))).toBe("bob one");
    expect(store.get("carol", "c1")).toEqual({ meta: "carol's meta", body: carol });
    expect(store.get("carol", "c2")?.body.byteLength).toBe(0);
    expect(store.get("alice", "a1")).toBeNull(); // written under the old generation: never served
    // The next batch takes alice's old pages away (flush does nothing while a batch is in flight).
    await until("the old generation dropped", () => {
      store.flush();
      return store.bytesStored === bytes("bob one").byteLength + carols;
    });
    store.put("alice", "a1", "m", bytes("alice two"));
    store.flush();
    await store.close(); // waits for the batch in flight, then writes nothing more is left
    const again = open(path);
    expect(text(again.get("alice", "a1"))).toBe("alice two");
    expect(text(again.get("bob", "b1"))).toBe("bob one");
    const raw = new Database(path, { readonly: true });
    expect(raw.query("SELECT count(*) AS n FROM pages WHERE owner = 'alice'").get()).toEqual({ n: 1 });
    raw.close();
    again.close();
  });

  test("a writer that fails hands the writes back to the server's thread; nothing is served wrong", async () => {
    const path = join(tempDir(), "pages.db");
    const store = open(path);
    const broken = join(tempDir(), "broken-writer.ts");
    writeFileSync(broken, `self.onmessage = ({ data }) => { if ("batch" in data) throw new Error("disk on fire"); };`);
    store.startWriter(new URL(`file://${broken}`));
    store.put("alice", "k", "m", bytes("lost with the writer"));
    store.flush();
    await until("the writer given up", () => !store.hasWriter);
    store.put("alice", "k2", "m", bytes("written here"));
    store.flush(); // no writer: written at once
    expect(text(store.get("alice", "k2"))).toBe("written here");
    expect(store.get("alice", "k")).toBeNull(); // only a page, rendered again when next asked for
    await store.close();
  });

  test("while the writer is behind, pages past 32 MB waiting are not kept rather than held in memory", () => {
    const store = open(join(tempDir(), "pages.db"), { budget: 1 << 30 });
    const page = new Uint8Array(1 << 20);
    for (let i = 0; i < 40; i++) store.put("alice", `k${i}`, "m", page);
    expect(store.dropped).toBe(8);
    store.flush();
    expect(store.get("alice", "k31")).not.toBeNull();
    expect(store.get("alice", "k32")).toBeNull();
    store.close();
  });
});
