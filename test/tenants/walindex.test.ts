import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { spawn } from "bun";
import { parseTenantName, tenantPath } from "../../src/tenants/names.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { Pool } from "../../src/tenants/pool.ts";
import { trimWalIndex } from "../../src/tenants/walindex.ts";
import { makeBlog, tempDir } from "../helpers.ts";

const n = parseTenantName;
const shmSize = (path: string) => statSync(path + "-shm", { throwIfNoEntry: false })?.size ?? -1;
const supported = process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64");

/** A child process that opens the blog, says "ready", and holds the connection until stdin closes. */
function holder(path: string) {
  const child = spawn({
    cmd: [process.execPath, "-e", `
      const { Database, constants } = require("bun:sqlite");
      const db = new Database(${JSON.stringify(path)});
      db.run("PRAGMA busy_timeout = 5000");
      db.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1); // as the server's connections do
      db.query("SELECT count(*) FROM posts").get();
      console.log("ready");
      for await (const _ of Bun.stdin.stream()) {}
      db.run("INSERT INTO settings (key, value) VALUES ('holder', 'still writing')");
      db.close();
    `],
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const ready = (async () => {
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("holder exited before it was ready");
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
  })();
  return { ready, stop: async () => (child.stdin.end(), await child.exited) };
}

describe.if(supported)("cutting a closed blog's WAL index back (walindex.ts)", () => {
  test("after the last connection closes, the -shm file is cut to 3 bytes and the blog reads and writes as before", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const db = openBlogDatabase(path);
    db.run("INSERT INTO settings (key, value) VALUES ('trim-test', 'kept') ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    db.close();
    expect(shmSize(path)).toBe(32768);
    expect(trimWalIndex(path)).toBe(true);
    expect(shmSize(path)).toBe(3);
    // Nothing to do the second time.
    expect(trimWalIndex(path)).toBe(false);
    const again = openBlogDatabase(path);
    expect((again.query("SELECT value FROM settings WHERE key = 'trim-test'").get() as { value: string }).value).toBe("kept");
    again.run("UPDATE settings SET value = 'changed' WHERE key = 'trim-test'");
    expect((again.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
    again.close();
    expect(new Database(path, { readonly: true }).query("SELECT value FROM settings WHERE key = 'trim-test'").get()).toEqual({ value: "changed" });
  });

  test("leaves the file alone while another process has the blog open, and that process keeps working", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const held = holder(path);
    await held.ready;
    try {
      expect(shmSize(path)).toBe(32768);
      expect(trimWalIndex(path)).toBe(false);
      expect(shmSize(path)).toBe(32768);
      const db = openBlogDatabase(path);
      db.run("INSERT INTO settings (key, value) VALUES ('while-held', '1')");
      db.close();
      expect(trimWalIndex(path)).toBe(false);
    } finally {
      expect(await held.stop()).toBe(0);
    }
    // The holder wrote after the attempt, and the file is whole.
    const check = new Database(path, { readonly: true });
    expect(check.query("SELECT value FROM settings WHERE key = 'holder'").get()).toEqual({ value: "still writing" });
    expect(check.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    check.close();
    expect(trimWalIndex(path)).toBe(true);
  });

  test("a blog without a -shm file is left without one", () => {
    const shmless = tempDir() + "/missing.db";
    expect(trimWalIndex(shmless)).toBe(false);
    expect(existsSync(shmless + "-shm")).toBe(false);
  });

  test("opens, writes, closes and cuts over and over while another process writes the same blog: nothing is lost or damaged", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const writer = spawn({
      cmd: [process.execPath, "-e", `
        const { Database } = require("bun:sqlite");
        const until = Date.now() + 1000;
        let i = 0;
        while (Date.now() < until) {
          const db = new Database(${JSON.stringify(path)});
          db.run("PRAGMA busy_timeout = 5000");
          db.run("INSERT INTO settings (key, value) VALUES (?, 'child')", ["child-" + i++]);
          db.close();
        }
        console.log(i);
      `],
      stdout: "pipe",
      stderr: "inherit",
    });
    let mine = 0;
    let trims = 0;
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      const db = openBlogDatabase(path, { busyTimeoutMs: 5000 });
      db.run("INSERT INTO settings (key, value) VALUES (?, 'parent')", ["parent-" + mine++]);
      db.close();
      if (trimWalIndex(path)) trims++;
      await Bun.sleep(0);
    }
    const childWrites = Number((await new Response(writer.stdout).text()).trim());
    expect(await writer.exited).toBe(0);
    const db = new Database(path, { readonly: true });
    expect((db.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
    expect(db.query("SELECT count(*) AS n FROM settings WHERE value = 'parent'").get()).toEqual({ n: mine });
    expect(db.query("SELECT count(*) AS n FROM settings WHERE value = 'child'").get()).toEqual({ n: childWrites });
    db.close();
    expect(childWrites).toBeGreaterThan(10);
    expect(trims).toBeGreaterThan(0);
  }, 20_000);
});

describe.if(supported)("the pool cuts the WAL index of the blogs it closes", () => {
  test("an evicted blog's -shm file is 3 bytes; one another thread of this process holds is cut only once released", async () => {
    const data = tempDir();
    for (const name of ["a1", "a2", "a3"]) await makeBlog(data, name);
    const pool = new Pool({ dataDir: data, maxOpen: 1 });
    pool.get(n("a1"));
    expect(shmSize(tenantPath(data, n("a1")))).toBe(32768);
    pool.get(n("a2")); // evicts a1
    expect(shmSize(tenantPath(data, n("a1")))).toBe(3);
    const release = pool.holdOutside(n("a2"));
    pool.get(n("a3")); // evicts a2, which a Worker may have open: left alone
    expect(shmSize(tenantPath(data, n("a2")))).toBe(32768);
    release();
    expect(shmSize(tenantPath(data, n("a2")))).toBe(3);
    release(); // a second call changes nothing
    // Two holds at once: cut only after the last.
    pool.get(n("a2"));
    const first = pool.holdOutside(n("a2"));
    const second = pool.holdOutside(n("a2"));
    pool.get(n("a1")); // evicts a2
    first();
    expect(shmSize(tenantPath(data, n("a2")))).toBe(32768);
    second();
    expect(shmSize(tenantPath(data, n("a2")))).toBe(3);
    // A blog lent to the views Worker while closed is cut when it is given back, not before, even
    // if a reader opened and closed it meanwhile.
    pool.lend(n("a2"));
    pool.get(n("a2"));
    pool.get(n("a1")); // evicts a2 while lent
    expect(shmSize(tenantPath(data, n("a2")))).toBe(32768);
    pool.giveBack(n("a2"), null);
    expect(shmSize(tenantPath(data, n("a2")))).toBe(3);
    // A thread that crashed may have left its connection open: that blog is never cut again.
    pool.lend(n("a3"));
    pool.giveBack(n("a3"), null, false);
    pool.get(n("a3"));
    pool.get(n("a1")); // evicts a3
    expect(shmSize(tenantPath(data, n("a3")))).toBe(32768);
    // Reopened after being cut, every blog reads as before.
    for (const name of ["a1", "a2", "a3"]) expect(pool.get(n(name)).db.query("SELECT count(*) AS n FROM settings").get()).toMatchObject({ n: expect.any(Number) });
    pool.closeAll();
  });
});
