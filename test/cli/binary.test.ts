import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO, tempDir } from "../helpers.ts";

/** `npm run build` as package.json spells it, writing into `outfile` instead of dist/. */
async function build(outfile: string): Promise<void> {
  const script: string = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).scripts.build;
  expect(script).toContain("--outfile dist/writekit");
  const proc = Bun.spawn(["sh", "-c", script.replace("--outfile dist/writekit", `--outfile '${outfile}'`)], {
    cwd: REPO,
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  expect({ code, stderr: code ? stderr : "" }).toEqual({ code: 0, stderr: "" });
}

async function run(binary: string, args: string[], stdin?: string) {
  const proc = Bun.spawn([binary, ...args], { cwd: dirname(binary), stdin: stdin === undefined ? "ignore" : new Blob([stdin]), stdout: "pipe", stderr: "pipe", env: { PATH: "/usr/bin:/bin" } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

describe("the compiled binary", () => {
  test("runs export, check and import in its worker after being copied to another folder", async () => {
    const outfile = join(tempDir("writekit-build-"), "writekit");
    await build(outfile);
    const elsewhere = join(tempDir(), "writekit");
    copyFileSync(outfile, elsewhere);
    const data = join(dirname(elsewhere), "data");
    expect((await run(elsewhere, ["tenant", "create", "alice", "--password-stdin", "--data", data], "a long enough passphrase\n")).code).toBe(0);
    const exported = await run(elsewhere, ["export", "alice", "-o", "alice.db", "--data", data]);
    expect(exported.stderr).toBe("");
    expect(exported.code).toBe(0);
    expect(existsSync(join(dirname(elsewhere), "alice.db"))).toBe(true);
    expect(await run(elsewhere, ["check", "--data", data])).toMatchObject({ code: 0, stdout: expect.stringContaining("alice: ok") });
    const imported = await run(elsewhere, ["import", "bob", "alice.db", "--password-stdin", "--data", data], "another long passphrase\n");
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);
  }, 120_000);
});
