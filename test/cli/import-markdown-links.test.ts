// A folder of Markdown from someone else: links that leave it, named pipes and link loops are
// refused, one line each, and the import never hangs.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, makeBlog, REPO, tempDir } from "../helpers.ts";

/** The CLI as a child process that cannot outlive the test (a blocked read would hang forever). */
async function importMarkdown(data: string, paths: string[]) {
  const proc = Bun.spawn([BUN, join(REPO, "src/main.ts"), "import", "alice", ...paths, "--data", data], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: 20_000,
    killSignal: "SIGKILL",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr, killed: proc.signalCode === "SIGKILL" };
}

function postBodies(data: string): { slug: string; body: string }[] {
  const db = new Database(join(data, "tenants", "alice.db"), { readonly: true });
  const rows = db.query("SELECT slug, body FROM posts ORDER BY slug").all() as { slug: string; body: string }[];
  db.close();
  return rows;
}

/** A site with one good post, one linked from inside, and everything that must not be read. */
function hostileSite() {
  const outside = tempDir();
  writeFileSync(join(outside, "secret.md"), "---\ntitle: Secret\n---\nTOP SECRET\n");
  mkdirSync(join(outside, "folder"));
  writeFileSync(join(outside, "folder", "elsewhere.md"), "# Elsewhere\nNOT FROM THIS SITE\n");
  const site = join(tempDir(), "site");
  mkdirSync(join(site, "notes"), { recursive: true });
  writeFileSync(join(site, "good.md"), "# Good\nHello.\n");
  writeFileSync(join(site, "notes", "inner.md"), "# Inner\nLinked from inside.\n");
  symlinkSync(join(site, "notes", "inner.md"), join(site, "shortcut.md")); // inside: fine, and read once
  symlinkSync("/etc/passwd", join(site, "passwd.md"));
  symlinkSync("/proc/self/environ", join(site, "environ.md"));
  symlinkSync(join(outside, "secret.md"), join(site, "secret.md"));
  symlinkSync(join(outside, "folder"), join(site, "elsewhere"));
  symlinkSync(join(outside, "folder"), join(site, "folder.md"));
  symlinkSync(join(site, "loop-b.md"), join(site, "loop-a.md"));
  symlinkSync(join(site, "loop-a.md"), join(site, "loop-b.md"));
  const fifo = Bun.spawnSync(["mkfifo", join(site, "pipe.md")]);
  if (fifo.exitCode !== 0) throw new Error(`mkfifo failed: ${fifo.stderr}`);
  return { site, root: realpathSync(site), outside: realpathSync(outside) };
}

describe("writekit import NAME FOLDER with links and special files", () => {
  test("links leaving the folder, a named pipe and a link loop are refused with a line each; the rest is imported", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { site, root, outside } = hostileSite();
    const r = await importMarkdown(data, [site]);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(1);
    const failed = (name: string, why: string) => `failed     ${join(site, name)}: ${why}`;
    expect(r.stderr).toContain(
      failed(
        "passwd.md",
        `it is a link to /etc/passwd, outside ${root}; only files inside the folder being imported are read`,
      ),
    );
    expect(r.stderr).toMatch(
      new RegExp(`failed     ${join(site, "environ.md")}: it is a link to /proc/\\d+/environ, outside `),
    );
    expect(r.stderr).toContain(failed("secret.md", `it is a link to ${join(outside, "secret.md")}, outside ${root}`));
    expect(r.stderr).toContain(failed("folder.md", `it is a link to ${join(outside, "folder")}, outside ${root}`));
    expect(r.stderr).toContain(failed("pipe.md", "it is a named pipe (FIFO), not a regular file"));
    expect(r.stderr).toContain(failed("loop-a.md", "it is a loop of symbolic links that never reaches a file"));
    expect(r.stderr).toContain(failed("loop-b.md", "it is a loop of symbolic links that never reaches a file"));
    expect(r.stdout).toContain(
      `skipped    ${join(site, "elsewhere")}: a link to the folder ${join(outside, "folder")}, outside ${root}; linked folders are not walked`,
    );
    expect(r.stdout).toContain("alice: 2 imported, 0 updated, 0 unchanged, 1 skipped, 7 failed");
    expect(r.stderr).not.toContain("    at ");
    const posts = postBodies(data);
    expect(posts.map((p) => p.slug)).toEqual(["good", "inner"]);
    for (const p of posts) expect(p.body).not.toMatch(/root:|SECRET|NOT FROM THIS SITE|PATH=/);
  }, 30_000);

  test("a file named on the command line is read only inside its own folder, and a named pipe there does not block", async () => {
    const data = tempDir();
    await makeBlog(data, "alice");
    const { site, root, outside } = hostileSite();
    const r = await importMarkdown(data, [join(site, "secret.md"), join(site, "pipe.md"), join(site, "good.md")]);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `failed     ${join(site, "secret.md")}: it is a link to ${join(outside, "secret.md")}, outside ${root}`,
    );
    expect(r.stderr).toContain(`failed     ${join(site, "pipe.md")}: it is a named pipe (FIFO), not a regular file`);
    expect(postBodies(data).map((p) => p.slug)).toEqual(["good"]);
  }, 30_000);
});
