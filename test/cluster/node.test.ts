// `writekit node …` and `tenant delete` against a placement file, with a real Litestream where a
// replica is needed (skipped with a warning where it is missing, as the cluster test is).
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { addComment } from "../../src/blog/comments.ts";
import { createPost } from "../../src/blog/posts.ts";
import { parseTenantName, tenantPath } from "../../src/tenants/names.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { BlogRegistry } from "../../src/tenants/registry.ts";
import { cli, makeBlog, tempDir } from "../helpers.ts";
import { hasEngines, LITESTREAM } from "./engines.ts";

const alice = parseTenantName("alice");

async function cluster(blogs: Record<string, unknown>) {
  const root = tempDir();
  const data = { n1: join(root, "n1"), n2: join(root, "n2") };
  mkdirSync(data.n1);
  mkdirSync(data.n2);
  const placement = join(root, "placement.json");
  writeFileSync(
    placement,
    JSON.stringify({
      domain: "blogs.test",
      replica: { url: `file://${join(root, "replicas")}` },
      nodes: { n1: { url: "http://127.0.0.1:1" }, n2: { url: "http://127.0.0.1:2" } },
      blogs,
    }),
  );
  const run = (node: "n1" | "n2", args: string[]) =>
    cli(args, {
      env: {
        WRITEKIT_PLACEMENT: placement,
        WRITEKIT_NODE: node,
        WRITEKIT_DATA: data[node],
        WRITEKIT_LITESTREAM: LITESTREAM,
        WRITEKIT_LITESTREAM_CONFIG: join(root, `litestream-${node}.yml`),
      },
    });
  const placed = () => JSON.parse(readFileSync(placement, "utf8")).blogs;
  return { root, data, placement, run, placed };
}

/** Replicates the file once with Litestream (a snapshot, then its WAL), then stops it cleanly. */
async function replicateOnce(path: string, replica: string): Promise<void> {
  const proc = Bun.spawn([LITESTREAM, "replicate", path, replica], { stdout: "ignore", stderr: "ignore" });
  const end = performance.now() + 15_000;
  while (!existsSync(join(replica.replace("file://", ""), "generations")) && performance.now() < end)
    await Bun.sleep(100);
  await Bun.sleep(1500);
  proc.kill("SIGTERM");
  await proc.exited;
}

