import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { cli, makeBlog, tempDir } from "../helpers.ts";
import { signIn, startServe, until } from "./serve-child.ts";

// These tests start `writekit` (and `writekit serve`) as child processes: seconds each on a loaded
// machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(120_000);

const PASSWORD = "alice's old passphrase";

function sha256(path: string): string {
  return new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
}

/** alice (an author with a real password, a post, a custom domain, a live session) and bob, backed up. */
async function instanceWithBackup(): Promise<{ data: string; backup: string }> {
  const data = tempDir();
  const created = await cli(
    ["tenant", "create", "alice", "--email", "alice@example.com", "--password-stdin", "--data", data],
    { stdin: PASSWORD + "\n" },
  );
  expect(created.code).toBe(0);
  const db = openBlogDatabase(join(data, "tenants", "alice.db"));
  createPost(db, {
    title: "Backed up",
    body: "In the backup.",
    status: "published",
    publishedAt: "2026-01-01T00:00:00Z",
  });
  // A proven domain (its DNS record was seen), as the admin records it.
  updateSettings(db, { custom_domain: "alice.example.org", domain_proven: "alice.example.org", title: "Alice writes" });
  db.run(
    "INSERT INTO sessions (token_hash, author_id, csrf_token, created_at, expires_at) VALUES ('x', 1, 'y', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z')",
  );
  db.close();
  await makeBlog(data, "bob");
  const backup = join(tempDir(), "backup");
  const r = await cli(["backup", "-o", backup, "--data", data]);
  expect(r.code).toBe(0);
  return { data, backup };
}

function blogs(data: string): string[] {
  return existsSync(join(data, "tenants"))
    ? readdirSync(join(data, "tenants"))
        .filter((f) => f.endsWith(".db"))
        .sort()
    : [];
}

function read<T>(path: string, sql: string): T {
  const db = new Database(path, { readonly: true });
  try {
    return db.query(sql).all() as T;
  } finally {
    db.close();
  }
}

function editManifest(backup: string, edit: (manifest: any) => void): void {
  const file = join(backup, "manifest.json");
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  edit(manifest);
  writeFileSync(file, JSON.stringify(manifest));
}

/** The manifest's entry for alice made true to the file as it now is (a tampered file with a matching manifest). */
function matchManifest(backup: string): void {
  const file = join(backup, "alice.db");
  editManifest(backup, (m) =>
    Object.assign(
      m.blogs.find((b: any) => b.name === "alice"),
      { bytes: statSync(file).size, sha256: sha256(file) },
    ),
  );
}

function expectOneLine(stderr: string): void {
  expect(stderr).not.toContain("    at ");
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
}

