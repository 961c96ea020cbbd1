// One row per measured thing, printed as one table and saved as JSON. Every figure is the median
// over the runs; the raw runs are kept in the JSON.
import { execSync } from "node:child_process";
import { cpus } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Row {
  /** Stable id for --only and for comparing JSON files: "page:post", "many:zipf", "open". */
  id: string;
  title: string;
  reqPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Non-2xx responses (or other than the row's expected status) plus socket errors, summed over runs. */
  errors?: number;
  /** What came back, summed over runs: "200×51234". */
  statuses?: string;
  /** A single figure for rows that are not latency distributions (peak RSS, start-up). */
  value?: string;
  ratio?: number;
  ratioTo?: string;
  goal?: string;
  /** Whether the goal was met, when the row has one. */
  met?: boolean;
  runs: number;
  /** Context: response size, miss rates, phase timings. */
  note?: string;
  samples?: unknown[];
}

const fmt = (n: number | undefined, digits: number) =>
  n === undefined || !Number.isFinite(n) ? "" : n.toFixed(digits);
const fmtInt = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? "" : Math.round(n).toLocaleString("en-US");

export function formatTable(rows: Row[]): string {
  const header = ["row", "req/s", "p50 ms", "p99 ms", "errors", "value", "ratio", "goal", "runs"];
  const body = rows.map((r) => [
    r.title,
    fmtInt(r.reqPerSec),
    fmt(r.p50Ms, r.p50Ms !== undefined && r.p50Ms < 1 ? 3 : 2),
    fmt(r.p99Ms, r.p99Ms !== undefined && r.p99Ms < 1 ? 3 : 2),
    r.errors === undefined ? "" : fmtInt(r.errors),
    r.value ?? "",
    r.ratio === undefined ? "" : `${r.ratio.toFixed(2)} ${r.ratioTo ?? ""}`.trim(),
    r.goal ? `${r.goal}${r.met === undefined ? "" : r.met ? " ✓" : " ✗"}` : "",
    String(r.runs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const numeric = [false, true, true, true, true, true, false, false, true];
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (numeric[i] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [line(header), rule, ...body.map(line)].join("\n");
}

export interface Machine {
  cpu: string;
  nproc: number;
  memoryGiB: number;
  kernel: string;
  bun: string;
  wrk: string | null;
  commit: string;
  dirty: boolean;
}

export function describeMachine(wrk: boolean): Machine {
  const cpuinfo = (() => {
    try {
      return readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return "";
    }
  })();
  const sh = (cmd: string) => {
    try {
      return execSync(cmd, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "";
    }
  };
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown",
    nproc: Number(sh("nproc")) || cpus().length,
    memoryGiB:
      Math.round((Number(/^MemTotal:\s+(\d+)/m.exec(sh("cat /proc/meminfo"))?.[1] ?? 0) / 1024 / 1024) * 10) / 10,
    kernel: sh("uname -r"),
    bun: Bun.version,
    wrk: wrk ? (sh("wrk -v 2>&1 | head -1").split(" ")[1] ?? "yes") : null,
    commit: sh("git rev-parse --short HEAD"),
    dirty: sh("git status --porcelain -- src migrations") !== "",
  };
}

export function saveResults(
  dir: string,
  result: { date: string; machine: Machine; options: unknown; rows: Row[]; notes: string[] },
): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${result.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  return file;
}