describe("writekit node", () => {
  test("adopt refuses a blog still active on its node, release one placed here, and both say what to do", async () => {
    const { run, data } = await cluster({ alice: { node: "n1", epoch: 1, state: "active" } });
    await makeBlog(data.n1, "alice");
    const adopt = await run("n2", ["node", "adopt", "alice", "--from-replica", "file:///nowhere"]);
    expect(adopt.code).toBe(1);
    expect(adopt.stderr).toContain("drain it there first");
    expect(adopt.stderr).toContain("--force");
    const release = await run("n1", ["node", "release", "alice"]);
    expect(release.code).toBe(1);
    expect(release.stderr).toContain("would delete its live copy");
    expect(existsSync(tenantPath(data.n1, alice))).toBe(true);
  }, 30_000);

  test("adopt without a replica places a blog made here; tenant delete takes it out of the placement and the Litestream config", async () => {
    const { run, data, placed, root } = await cluster({});
    await makeBlog(data.n1, "alice");
    const adopted = await run("n1", ["node", "adopt", "alice"]);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(placed().alice).toMatchObject({ node: "n1", epoch: 1, state: "active" });
    expect(readFileSync(join(root, "litestream-n1.yml"), "utf8")).toContain("/replicas/alice/1");
    const deleted = await run("n1", ["tenant", "delete", "alice", "--yes"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(placed().alice).toBeUndefined();
    expect(readFileSync(join(root, "litestream-n1.yml"), "utf8")).not.toContain("alice");
  }, 30_000);

  test.skipIf(!hasEngines)(
    "adopt restores a replica, checks it, drops Litestream's tables and places it with the next epoch",
    async () => {
      const { run, data, placed, root } = await cluster({ alice: { node: "n1", epoch: 4, state: "active" } });
      await makeBlog(data.n1, "alice");
      await replicateOnce(tenantPath(data.n1, alice), `file://${join(root, "replicas", "alice", "4")}`);
      const adopted = await run("n2", [
        "node",
        "adopt",
        "alice",
        "--force",
        "--from-replica",
        `file://${join(root, "replicas", "alice", "4")}`,
      ]);
      expect(adopted.code, adopted.stderr).toBe(0);
      expect(placed().alice).toMatchObject({ node: "n2", epoch: 5, state: "active" });
      const db = new Database(tenantPath(data.n2, alice), { readonly: true });
      expect(db.query("SELECT name FROM sqlite_schema WHERE name LIKE '_litestream%'").all()).toEqual([]);
      db.close();
    },
    60_000,
  );

  test.skipIf(!hasEngines)(
    "adopt refuses a damaged restore and names the generations and times to try instead",
    async () => {
      const { run, data, root, placed } = await cluster({ alice: { node: "n1", epoch: 1, state: "active" } });
      await makeBlog(data.n1, "alice");
      const path = tenantPath(data.n1, alice);
      const db = openBlogDatabase(path);
      const post = createPost(
        db,
        { title: "Hello", body: "A post.", status: "published", publishedAt: "2026-01-01T00:00:00Z" },
        new Date("2026-01-01T00:00:00Z"),
      );
      for (let i = 0; i < 400; i++)
        addComment(db, { postId: post.id, name: "R", body: `comment ${i} `.repeat(20), status: "pending" });
      db.close();
      // Garbage over the middle of the file's last page (a b-tree page of comments or an index).
      const fd = openSync(path, "r+");
      const size = fstatSync(fd).size;
      writeSync(fd, Buffer.alloc(512, 0x5a), 0, 512, size - 2048);
      closeSync(fd);
      await replicateOnce(path, `file://${join(root, "replicas", "alice", "1")}`);
      const adopted = await run("n2", [
        "node",
        "adopt",
        "alice",
        "--force",
        "--from-replica",
        `file://${join(root, "replicas", "alice", "1")}`,
      ]);
      expect(adopted.code).toBe(1);
      expect(adopted.stderr).toContain("is damaged");
      expect(adopted.stderr).toContain("nothing was adopted");
      expect(adopted.stderr).toMatch(/--generation [0-9a-f]{16}/);
      expect(existsSync(tenantPath(data.n2, alice))).toBe(false);
      expect(placed().alice.node).toBe("n1");
    },
    60_000,
  );

  test.skipIf(!hasEngines)(
    "under Litestream, a brief read of a closed blog falls back to an ordinary connection and works",
    async () => {
      const data = tempDir();
      await makeBlog(data, "alice");
      const path = tenantPath(data, alice);
      const registry = new BlogRegistry({ dataDir: data });
      const read = () => registry.read(alice, (t) => t.db.query("SELECT count(*) AS n FROM posts").get());
      const time = (n: number) => {
        const started = performance.now();
        for (let i = 0; i < n; i++) read();
        return (performance.now() - started) / n;
      };
      time(20);
      const alone = time(200);
      expect(registry.briefReads).toBe(220);
      const proc = Bun.spawn([LITESTREAM, "replicate", path, `file://${join(tempDir(), "replica")}`], {
        stdout: "ignore",
        stderr: "ignore",
      });
      try {
        const end = performance.now() + 15_000;
        while (!existsSync(join(data, "tenants", ".alice.db-litestream")) && performance.now() < end)
          await Bun.sleep(50);
        await Bun.sleep(500);
        const before = registry.briefReads;
        const underLitestream = time(200);
        expect(registry.briefReads).toBe(before); // every read on an ordinary connection
        expect(read()).toEqual({ n: 0 });
        console.log(
          `[cluster] a closed blog's read: ${alone.toFixed(3)} ms alone (exclusive), ${underLitestream.toFixed(3)} ms under Litestream (ordinary connection)`,
        );
      } finally {
        proc.kill("SIGTERM");
        await proc.exited;
      }
    },
    60_000,
  );
});
