// Real-browser tests: playwright-core driving Debian's chromium (installed by .ci/run), against a
// real `writekit serve` child process. Chromium resolves *.localhost to loopback by itself.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { BUN, REPO } from "../helpers.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

export interface Server {
  port: number;
  url: (blog: string, path?: string) => string;
  stop: () => Promise<number>;
}

export async function startServer(dataDir: string, extra: string[] = []): Promise<Server> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  const proc = Bun.spawn(
    [
      BUN,
      join(REPO, "src/main.ts"),
      "serve",
      "--data",
      dataDir,
      "--port",
      String(port),
      "--hostname",
      "127.0.0.1",
      ...extra,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/healthz`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
    await Bun.sleep(50);
  }
  return {
    port,
    url: (blog, path = "/") => `http://${blog}.localhost:${port}${path}`,
    stop: async () => {
      proc.kill("SIGTERM");
      return proc.exited;
    },
  };
}
