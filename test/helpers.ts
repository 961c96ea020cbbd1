// Shared test fixtures: a temporary data directory per test, blogs made through the real code,
// the app driven through app.handle, and the CLI run as a child process.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "bun:test";
import { createHandler } from "../src/app.ts";
import { insertAuthor } from "../src/blog/authors.ts";
import { updateSettings } from "../src/blog/settings.ts";
import { ViewFlusher } from "../src/server/flusher.ts";
import { createServices } from "../src/server/services.ts";
import type { Services } from "../src/web/services.ts";
import { loadConfig, type Config } from "../src/config.ts";
import { createTenant } from "../src/tenants/files.ts";
import { parseTenantName } from "../src/tenants/names.ts";

const dirs: string[] = [];
const flushers = new Map<Services, ViewFlusher>();
afterAll(async () => {
  for (const flusher of flushers.values()) await flusher.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The view flusher of `services`, started on first use (one per server, as serve has). */
export function flusherOf(services: Services, options: { workerUrl?: URL } = {}): ViewFlusher {
  let flusher = flushers.get(services);
  if (!flusher) {
    flusher = new ViewFlusher(services, { journalEveryMs: services.config.flushIntervalMs, ...options });
    flusher.start();
    flushers.set(services, flusher);
  }
  return flusher;
}

/** Puts every view recorded so far into the blogs' files, as the server does a segment at a time. */
export function settleViews(services: Services): Promise<void> {
  return flusherOf(services).settle();
}

export function tempDir(prefix = "writekit-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A new, empty data directory (with its tenants/ folder, as commands other than create and serve expect). */
export function emptyDataDir(): string {
  const dir = tempDir();
  mkdirSync(join(dir, "tenants"));
  return dir;
}

/** A cheap, fixed hash so tests do not pay argon2id for every blog they make. */
export const TEST_PASSWORD = "correct horse battery";
let cachedHash: string | undefined;
export async function testPasswordHash(): Promise<string> {
  cachedHash ??= await Bun.password.hash(TEST_PASSWORD, { algorithm: "argon2id", memoryCost: 4096, timeCost: 1 });
  return cachedHash;
}

export async function makeBlog(
  dataDir: string,
  name: string,
  options: { title?: string; email?: string } = {},
): Promise<string> {
  const hash = await testPasswordHash();
  return createTenant(dataDir, parseTenantName(name), (db) => {
    insertAuthor(db, { email: options.email ?? `${name}@example.com`, passwordHash: hash });
    updateSettings(db, { title: options.title ?? `${name}'s blog` });
  });
}

export function testConfig(dataDir: string, overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ data: dataDir }, {}), ...overrides };
}

/** What Bun.serve calls for every request. */
export type Handler = (request: Request) => Response | Promise<Response>;

/** The services and the request handler of a server on `dataDir`, as `writekit serve` assembles them, without a socket. */
export function makeServer(dataDir: string, overrides: Partial<Config> = {}) {
  const services = createServices(testConfig(dataDir, overrides));
  return { handler: createHandler(services), services };
}

export async function request(handler: Handler, host: string, path = "/", init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("host", host);
  return handler(new Request(`http://localhost${path}`, { ...init, headers }));
}

export const REPO = join(import.meta.dir, "..");
export const BUN = process.execPath;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  // Bun reads tsconfig.json (the JSX runtime) from the working directory, so name it when elsewhere.
  const runtime = options.cwd ? [BUN, `--tsconfig-override=${join(REPO, "tsconfig.json")}`] : [BUN];
  const proc = Bun.spawn([...runtime, join(REPO, "src/main.ts"), ...args], {
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}
