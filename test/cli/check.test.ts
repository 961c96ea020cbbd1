import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { storeMedia } from "../../src/blog/media.ts";
import { createPost } from "../../src/blog/posts.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { cli, makeBlog, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

/** Overwrites the root page of the posts table with garbage, as a failing disk would. */
async function damagedBlog(data: string, name: string): Promise<void> {
  const path = await makeBlog(data, name);
  const db = openBlogDatabase(path);
  for (let i = 0; i < 50; i++) createPost(db, { title: `Post ${i}`, body: "words ".repeat(200), status: "published" });
  db.close();
  const raw = new Database(path, { readonly: true });
  const { rootpage } = raw.query("SELECT rootpage FROM sqlite_schema WHERE name = 'posts'").get() as {
    rootpage: number;
  };
  const { page_size } = raw.query("PRAGMA page_size").get() as { page_size: number };
  raw.close();
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.alloc(page_size, 0x5a), 0, page_size, (rootpage - 1) * page_size);
  closeSync(fd);
}

describe("writekit check", () => {
  test("every sound blog is ok, with a summary and exit code 0", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    await makeBlog(data, "bob");
    const r = await cli(["check", "--data", data]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("alice: ok\nbob: ok\n2 blogs checked: 2 ok, 0 damaged or unreadable\n");
  });

  test("a damaged blog and a file that is not a database are named, the others are ok, exit code 1", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    await damagedBlog(data, "bob");
    writeFileSync(join(data, "tenants", "carol.db"), "not a database at all ".repeat(300));
    const r = await cli(["check", "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("alice: ok\n");
    expect(r.stderr).toContain("bob: DAMAGED: ");
    expect(r.stderr).toContain("carol: DAMAGED: file is not a database");
    expect(r.stderr).not.toContain("    at ");
    expect(r.stdout).toContain("3 blogs checked: 1 ok, 2 damaged or unreadable");
  });

  test("checks only the named blogs; an unknown one fails, a malformed name is a usage error", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    await damagedBlog(data, "bob");
    const one = await cli(["check", "alice", "--data", data]);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe("alice: ok\n1 blog checked: 1 ok, 0 damaged or unreadable\n");
    const unknown = await cli(["check", "alice", "zed", "--data", data]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('zed: DAMAGED: there is no blog named "zed"');
    const bad = await cli(["check", "Alice", "--data", data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("invalid blog name");
  });

  test("each image's bytes are checked against the SHA-256 it is served under: a flipped bit inside one is named", async () => {
    const data = tempDir();
    const path = await makeBlog(data, "alice");
    const photo = new Uint8Array(readFileSync(join(import.meta.dir, "..", "fixtures", "media", "photo.jpg")));
    const png = new Uint8Array(readFileSync(join(import.meta.dir, "..", "fixtures", "media", "photo.png")));
    const db = openBlogDatabase(path);
    const { media } = storeMedia(db, photo, { alt: "A photo" });
    storeMedia(db, png);
    db.close(); // the last handle checkpoints, so the image is in the main file

    const sound = await cli(["check", "--data", data]);
    expect(sound.stderr).toBe("");
    expect(sound.stdout).toBe(
      "alice: ok (2 images: bytes match their SHA-256)\n1 blog checked: 1 ok, 0 damaged or unreadable\n",
    );

    // One byte in the middle of the JPEG, where no page header or cell pointer lies: SQLite's own
    // quick_check cannot see it, the hash does.
    const file = readFileSync(path);
    const middle = Buffer.from(photo.subarray(photo.length >> 1, (photo.length >> 1) + 32));
    const at = file.indexOf(middle);
    expect(at).toBeGreaterThan(0);
    expect(file.indexOf(middle, at + 1)).toBe(-1);
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.from([file[at + 16] ^ 0x01]), 0, 1, at + 16);
    closeSync(fd);

    const damaged = await cli(["check", "--data", data]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toStartWith(
      `alice: DAMAGED: the image ${media.sha256} is damaged: its bytes have the SHA-256 `,
    );
    expect(damaged.stdout).toContain("1 blog checked: 0 ok, 1 damaged or unreadable");
  });
});
