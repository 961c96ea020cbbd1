import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileFingerprint } from "../../src/tenants/changes.ts";
import { parseTenantName, tenantPath } from "../../src/tenants/names.ts";
import { Pool } from "../../src/tenants/pool.ts";
import { BlogRegistry } from "../../src/tenants/registry.ts";
import { trimWalIndex } from "../../src/tenants/walindex.ts";
import { makeBlog, tempDir } from "../helpers.ts";
import { holder } from "./holder.ts";

const n = parseTenantName;
const shmSize = (path: string) => statSync(path + "-shm", { throwIfNoEntry: false })?.size ?? -1;
const supported = process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64");

async function blogs(...names: string[]) {
  const data = tempDir();
  for (const name of names) await makeBlog(data, name);
  return { data, path: (name: string) => tenantPath(data, n(name)) };
}

describe("the blog registry", () => {
  test("opens a blog once for any number of leases, and closes it when the last one is released", async () => {
    const { data } = await blogs("alice");
    const registry = new BlogRegistry({ dataDir: data });
    const first = registry.open(n("alice"));
    const second = registry.open(n("alice"));
    expect(second.db).toBe(first.db);
    expect(registry.connections).toBe(1);
    first.release();
    first.release(); // a second release changes nothing
    expect(second.db.query("SELECT count(*) AS n FROM posts").get()).toEqual({ n: 0 });
    expect(registry.peek(n("alice"))).toBeDefined();
    second.release();
    expect(registry.peek(n("alice"))).toBeUndefined();
    expect(registry.connections).toBe(0);
    expect(() => first.db.query("SELECT 1").get()).toThrow();
  });

  test("a request's lease keeps the handle open while the pool evicts the blog (as across an await)", async () => {
    const { data } = await blogs("alice", "bob");
    const registry = new BlogRegistry({ dataDir: data });
    const pool = new Pool(registry, { maxOpen: 1 });
    pool.get(n("alice"));
    {
      using request = registry.open(n("alice"));
      pool.get(n("bob")); // evicts alice from the pool
      expect(pool.peek(n("alice"))).toBeUndefined();
      expect(request.db.query("SELECT count(*) AS n FROM posts").get()).toEqual({ n: 0 });
    }
    expect(registry.peek(n("alice"))).toBeUndefined(); // closed with the last lease
    pool.closeAll();
  });
});

describe("a brief read (a page render)", () => {
  const stamp = (path: string) =>
    ["", "-wal", "-shm"]
      .map((suffix) => statSync(path + suffix, { bigint: true, throwIfNoEntry: false }))
      .map((st) => (st ? `${st.size}:${st.mtimeNs}` : "-"))
      .join(" ");

  test("of a blog not open takes a connection of its own that maps no WAL index and changes no file", async () => {
    const { data, path } = await blogs("alice");
    const registry = new BlogRegistry({ dataDir: data });
    registry.open(n("alice")).release(); // as a server that opened it once leaves it
    const before = stamp(path("alice"));
    const count = registry.read(n("alice"), (tenant) => {
      expect(tenant.db.query("PRAGMA locking_mode").get()).toEqual({ locking_mode: "exclusive" });
      return tenant.db.query("SELECT count(*) AS n FROM settings").get();
    });
    expect(count).toMatchObject({ n: expect.any(Number) });
    expect(stamp(path("alice"))).toBe(before);
    expect(registry.connections).toBe(0);
    expect(registry.briefReads).toBe(1);
  });

  test("of a blog another process has open goes through an ordinary connection, and both keep working", async () => {
    const { data, path } = await blogs("alice");
    const registry = new BlogRegistry({ dataDir: data });
    const other = holder(path("alice"));
    await other.ready;
    const n1 = registry.read(n("alice"), (tenant) => {
      expect(tenant.db.query("PRAGMA locking_mode").get()).toEqual({ locking_mode: "normal" });
      return tenant.db.query("SELECT count(*) AS n FROM settings").get();
    });
    expect(await other.stop()).toBe(0);
    expect(
      registry.read(n("alice"), (tenant) => tenant.db.query("SELECT value FROM settings WHERE key = 'holder'").get()),
    ).toEqual({ value: "still writing" });
    expect(n1).toMatchObject({ n: expect.any(Number) });
    expect(registry.connections).toBe(0);
  });

  test("of a blog open in this thread uses its handle; one lent to another thread gets an ordinary connection", async () => {
    const { data } = await blogs("alice");
    const registry = new BlogRegistry({ dataDir: data });
    const lease = registry.open(n("alice"));
    expect(registry.read(n("alice"), (tenant) => tenant.db)).toBe(lease.db);
    lease.release();
    using worker = registry.lend(n("alice"), { writes: false });
    expect(registry.read(n("alice"), (tenant) => tenant.db.query("PRAGMA locking_mode").get())).toEqual({
      locking_mode: "normal",
    });
    expect(registry.briefReads).toBe(0);
  });

  test("of an unknown blog creates no file", async () => {
    const { data } = await blogs();
    const registry = new BlogRegistry({ dataDir: data });
    expect(() => registry.read(n("nobody"), () => 1)).toThrow("there is no blog");
    expect(statSync(join(data, "tenants", "nobody.db"), { throwIfNoEntry: false })).toBeUndefined();
  });
});

