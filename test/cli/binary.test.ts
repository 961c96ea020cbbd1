import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Database } from "bun:sqlite";
import { createPost } from "../../src/blog/posts.ts";
import { migrate, MIGRATIONS } from "../../src/tenants/migrate.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { REPO, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

/**
 * `npm run build` as package.json spells it, writing into `outfile` instead of dist/, from a copy
 * of the sources that is deleted afterwards: a binary that still reads anything from its source
 * tree (a worker's module, say) fails here as it would on another machine.
 */
async function build(outfile: string): Promise<void> {
  const script: string = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).scripts.build;
  expect(script).toContain("--outfile dist/writekit");
  const tree = tempDir("writekit-source-");
  for (const entry of ["src", "migrations", "package.json", "tsconfig.json", "bunfig.toml", "migrations.d.ts"])
    cpSync(join(REPO, entry), join(tree, entry), { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(tree, "node_modules"));
  // The script calls `bun`, which npm finds in node_modules/.bin; the running Bun may be named otherwise (bun.exe).
  const bin = tempDir("writekit-bin-");
  symlinkSync(process.execPath, join(bin, "bun"));
  try {
    const proc = Bun.spawn(["sh", "-c", script.replace("--outfile dist/writekit", `--outfile '${outfile}'`)], {
      cwd: tree,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect({ code, stderr: code ? stderr : "" }).toEqual({ code: 0, stderr: "" });
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

async function run(binary: string, args: string[], stdin?: string) {
  const proc = Bun.spawn([binary, ...args], {
    cwd: dirname(binary),
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: "/usr/bin:/bin" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

describe("the compiled binary", () => {
  test("runs export, check and import in its worker, and serve's view writer, after being copied to another folder", async () => {
    const outfile = join(tempDir("writekit-build-"), "writekit");
    await build(outfile);
    const elsewhere = join(tempDir(), "writekit");
    copyFileSync(outfile, elsewhere);
    const data = join(dirname(elsewhere), "data");
    expect(
      (
        await run(
          elsewhere,
          ["tenant", "create", "alice", "--password-stdin", "--data", data],
          "a long enough passphrase\n",
        )
      ).code,
    ).toBe(0);
    const exported = await run(elsewhere, ["export", "alice", "-o", "alice.db", "--data", data]);
    expect(exported.stderr).toBe("");
    expect(exported.code).toBe(0);
    expect(existsSync(join(dirname(elsewhere), "alice.db"))).toBe(true);
    expect(await run(elsewhere, ["check", "--data", data])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("alice: ok"),
    });
    const imported = await run(
      elsewhere,
      ["import", "bob", "alice.db", "--password-stdin", "--data", data],
      "another long passphrase\n",
    );
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);

    // Code highlighting loads lazily inside the binary, in the CLI and in the import Worker, where
    // migration 0002's data step re-renders a version-1 blog.
    writeFileSync(join(dirname(elsewhere), "code.md"), "---\ntitle: Code\n---\n```ts\nconst a = 1;\n```\n");
    expect(await run(elsewhere, ["import", "alice", "code.md", "--data", data])).toMatchObject({ code: 0, stderr: "" });
    const old = openBlogDatabase(join(dirname(elsewhere), "old.db"), { create: true });
    migrate(old, MIGRATIONS.slice(0, 1));
    old.run(
      "INSERT INTO posts (slug, title, body, html, status, created_at, updated_at) VALUES ('old', 'Old', '```ts\nconst b = 2;\n```', '<pre>plain</pre>', 'draft', 'now', 'now')",
    );
    old.close();
    expect(
      await run(
        elsewhere,
        ["import", "carol", "old.db", "--password-stdin", "--data", data],
        "a third long passphrase\n",
      ),
    ).toMatchObject({ code: 0, stderr: "" });
    for (const [name, slug] of [
      ["alice", "code"],
      ["carol", "old"],
    ]) {
      const db = new Database(join(data, "tenants", `${name}.db`), { readonly: true });
      expect((db.query("SELECT html FROM posts WHERE slug = ?").get(slug) as { html: string }).html).toContain(
        '<span class="hljs-keyword">const</span>',
      );
      db.close();
    }

    // serve's view Worker, the binary's third entry point: a view journaled by one run is added to
    // the blog by the Worker of the next.
    for (const name of ["alice", "bob"]) {
      const db = openBlogDatabase(join(data, "tenants", `${name}.db`));
      createPost(db, { title: "Hello", body: "x", status: "published", publishedAt: "2026-01-01T00:00:00Z" });
      db.close();
    }
    const port = await freePort();
    const serve = () =>
      Bun.spawn([elsewhere, "serve", "--data", data, "--port", String(port), "--hostname", "127.0.0.1"], {
        cwd: dirname(elsewhere),
        stdout: "pipe",
        stderr: "pipe",
        env: { PATH: "/usr/bin:/bin" },
      });
    const get = (host: string) =>
      fetch(`http://127.0.0.1:${port}/hello`, { headers: { host } })
        .then((r) => r.status)
        .catch(() => 0);
    const up = async () => {
      let status = 0;
      for (const end = performance.now() + 30_000; status !== 200 && performance.now() < end;)
        if ((status = await get("bob.localhost")) !== 200) await Bun.sleep(25);
      expect(status).toBe(200);
    };
    const aliceViews = () => {
      const db = new Database(join(data, "tenants", "alice.db"), { readonly: true });
      db.run("PRAGMA busy_timeout = 5000");
      const row = db.query("SELECT views FROM posts WHERE slug = 'hello'").get() as { views: number };
      db.close();
      return row.views;
    };
    let server = serve();
    await up();
    expect(await get("alice.localhost")).toBe(200);
    server.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(aliceViews()).toBe(0); // in the journal
    server = serve();
    try {
      await up();
      for (const end = performance.now() + 30_000; aliceViews() === 0 && performance.now() < end;) await Bun.sleep(50);
      expect(aliceViews()).toBe(1);
    } finally {
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    }
    expect(await new Response(server.stderr).text()).not.toContain("ERROR");
  }, 120_000);
});
