import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { spawn } from "bun";
import { existsSync, statSync } from "node:fs";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { trimWalIndex } from "../../src/tenants/walindex.ts";
import { makeBlog, tempDir } from "../helpers.ts";
import { holder } from "./holder.ts";

const shmSize = (path: string) => statSync(path + "-shm", { throwIfNoEntry: false })?.size ?? -1;
const supported = process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64");

describe.if(supported)("cutting a closed blog's WAL index back (walindex.ts)", () => {
  test("after the last connection closes, the -shm file is cut to 3 bytes and the blog reads and writes as before", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const db = openBlogDatabase(path);
    db.run(
      "INSERT INTO settings (key, value) VALUES ('trim-test', 'kept') ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    db.close();
    expect(shmSize(path)).toBe(32768);
    expect(trimWalIndex(path)).toBe("cut");
    expect(shmSize(path)).toBe(3);
    // Nothing to do the second time.
    expect(trimWalIndex(path)).toBe("nothing");
    const again = openBlogDatabase(path);
    expect((again.query("SELECT value FROM settings WHERE key = 'trim-test'").get() as { value: string }).value).toBe(
      "kept",
    );
    again.run("UPDATE settings SET value = 'changed' WHERE key = 'trim-test'");
    expect((again.query("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
    again.close();
    expect(
      new Database(path, { readonly: true }).query("SELECT value FROM settings WHERE key = 'trim-test'").get(),
    ).toEqual({ value: "changed" });
  });

  test("leaves the file alone while another process has the blog open, and that process keeps working", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const held = holder(path);
    await held.ready;
    try {
      expect(shmSize(path)).toBe(32768);
      expect(trimWalIndex(path)).toBe("open-elsewhere");
      expect(shmSize(path)).toBe(32768);
      const db = openBlogDatabase(path);
      db.run("INSERT INTO settings (key, value) VALUES ('while-held', '1')");
      db.close();
      expect(trimWalIndex(path)).toBe("open-elsewhere");
    } finally {
      expect(await held.stop()).toBe(0);
    }
    // The holder wrote after the attempt, and the file is whole.
    const check = new Database(path, { readonly: true });
    expect(check.query("SELECT value FROM settings WHERE key = 'holder'").get()).toEqual({ value: "still writing" });
    expect(check.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    check.close();
    expect(trimWalIndex(path)).toBe("cut");
  });

  test("a blog without a -shm file is left without one", () => {
    const shmless = tempDir() + "/missing.db";
    expect(trimWalIndex(shmless)).toBe("nothing");
    expect(existsSync(shmless + "-shm")).toBe(false);
  });

  test("opens, writes, closes and cuts over and over while another process writes the same blog: nothing is lost or damaged", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const writer = spawn({
      cmd: [
        process.execPath,
        "-e",
        `
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
      `,
      ],
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
      if (trimWalIndex(path) === "cut") trims++;
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
