// Server processes under test: a real `writekit serve` (from source or the compiled binary) or the
// bare ceiling server, each a child process pinned to one core so the load generator has the
// other (see ../shared/STACK.md: server on one core, wrk on the other).
import { spawn, spawnSync, type Subprocess } from "bun";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..");
/** The core the server gets; the load generator runs on LOAD_CPU. */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

const hasTaskset = spawnSync(["sh", "-c", "command -v taskset"]).exitCode === 0;

/** `argv` prefixed with taskset when it exists (the command keeps its pid: taskset execs it). */
export function pinned(cpu: number, argv: string[]): string[] {
  return hasTaskset ? ["taskset", "-c", String(cpu), ...argv] : argv;
}

export function isPinningAvailable(): boolean {
  return hasTaskset;
}

export async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

export interface Memory {
  /** Peak resident set (VmHWM), bytes. */
  peakBytes: number;
  /** Resident set now (VmRSS), bytes. */
  rssBytes: number;
}

/** Reads /proc/PID/status; null when the process is gone or there is no /proc. */
export function memoryOf(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { peakBytes: kb("VmHWM"), rssBytes: kb("VmRSS") };
  } catch {
    return null;
  }
}

export interface RunningServer {
  pid: number;
  port: number;
  /** http://127.0.0.1:PORT — every request sets its Host header to choose a blog. */
  origin: string;
  logFile: string;
  memory(): Memory | null;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartOptions {
  /** The command before `--port`: e.g. [bun, src/main.ts, serve, --data, DIR]. */
  argv: string[];
  logFile: string;
  env?: Record<string, string>;
  cpu?: number;
  /** Path polled until it answers 200. */
  readyPath?: string;
  timeoutMs?: number;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const port = await freePort();
  const log = openSync(options.logFile, "a");
  const child: Subprocess = spawn({
    cmd: pinned(options.cpu ?? SERVER_CPU, [...options.argv, "--port", String(port)]),
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", ...options.env },
    stdout: log,
    stderr: log,
    stdin: "ignore",
  });
  closeSync(log);
  const origin = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`server exited with code ${child.exitCode} before answering; see ${options.logFile}`);
    try {
      const r = await fetch(origin + (options.readyPath ?? "/healthz"));
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(
        `server did not answer 200 on ${options.readyPath ?? "/healthz"} in time; see ${options.logFile}`,
      );
    }
    await Bun.sleep(20);
  }
  return {
    pid: child.pid,
    port,
    origin,
    logFile: options.logFile,
    memory: () => memoryOf(child.pid),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await child.exited;
      clearTimeout(timer);
      return child.exitCode;
    },
  };
}

let serverBinary: string | null = null;

/** Makes writekitServe run a compiled binary (`npm run bench -- --binary dist/writekit`). */
export function useServerBinary(path: string): void {
  serverBinary = path;
}

export function serverKind(): string {
  return serverBinary ? `the compiled binary ${serverBinary}` : "the server from source, as `npm start` runs it";
}

/** `writekit serve` from source, as `npm start` runs it, or the binary given to useServerBinary. */
export function writekitServe(dataDir: string, extra: string[] = []): string[] {
  const command = serverBinary ? [serverBinary] : [process.execPath, "src/main.ts"];
  return [...command, "serve", "--data", dataDir, "--hostname", "127.0.0.1", ...extra];
}

/** Clock ticks per second of /proc's CPU times (USER_HZ). */
const TICKS_PER_SECOND = Number(spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** utime + stime in ms from a /proc stat line (fields 14 and 15; the name in parentheses may hold spaces). */
function statCpuMs(stat: string): number {
  return statUserMs(stat) + statSystemMs(stat);
}

function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

function statUserMs(stat: string): number {
  return (Number(statFields(stat)[11]) * 1000) / TICKS_PER_SECOND;
}

/** stime alone: the kernel's time on the thread's behalf (file reads, page faults, sockets). */
function statSystemMs(stat: string): number {
  return (Number(statFields(stat)[12]) * 1000) / TICKS_PER_SECOND;
}

export interface CpuTimes {
  /** The whole process (every thread), ms. */
  processMs: number;
  /** The thread whose id is the process id: in Bun, the thread that runs JavaScript. */
  mainMs: number;
  /** Of mainMs, the kernel's time (stime). */
  mainSystemMs: number;
  /** Every thread: id → its name (comm) and CPU ms. */
  threads: Map<number, { name: string; ms: number }>;
}

/** CPU time used so far by process `pid` and by each of its threads; null when it is gone. */
export function cpuOf(pid: number): CpuTimes | null {
  try {
    const threads = new Map<number, { name: string; ms: number }>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        threads.set(Number(tid), {
          name: readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim(),
          ms: statCpuMs(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8")),
        });
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    let mainSystemMs = NaN;
    try {
      mainSystemMs = statSystemMs(readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8"));
    } catch {
      // Gone since the listing.
    }
    return {
      processMs: statCpuMs(readFileSync(`/proc/${pid}/stat`, "utf8")),
      mainMs: threads.get(pid)?.ms ?? NaN,
      mainSystemMs,
      threads,
    };
  } catch {
    return null;
  }
}

/** Scrapes /metrics (Prometheus text) into name → value; empty when the endpoint is missing. */
export async function scrapeMetrics(origin: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const r = await fetch(origin + "/metrics");
    const text = await r.text();
    if (r.status !== 200) return out;
    for (const line of text.split("\n")) {
      const m = /^([a-z_:]+)(\{[^}]*\})?\s+([0-9.eE+-]+|NaN)$/.exec(line);
      if (m && !m[2]) out.set(m[1], Number(m[3]));
    }
  } catch {
    // No metrics: the rows still stand without the hit rates.
  }
  return out;
}
