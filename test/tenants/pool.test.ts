import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { replaceTenantFile } from "../../src/tenants/files.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { BlogUnavailableError, SERVER_BUSY_TIMEOUT_MS, UnknownBlogError } from "../../src/tenants/opener.ts";
import { Pool } from "../../src/tenants/pool.ts";
import { BlogRegistry } from "../../src/tenants/registry.ts";
import { makeBlog, tempDir } from "../helpers.ts";

const n = parseTenantName;
const poolOf = (dataDir: string, maxOpen: number) => new Pool(new BlogRegistry({ dataDir }), { maxOpen });

describe("the pool of open blogs", () => {
  test("opens a blog lazily with every pragma set", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const pool = poolOf(data, 10);
    expect(pool.size).toBe(0);
    const { db } = pool.get(n("alice"));
    expect(pool.size).toBe(1);
    expect((db.query("PRAGMA journal_mode").get() as any).journal_mode).toBe("wal");
    expect((db.query("PRAGMA synchronous").get() as any).synchronous).toBe(1); // NORMAL
    expect((db.query("PRAGMA foreign_keys").get() as any).foreign_keys).toBe(1);
    expect((db.query("PRAGMA busy_timeout").get() as any).timeout).toBe(SERVER_BUSY_TIMEOUT_MS);
    expect((db.query("PRAGMA cache_size").get() as any).cache_size).toBe(-128);
    expect(pool.get(n("alice")).db).toBe(db);
    expect(pool.stats).toMatchObject({ hits: 1, misses: 1 });
    pool.closeAll();
  });

  test("evicts the least recently used blog and closes it", async () => {
    const data = tempDir();
    for (const name of ["a1", "a2", "a3"]) await makeBlog(data, name);
    const pool = poolOf(data, 2);
    pool.get(n("a1"));
    const a2 = pool.get(n("a2")).db;
    pool.get(n("a1")); // a1 is now the most recent
    pool.get(n("a3")); // evicts a2
    expect(pool.names().sort() as string[]).toEqual(["a1", "a3"]);
    expect(pool.stats.evictions).toBe(1);
    expect(() => a2.query("SELECT 1").get()).toThrow(); // its handle is closed
    expect(pool.registry.connections).toBe(2);
    pool.closeAll();
    expect(pool.size).toBe(0);
    expect(pool.registry.connections).toBe(0);
  });

  test("an unknown blog is an error and creates no file", () => {
    const data = tempDir();
    const pool = poolOf(data, 10);
    expect(() => pool.get(n("nobody"))).toThrow(UnknownBlogError);
    expect(existsSync(join(data, "tenants", "nobody.db"))).toBe(false);
    expect(pool.size).toBe(0);
  });

  test("a corrupt file is unavailable, not cached broken, and the other blogs still open", async () => {
    const data = tempDir();
    await makeBlog(data, "good");
    await makeBlog(data, "bad");
    writeFileSync(join(data, "tenants", "bad.db"), "this is not a database at all".repeat(200));
    const pool = poolOf(data, 10);
    expect(() => pool.get(n("bad"))).toThrow(BlogUnavailableError);
    expect(pool.size).toBe(0);
    expect(pool.get(n("good")).db).toBeTruthy();
    // Repaired: the next request opens it, since the broken state was never cached.
    await makeBlog(tempDir(), "spare");
    const { rmSync } = await import("node:fs");
    rmSync(join(data, "tenants", "bad.db"));
    await makeBlog(data, "bad");
    expect(pool.get(n("bad")).db).toBeTruthy();
    pool.closeAll();
  });

  test("a blog whose file was renamed over is closed when the change is looked at, and the next get opens the new file", async () => {
    const data = tempDir();
    await makeBlog(data, "alice", { title: "Old" });
    const other = tempDir();
    await makeBlog(other, "alice", { title: "New" });
    const pool = poolOf(data, 10);
    const title = () =>
      (pool.get(n("alice")).db.query("SELECT value FROM settings WHERE key = 'title'").get() as { value: string })
        .value;
    expect(title()).toBe("Old");
    expect(pool.registry.changedElsewhere(n("alice"))).toBe(false);
    const temp = join(data, "tenants", ".alice.restoring");
    copyFileSync(join(other, "tenants", "alice.db"), temp);
    replaceTenantFile(temp, join(data, "tenants", "alice.db"), "alice")();
    expect(pool.registry.changedElsewhere(n("alice"))).toBe(true);
    expect(pool.registry.peek(n("alice"))).toBeUndefined(); // retired: the pool lets it go at its next get
    expect(title()).toBe("New");
    pool.closeAll();
  });

  test("a blog read rarely is read on brief connections; one read often is opened into the pool once", async () => {
    const data = tempDir();
    await makeBlog(data, "quiet");
    await makeBlog(data, "busy");
    const pool = new Pool(new BlogRegistry({ dataDir: data }), { maxOpen: 10, hotReads: 4, hotWindowMs: 60_000 });
    const title = (tenant: { db: { query: (sql: string) => { get: () => unknown } } }) =>
      tenant.db.query("SELECT value FROM settings WHERE key = 'title'").get();
    for (let i = 0; i < 3; i++) pool.read(n("quiet"), title);
    expect(pool.size).toBe(0);
    expect(pool.registry.briefReads).toBe(3);
    for (let i = 0; i < 10; i++) pool.read(n("busy"), title);
    expect(pool.names() as string[]).toEqual(["busy"]);
    expect(pool.stats.misses).toBe(1);
    expect(pool.registry.briefReads).toBe(3 + 3); // busy's first three, then its handle
    expect(pool.registry.connections).toBe(1);
    pool.closeAll();
    expect(pool.registry.connections).toBe(0);
  });

  test("reads spread over windows longer than hotWindowMs never open the blog into the pool", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const pool = new Pool(new BlogRegistry({ dataDir: data }), { maxOpen: 10, hotReads: 2, hotWindowMs: 0 });
    for (let i = 0; i < 5; i++) pool.read(n("alice"), () => 1);
    expect(pool.size).toBe(0);
    expect(pool.registry.briefReads).toBe(5);
  });

  test("a hot blog whose file is corrupt is answered by the read's own fault, not opened", async () => {
    const data = tempDir();
    await makeBlog(data, "bad");
    writeFileSync(
      join(data, "tenants", "bad.db"),
      "not a database, just text that is long enough to be read as a header".repeat(20),
    );
    const pool = new Pool(new BlogRegistry({ dataDir: data }), { maxOpen: 10, hotReads: 1, hotWindowMs: 60_000 });
    expect(() => pool.read(n("bad"), () => 1)).toThrow(BlogUnavailableError);
    expect(pool.size).toBe(0);
    expect(pool.registry.connections).toBe(0);
  });
});