describe("writekit restore", () => {
  test("brings a whole backup back into a new data directory: posts, settings, custom domains, and passwords that still sign in", async () => {
    const { backup } = await instanceWithBackup();
    const data = join(tempDir(), "new-instance");
    const r = await cli(["restore", backup, "--data", data]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("alice: restored (1 post)");
    expect(r.stdout).toContain("bob: restored (0 posts)");
    expect(r.stdout).toContain("alice.example.org → alice");
    expect(r.stdout).toContain(`Restored 2 of 2 blogs into ${join(data, "tenants")}`);
    expect(blogs(data)).toEqual(["alice.db", "bob.db"]);
    const alice = join(data, "tenants", "alice.db");
    expect(statSync(alice).mode & 0o777).toBe(0o600);
    expect(read(alice, "SELECT title FROM posts")).toEqual([{ title: "Backed up" }]);
    expect(read(alice, "SELECT count(*) AS n FROM sessions")).toEqual([{ n: 0 }]);
    const [{ password_hash }] = read<{ password_hash: string }[]>(alice, "SELECT password_hash FROM authors");
    expect(await Bun.password.verify(PASSWORD, password_hash)).toBe(true);
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({
      domains: { "alice.example.org": "alice" },
    });
    expect(readdirSync(join(data, "tenants")).filter((f) => f.startsWith("."))).toEqual([]);

    // The author signs in to the restored instance with the password she always had.
    const server = await startServe(data);
    try {
      expect((await signIn(server, "alice", "alice@example.com", PASSWORD)).status).toBe(303);
      expect((await signIn(server, "alice", "alice@example.com", "not her password")).status).toBe(401);
      expect(await (await server.fetchBlog("alice", "/")).text()).toContain("Backed up");
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });

  test("restores only the named blogs; a name the backup does not have is refused in one line, restoring nothing", async () => {
    const { backup } = await instanceWithBackup();
    const data = tempDir();
    const one = await cli(["restore", backup, "bob", "--data", data]);
    expect(one.code).toBe(0);
    expect(blogs(data)).toEqual(["bob.db"]);
    const missing = await cli(["restore", backup, "alice", "zed", "--data", data]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`writekit: "zed" is not in this backup; it has alice, bob\n`);
    expect(blogs(data)).toEqual(["bob.db"]);
  });

  test("an existing blog is not replaced without --force, and nothing at all is restored; --force replaces it", async () => {
    const { data, backup } = await instanceWithBackup();
    const db = openBlogDatabase(join(data, "tenants", "alice.db"));
    createPost(db, { title: "After the backup", body: "Not in it.", status: "published" });
    db.close();
    rmSync(join(data, "tenants", "bob.db"));
    const refused = await cli(["restore", backup, "--data", data]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `writekit: 1 blog of this backup already exists in ${data}: alice; nothing was restored. --force replaces it, or name the blogs to restore\n`,
    );
    expect(blogs(data)).toEqual(["alice.db"]);
    const forced = await cli(["restore", backup, "--force", "--data", data]);
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("alice: replaced by its backup (1 post)");
    expect(forced.stdout).toContain("bob: restored");
    expect(read(join(data, "tenants", "alice.db"), "SELECT title FROM posts")).toEqual([{ title: "Backed up" }]);
    expect(blogs(data)).toEqual(["alice.db", "bob.db"]);
  });

  test("--force replaces a blog that serve has open: the server notices, serves the restored blog, writes into it, and nothing is damaged", async () => {
    const { data, backup } = await instanceWithBackup();
    const server = await startServe(data);
    try {
      const post = await server.fetchBlog("alice", "/backed-up");
      expect(post.status).toBe(200);
      // A comment and a post the backup does not have, written through the server (its handle is open).
      const comment = await server.fetchBlog("alice", "/backed-up/comments", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ name: "Before", body: "lost with the old blog" }),
      });
      expect(comment.status).toBe(303);
      const db = openBlogDatabase(join(data, "tenants", "alice.db"));
      createPost(db, {
        title: "After the backup",
        body: "Not in it.",
        status: "published",
        publishedAt: "2026-01-02T00:00:00Z",
      });
      db.close();
      await until(
        async () => (await server.fetchBlog("alice", "/after-the-backup")).status === 200,
        "the new post to be served",
      );

      const r = await cli(["restore", backup, "alice", "--force", "--data", data]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("alice: replaced by its backup");
      // The file watcher tells the server; its cached pages and open handle go.
      await until(
        async () => (await server.fetchBlog("alice", "/after-the-backup")).status === 404,
        "the server to serve the restored blog",
      );
      expect(await (await server.fetchBlog("alice", "/")).text()).not.toContain("After the backup");
      const after = await server.fetchBlog("alice", "/backed-up/comments", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ name: "After", body: "kept in the restored blog" }),
      });
      expect(after.status).toBe(303);
      expect((await signIn(server, "alice", "alice@example.com", PASSWORD)).status).toBe(303);
      expect((await cli(["check", "--data", data])).code).toBe(0);
    } finally {
      const { code, stderr } = await server.stop();
      expect(code).toBe(0);
      expect(stderr).not.toContain("ERROR");
    }
    const alice = join(data, "tenants", "alice.db");
    expect(read(alice, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    expect(read(alice, "SELECT title FROM posts ORDER BY id")).toEqual([{ title: "Backed up" }]);
    expect(read(alice, "SELECT author_name FROM comments")).toEqual([{ author_name: "After" }]);
  });

  test("the -wal of a blog deleted by hand is not read as the restored blog's", async () => {
    const { data, backup } = await instanceWithBackup();
    const path = join(data, "tenants", "alice.db");
    const db = openBlogDatabase(path);
    createPost(db, { title: "Only in a stray -wal", body: "x", status: "published" });
    const stray = readFileSync(path + "-wal");
    db.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    writeFileSync(path + "-wal", stray);
    const r = await cli(["restore", backup, "alice", "--data", data]);
    expect(r.code).toBe(0);
    expect(read(path, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    expect(read(path, "SELECT title FROM posts")).toEqual([{ title: "Backed up" }]);
  });

  test.skipIf(process.getuid?.() !== 0)(
    "run as root, restored blogs belong to the owner of tenants/ (the server's user), not to root",
    async () => {
      const { backup } = await instanceWithBackup();
      const data = tempDir();
      mkdirSync(join(data, "tenants"));
      chownSync(join(data, "tenants"), 65534, 65534);
      const r = await cli(["restore", backup, "--data", data]);
      expect(r.code).toBe(0);
      for (const blog of ["alice.db", "bob.db"])
        expect(statSync(join(data, "tenants", blog))).toMatchObject({ uid: 65534, gid: 65534 });
    },
  );

  test("a backup without password hashes (made before backups kept them) is restored, and says how to give its authors a password", async () => {
    const { data: source } = await instanceWithBackup();
    const backup = tempDir();
    expect((await cli(["export", "alice", "-o", join(backup, "alice.db"), "--data", source])).code).toBe(0);
    const file = join(backup, "alice.db");
    writeFileSync(
      join(backup, "manifest.json"),
      JSON.stringify({
        writekit: "0.1.0",
        createdAt: "2026-11-01T00:00:00Z",
        blogs: [
          {
            name: "alice",
            file: "alice.db",
            bytes: statSync(file).size,
            sha256: sha256(file),
            schemaVersion: 1,
            posts: 1,
          },
        ],
        failed: [],
      }),
    );
    const data = tempDir();
    const r = await cli(["restore", backup, "--data", data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `note: alice@example.com cannot sign in to alice (the backup has no password for them): writekit tenant password alice --email alice@example.com --data ${data}`,
    );
  });

  // Each tampered backup: what is done to it, the exit code, and what stderr says.
  const hostile: [string, (backup: string) => void, RegExp][] = [
    [
      "a file whose sha256 does not match the manifest",
      (b) => {
        const file = join(b, "alice.db");
        const bytes = readFileSync(file);
        bytes[bytes.length - 100] ^= 0xff;
        writeFileSync(file, bytes);
      },
      /^alice: FAILED: the backup's alice\.db does not match the manifest's sha256: the file was changed or damaged$/m,
    ],
    [
      "a truncated file",
      (b) => truncateSync(join(b, "alice.db"), 4096),
      /^alice: FAILED: the backup's alice\.db is 4096 bytes, the manifest says \d+: cut short or replaced$/m,
    ],
    [
      "a truncated file whose manifest was made to match",
      (b) => {
        truncateSync(join(b, "alice.db"), 8192);
        matchManifest(b);
      },
      /^alice: FAILED: the backup's alice\.db is damaged /m,
    ],
    [
      "an SQLite file that is not a WriteKit blog",
      (b) => {
        rmSync(join(b, "alice.db"));
        const db = new Database(join(b, "alice.db"));
        db.run("CREATE TABLE notes (body TEXT)");
        db.close();
        matchManifest(b);
      },
      /^alice: FAILED: the backup's alice\.db is not a WriteKit blog: it is an SQLite database but not a WriteKit blog$/m,
    ],
    [
      "a blog from a newer WriteKit",
      (b) => {
        const db = new Database(join(b, "alice.db"));
        db.run("PRAGMA user_version = 99");
        db.close();
        matchManifest(b);
      },
      /^alice: FAILED: the backup's alice\.db has schema version 99, newer than this WriteKit supports/m,
    ],
    [
      "a symbolic link in place of the file",
      (b) => {
        const target = join(b, "elsewhere.db");
        writeFileSync(target, readFileSync(join(b, "alice.db")));
        rmSync(join(b, "alice.db"));
        symlinkSync(target, join(b, "alice.db"));
      },
      /^alice: FAILED: the backup's alice\.db is a symbolic link; a backup holds plain files$/m,
    ],
  ];

  test.each(hostile)("%s is refused for that blog, the others are restored, exit 1", async (_what, tamper, message) => {
    const { backup } = await instanceWithBackup();
    tamper(backup);
    const data = tempDir();
    const r = await cli(["restore", backup, "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expectOneLine(r.stderr);
    expect(r.stdout).toContain("Restored 1 of 2 blogs");
    expect(blogs(data)).toEqual(["bob.db"]);
    expect(readdirSync(join(data, "tenants")).filter((f) => f.startsWith("."))).toEqual([]);
  });

  const badManifests: [string, (backup: string) => void, string][] = [
    [
      "names ../../etc/passwd as a blog's file",
      (b) => editManifest(b, (m) => (m.blogs[0].file = "../../etc/passwd")),
      `the blog "alice" names the file "../../etc/passwd"; a backup's files are NAME.db beside the manifest; nothing was restored`,
    ],
    [
      "names a blog ../../etc/passwd",
      (b) => editManifest(b, (m) => (m.blogs[0].name = "../../etc/passwd")),
      `blog 1 has the name "../../etc/passwd", which is not a blog name; nothing was restored`,
    ],
    [
      "names a blog with upper-case letters",
      (b) => editManifest(b, (m) => (m.blogs[1].name = "Bob")),
      `blog 2 has the name "Bob", which is not a blog name; nothing was restored`,
    ],
    [
      "lists a blog twice",
      (b) => editManifest(b, (m) => m.blogs.push(m.blogs[0])),
      `the blog "alice" is listed twice; nothing was restored`,
    ],
    [
      "has a sha256 that is not one",
      (b) => editManifest(b, (m) => (m.blogs[0].sha256 = "abc")),
      `the blog "alice" has no valid sha256; nothing was restored`,
    ],
    [
      "is from a newer WriteKit",
      (b) => editManifest(b, (m) => (m.format = 2)),
      `it is format 2, written by a newer WriteKit (this one reads up to 1); restore with that version; nothing was restored`,
    ],
    ["is not JSON", (b) => writeFileSync(join(b, "manifest.json"), "{ not json"), "is not valid JSON"],
    [
      "is missing",
      (b) => rmSync(join(b, "manifest.json")),
      "has no manifest.json; is it a folder written by `writekit backup`?",
    ],
  ];

  test.each(badManifests)(
    "a manifest that %s refuses the whole restore in one line",
    async (_what, tamper, message) => {
      const { backup } = await instanceWithBackup();
      tamper(backup);
      const data = tempDir();
      const r = await cli(["restore", backup, "--data", data]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toStartWith("writekit: ");
      expectOneLine(r.stderr);
      expect(blogs(data)).toEqual([]);
    },
  );
});