describe.if(supported)("the registry cuts the WAL index once no connection of this process has the blog", () => {
  test("an evicted blog's -shm file is 3 bytes; one another thread holds is cut only once released", async () => {
    const { data, path } = await blogs("a1", "a2", "a3");
    const registry = new BlogRegistry({ dataDir: data });
    const pool = new Pool(registry, { maxOpen: 1 });
    pool.get(n("a1"));
    expect(shmSize(path("a1"))).toBe(32768);
    pool.get(n("a2")); // evicts a1
    expect(shmSize(path("a1"))).toBe(3);
    const worker = registry.lend(n("a2"), { writes: false });
    pool.get(n("a3")); // evicts a2, which a Worker may have open: left alone
    expect(shmSize(path("a2"))).toBe(32768);
    worker.release();
    expect(shmSize(path("a2"))).toBe(3);
    worker.release(); // a second release changes nothing
    // Two leases at once: cut only after the last.
    pool.get(n("a2"));
    const first = registry.lend(n("a2"), { writes: false });
    const second = registry.lend(n("a2"), { writes: false });
    pool.get(n("a1")); // evicts a2
    first.release();
    expect(shmSize(path("a2"))).toBe(32768);
    second.release();
    expect(shmSize(path("a2"))).toBe(3);
    // A blog lent to the views Worker while closed is cut when it is given back, not before, even
    // if a reader opened and closed it meanwhile.
    const writer = registry.lend(n("a2"), { writes: true });
    pool.get(n("a2"));
    pool.get(n("a1")); // evicts a2 while lent
    expect(shmSize(path("a2"))).toBe(32768);
    writer.release({ closed: true, report: null });
    expect(shmSize(path("a2"))).toBe(3);
    // A thread that crashed may have left its connection open: that blog is never cut again.
    registry.lend(n("a3"), { writes: true }).release({ closed: false, report: null });
    pool.get(n("a3"));
    pool.get(n("a1")); // evicts a3
    expect(shmSize(path("a3"))).toBe(32768);
    // Reopened after being cut, every blog reads as before.
    for (const name of ["a1", "a2", "a3"])
      expect(pool.get(n(name)).db.query("SELECT count(*) AS n FROM settings").get()).toMatchObject({
        n: expect.any(Number),
      });
    pool.closeAll();
  });

  test("`using` an outside lease releases it when the block ends, also when it throws", async () => {
    const { data, path } = await blogs("alice");
    const registry = new BlogRegistry({ dataDir: data });
    registry.open(n("alice")).release();
    registry.open(n("alice")).release();
    expect(shmSize(path("alice"))).toBe(3);
    const lent = () => {
      using lease = registry.lend(n("alice"), { writes: false });
      const db = new Database(path("alice")); // the other thread's connection, here for the test
      db.query("SELECT 1").get();
      db.close();
      registry.open(n("alice")).release(); // this thread's close: the lease keeps the file whole
      expect(shmSize(path("alice"))).toBe(32768);
      throw new Error("the job failed");
    };
    expect(lent).toThrow("the job failed");
    expect(shmSize(path("alice"))).toBe(3);
  });

  test("turned off, it never cuts", async () => {
    const { data, path } = await blogs("alice");
    const registry = new BlogRegistry({ dataDir: data, cutWalIndex: false });
    registry.open(n("alice")).release();
    expect(shmSize(path("alice"))).toBe(32768);
    expect(registry.cuts).toBe(0);
  });

  test("a blog opened behind its back in this process is not cut, keeps its locks, and keeps working", async () => {
    const { data, path } = await blogs("alice");
    const registry = new BlogRegistry({ dataDir: data });
    const lease = registry.open(n("alice"));
    // A connection the registry knows nothing about (a bug: the test plays it on purpose).
    const rogue = new Database(path("alice"));
    rogue.query("SELECT count(*) FROM posts").get();
    lease.release();
    expect(registry.cutsRefusedHere).toBe(1);
    expect(shmSize(path("alice"))).toBe(32768);
    // Its process still holds SQLite's lock on the WAL index: another process sees the blog open
    // (had the cut's descriptor been closed, the lock would be gone and this would say "cut").
    const probe = Bun.spawnSync([
      process.execPath,
      "-e",
      `const { trimWalIndex } = require(${JSON.stringify(join(import.meta.dir, "../../src/tenants/walindex.ts"))}); console.log(trimWalIndex(${JSON.stringify(path("alice"))}))`,
    ]);
    expect(probe.stdout.toString().trim()).toBe("open-elsewhere");
    // Another process writes; the rogue connection reads the write, and the file is whole.
    const other = holder(path("alice"));
    await other.ready;
    expect(await other.stop()).toBe(0);
    expect(rogue.query("SELECT value FROM settings WHERE key = 'holder'").get()).toEqual({ value: "still writing" });
    expect(rogue.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    rogue.close();
    // Never cut again by this process: it cannot know whether such a connection is still open.
    registry.open(n("alice")).release();
    expect(shmSize(path("alice"))).toBeGreaterThan(3);
    expect(trimWalIndex(path("alice"))).toBe("cut"); // nothing holds it now
  });
});

describe("telling this server's writes on another thread from someone else's", () => {
  async function closedBlog() {
    const { data, path } = await blogs("alice");
    const registry = new BlogRegistry({ dataDir: data });
    registry.open(n("alice")).release();
    const changes: string[] = [];
    registry.onChange((name) => changes.push(name));
    return { registry, changes, path: path("alice") };
  }

  test("a write that found the files as the registry left them is the server's own", async () => {
    const { registry, changes, path } = await closedBlog();
    const before = fileFingerprint(path);
    const lease = registry.lend(n("alice"), { writes: true });
    const db = new Database(path);
    db.run("UPDATE posts SET views = views + 1");
    db.close();
    expect(registry.changedElsewhere(n("alice"))).toBe(false); // lent: the files moving is expected
    lease.release({ closed: true, report: { before, after: fileFingerprint(path), foreign: false } });
    expect(changes).toEqual([]);
    expect(registry.changedElsewhere(n("alice"))).toBe(false);
  });

  test("files changed before the write, a commit by someone else during it, or a failed write are reported", async () => {
    for (const report of [
      (after: string) => ({ before: "someone wrote first", after, foreign: false }),
      (after: string) => ({ before: "", after, foreign: true }),
      () => null,
    ]) {
      const { registry, changes, path } = await closedBlog();
      const before = fileFingerprint(path);
      const lease = registry.lend(n("alice"), { writes: true });
      const r = report(fileFingerprint(path));
      lease.release({ closed: true, report: r && r.before === "" ? { ...r, before } : r });
      expect(changes).toEqual(["alice"]);
    }
  });

  test("a commit by another connection while the blog is open is reported when it closes", async () => {
    const { registry, changes, path } = await closedBlog();
    const lease = registry.open(n("alice"));
    const other = new Database(path);
    other.run("UPDATE settings SET value = 'x' WHERE key = 'title'");
    other.close();
    lease.release();
    expect(changes).toEqual(["alice"]);
  });
});
