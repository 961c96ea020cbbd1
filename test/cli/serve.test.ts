import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BUN, makeBlog, REPO, tempDir } from "../helpers.ts";

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

describe("writekit serve", () => {
  test("serves blogs by Host and exits 0 on SIGTERM", async () => {
    const data = tempDir();
    await makeBlog(data, "alice", { title: "Alice served" });
    const port = await freePort();
    const proc = Bun.spawn([BUN, join(REPO, "src/main.ts"), "serve", "--data", data, "--port", String(port), "--hostname", "127.0.0.1"], { stdout: "pipe", stderr: "pipe" });
    let health: Response | undefined;
    for (let i = 0; i < 100 && !health; i++) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (!health) await Bun.sleep(50);
    }
    expect(health?.status).toBe(200);
    const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { host: `alice.localhost:${port}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Alice served");
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });

  test("bad flags are refused with a clear message", async () => {
    for (const [args, message] of [[["--port", "abc"], "--port must be a whole number"], [["--max-open", "0"], "--max-open must be between"], [["--log-format", "xml"], "--log-format"], [["--domain", "bad domain"], "not a valid host name"]] as const) {
      const proc = Bun.spawn([BUN, join(REPO, "src/main.ts"), "serve", ...args, "--data", tempDir()], { stdout: "pipe", stderr: "pipe" });
      expect(await proc.exited).toBe(2);
      expect(await new Response(proc.stderr).text()).toContain(message);
    }
  });
});
