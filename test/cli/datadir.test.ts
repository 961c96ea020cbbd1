import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasAnyBlog, noBlogsNotice, requireDataDir, shellWord } from "../../src/cli/datadir.ts";
import { makeBlog, tempDir } from "../helpers.ts";

describe("the data directory", () => {
  test("a command refuses one that does not exist, saying where it looked and how to point elsewhere", () => {
    const wrong = join(tempDir(), "wrong");
    expect(() => requireDataDir(wrong)).toThrow(
      `no data directory at ${wrong} (looked for ${wrong}/tenants); pass --data DIR or set WRITEKIT_DATA (tenant create and restore make a new one)`,
    );
    mkdirSync(wrong);
    expect(() => requireDataDir(wrong)).toThrow("no data directory");
    writeFileSync(join(wrong, "tenants"), "a file, not a folder");
    expect(() => requireDataDir(wrong)).toThrow("no data directory");
  });

  test("serve's notice on a directory without blogs says where it looked and how to create one; none once there is a blog", async () => {
    const data = join(tempDir(), "with space");
    expect(noBlogsNotice(data)).toEqual([
      `No blogs yet: nothing in ${data}/tenants.`,
      `  Create one with: writekit tenant create NAME --data '${data}'`,
      `  (every command reads the same folder when WRITEKIT_DATA='${data}' is set)`,
    ]);
    mkdirSync(join(data, "tenants"), { recursive: true });
    // Files that are not blogs do not count: a half-made blog, a stray file, a blog's -wal alone.
    for (const f of [".alice.1.2.creating", "notes.txt", "Upper.db", "bob.db-wal"])
      writeFileSync(join(data, "tenants", f), "");
    expect(hasAnyBlog(data)).toBe(false);
    expect(noBlogsNotice(data)).toHaveLength(3);
    await makeBlog(data, "alice");
    expect(hasAnyBlog(data)).toBe(true);
    expect(noBlogsNotice(data)).toEqual([]);
  });

  test("paths are printed as one shell word", () => {
    expect(shellWord("/var/lib/writekit")).toBe("/var/lib/writekit");
    expect(shellWord("/tmp/it's here")).toBe(`'/tmp/it'\\''s here'`);
  });
});
