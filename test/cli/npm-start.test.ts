// `npm start` as a service manager or a terminal runs it: SIGTERM to npm must stop the server too.
// npm runs a script through `sh -c`, and dash does not pass signals on to its child, so without
// `exec` in the script the server outlived npm and kept the port.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, tempDir } from "../helpers.ts";
import { freePort, until } from "./serve-child.ts";

// npm itself takes a second or two to start, more on a loaded machine.
setDefaultTimeout(60_000);

/** The state letter of a process (Z for a zombie), or null when it is gone. */
function processState(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
  } catch {
    return null;
  }
}

/** Every process below `root` (Linux /proc). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(
        readFileSync(`/proc/${entry}/stat`, "utf8")
          .replace(/^.*\) /s, "")
          .split(" ")[1],
      );
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

const isAlive = (pid: number) => {
  const state = processState(pid);
  return state !== null && state !== "Z";
};

describe.skipIf(process.platform !== "linux")("npm start", () => {
  test("stops, server and all, when npm is sent SIGTERM, and frees the port", async () => {
    const data = tempDir();
    mkdirSync(join(data, "tenants"));
    const port = await freePort();
    const npm = Bun.spawn(["npm", "start"], {
      cwd: REPO,
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", PORT: String(port), WRITEKIT_DATA: data },
    });
    const output = Promise.all([new Response(npm.stdout).text(), new Response(npm.stderr).text()]);
    const healthz = `http://localhost:${port}/healthz`;
    let tree: number[] = [];
    try {
      await until(
        () =>
          fetch(healthz).then(
            (r) => r.ok,
            () => false,
          ),
        "the server under npm start to answer /healthz",
        45_000,
      );
      tree = descendants(npm.pid);
      expect(tree.length).toBeGreaterThan(0);
      npm.kill("SIGTERM");
      const started = performance.now();
      await npm.exited;
      await until(() => !tree.some(isAlive), "every process under npm start to exit", 10_000);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(
        await fetch(healthz).then(
          () => "answered",
          () => "refused",
        ),
      ).toBe("refused");
    } finally {
      // Never leave a server behind, even when the test fails.
      for (const pid of [npm.pid, ...tree]) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
    const [stdout, stderr] = await output;
    expect(stdout).toContain(`WriteKit serving the blogs in ${join(data, "tenants")}`);
    expect(stderr).toContain("shutting down signal=SIGTERM");
  });
});
