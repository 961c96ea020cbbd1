// Consistent copies of live blog files, and the Worker that runs the long jobs built on them.
// `VACUUM INTO` (https://sqlite.org/lang_vacuum.html#vacuuminto) copies a database as of one read
// transaction, so a copy taken while the server writes is consistent, and it is compacted into a
// single file in rollback-journal mode that sqlite3 and DB Browser open as is. bun:sqlite has no
// backup API and no interrupt, so a big copy blocks its thread: jobs run in snapshot-worker.ts.
import { Database } from "bun:sqlite";
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, openSync, readSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { removeDatabaseFiles } from "./files.ts";
import { openBlogDatabase } from "./open.ts";
import type { RestoreProgress, RestoreResult } from "./restore.ts";
import { workerUrl } from "../workers.ts";

/** A job that cannot be done, with a message meant for the person who asked for it. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
}

function randomId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
}

/** A name for a temporary file next to `dest`, so the final rename stays on one file system. */
export function tempPathFor(dest: string, purpose: string): string {
  return join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomId()}.${purpose}`);
}

/**
 * Opens a blog to copy or check it. Read-write when possible, so closing the last handle
 * checkpoints and removes the -wal and -shm files; read-only when the file cannot be written.
 */
export function openForReading(path: string): Database {
  try {
    return openBlogDatabase(path);
  } catch (e: any) {
    if (e?.code === "SQLITE_READONLY" || e?.code === "SQLITE_CANTOPEN" || e?.code === "SQLITE_PERM")
      return openBlogDatabase(path, { readonly: true });
    throw e;
  }
}

/** Makes `temp` appear as `dest`, never replacing an existing file (link fails with EEXIST). */
export function placeFile(temp: string, dest: string, exists: () => Error): void {
  try {
    linkSync(temp, dest);
  } catch (e: any) {
    if (e?.code === "EEXIST") throw exists();
    throw e;
  }
  // Make the new directory entry durable too.
  const dir = openSync(dirname(dest), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * Copies `source` into the new file `dest`: VACUUM INTO a temporary file beside it, run `prepare`
 * on the copy in one transaction (with secure_delete on, so what it deletes is zeroed on disk,
 * not left in free pages), then link the copy into place, with `mode` when given (before it
 * appears). Returns what `prepare` returned.
 */
export function snapshotDatabase<T>(
  source: Database,
  dest: string,
  prepare: (copy: Database) => T,
  options: { mode?: number } = {},
): T {
  if (existsSync(dest)) throw new SnapshotError(`${dest} already exists; choose another file or remove it first`);
  const temp = tempPathFor(dest, "partial");
  try {
    source.run("VACUUM INTO ?", [temp]);
    let result: T;
    const copy = new Database(temp, { readwrite: true, strict: true });
    try {
      copy.run("PRAGMA secure_delete = ON");
      copy.run("PRAGMA synchronous = FULL");
      result = copy.transaction(() => prepare(copy))();
      // VACUUM INTO writes rollback-journal mode already; say so, since the file must stand alone.
      copy.run("PRAGMA journal_mode = DELETE");
    } finally {
      copy.close();
    }
    if (options.mode !== undefined) chmodSync(temp, options.mode);
    placeFile(temp, dest, () => new SnapshotError(`${dest} already exists; choose another file or remove it first`));
    return result;
  } finally {
    removeDatabaseFiles(temp);
  }
}

/** The problems `PRAGMA quick_check` (or the slower, full `integrity_check`) finds; empty when sound. */
export function checkDatabase(
  db: Database,
  kind: "quick_check" | "integrity_check" = "quick_check",
  max = 10,
): string[] {
  const rows = db.query(`PRAGMA ${kind}(${Math.max(1, Math.floor(max))})`).all() as Record<string, string>[];
  const messages = rows.map((r) => String(Object.values(r)[0]));
  return messages.length === 1 && messages[0] === "ok" ? [] : messages;
}

export function sha256File(path: string): string {
  const hasher = new Bun.CryptoHasher("sha256");
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hasher.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hasher.digest("hex");
}

export function fileSize(path: string): number {
  return statSync(path).size;
}

/** One blog written by an export or a backup, as the backup manifest lists it. */
export interface SnapshotEntry {
  name: string;
  file: string;
  bytes: number;
  sha256: string;
  schemaVersion: number;
  posts: number;
  /** When the snapshot was taken (ISO 8601 UTC). */
  time: string;
}

export interface BackupResult {
  dir: string;
  manifest: string;
  blogs: SnapshotEntry[];
  failed: { name: string; error: string }[];
}

export interface CheckResult {
  name: string;
  problems: string[];
  /** How many images were read and found to be the bytes their rows name. */
  images: number;
}

export interface ImportResult {
  name: string;
  path: string;
  email: string;
  otherAuthors: number;
  createdAuthor: boolean;
  fromVersion: number;
  toVersion: number;
  posts: number;
  images: number;
  /** What the rebuild changed or left out, one line each (at most 50), and how many more. */
  notes: string[];
  moreNotes: number;
}

export type SnapshotJob =
  | { kind: "export"; dataDir: string; name: string; file: string }
  | { kind: "backup"; dataDir: string; dir: string }
  | { kind: "check"; dataDir: string; names: string[] }
  | {
      kind: "import";
      dataDir: string;
      name: string;
      file: string;
      passwordHash: string;
      fallbackEmail: string;
      instanceDomain?: string;
    }
  | { kind: "restore"; dataDir: string; dir: string; names: string[]; force: boolean };

export type JobResult<J extends SnapshotJob> = J extends { kind: "export" }
  ? SnapshotEntry
  : J extends { kind: "backup" }
    ? BackupResult
    : J extends { kind: "check" }
      ? CheckResult[]
      : J extends { kind: "import" }
        ? ImportResult
        : J extends { kind: "restore" }
          ? RestoreResult
          : never;

/** What a job reports while it works: each blog as it is backed up, checked or restored. */
export type BackupProgress = { name: string; entry: SnapshotEntry } | { name: string; error: string };
export type JobProgress<J extends SnapshotJob> = J extends { kind: "backup" }
  ? BackupProgress
  : J extends { kind: "check" }
    ? CheckResult
    : J extends { kind: "restore" }
      ? RestoreProgress
      : never;

/** What the worker posts back: progress while it works, then a result or a failure. */
export type WorkerMessage =
  | { type: "progress"; progress: unknown }
  | { type: "done"; result: unknown }
  | { type: "failed"; message: string }
  | { type: "crashed"; message: string };

/** The worker's module, a second entry point of the compiled binary (see workers.ts). */
const WORKER_URL = workerUrl("tenants/snapshot-worker.ts");

/**
 * Runs a job on a Worker thread, so the calling thread (the server's event loop, or the CLI) stays
 * free. Rejects with a SnapshotError for a job that cannot be done, an Error for a crash.
 */
export function runSnapshotJob<J extends SnapshotJob>(
  job: J,
  onProgress?: (progress: JobProgress<J>) => void,
): Promise<JobResult<J>> {
  const worker = new Worker(WORKER_URL);
  return new Promise((resolve, reject) => {
    const finish = () => worker.terminate();
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      switch (message.type) {
        case "progress":
          onProgress?.(message.progress as JobProgress<J>);
          break;
        case "done":
          finish();
          resolve(message.result as JobResult<J>);
          break;
        case "failed":
          finish();
          reject(new SnapshotError(message.message));
          break;
        case "crashed":
          finish();
          reject(new Error(message.message));
          break;
      }
    };
    worker.onerror = (event) => {
      finish();
      reject(new Error(`the ${job.kind} worker failed: ${event.message}`));
    };
    // A Worker that exits without a word (killed, out of memory) must not leave the caller waiting;
    // after an answer this is a no-op.
    worker.addEventListener("close", () => reject(new Error(`the ${job.kind} worker exited before it finished`)));
    worker.postMessage(job);
  });
}
