// What went wrong with a blog's file, read from the result code bun:sqlite puts on its
// SQLiteError (`error.code`, extended codes included: https://sqlite.org/rescode.html). Each kind
// has one meaning for the people involved: a reader is told why, an operator reads it in the log.

/**
 * - `corrupt`: the file is damaged or not a database (CORRUPT, NOTADB); the blog is unusable.
 * - `read-only`: the file, its directory or its file system cannot be written (READONLY).
 * - `full`: the disk or the file's size limit is full (FULL).
 * - `io`: the operating system reported an I/O error (IOERR_*), often a failing or full disk.
 * - `cannot-open`: the file or its -wal/-shm cannot be opened (CANTOPEN, PERM, AUTH).
 * - `busy`: another process holds the write lock past the busy timeout (BUSY, LOCKED).
 */
export type FaultKind = "corrupt" | "read-only" | "full" | "io" | "cannot-open" | "busy";

const PREFIXES: [string, FaultKind][] = [
  ["SQLITE_CORRUPT", "corrupt"],
  ["SQLITE_NOTADB", "corrupt"],
  ["SQLITE_READONLY", "read-only"],
  ["SQLITE_FULL", "full"],
  ["SQLITE_IOERR", "io"],
  ["SQLITE_CANTOPEN", "cannot-open"],
  ["SQLITE_PERM", "cannot-open"],
  ["SQLITE_AUTH", "cannot-open"],
  ["SQLITE_BUSY", "busy"],
  ["SQLITE_LOCKED", "busy"],
];

/** The kind of storage fault `error` reports, or null when it is not an SQLite file error. */
export function faultOf(error: unknown): FaultKind | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return null;
  for (const [prefix, kind] of PREFIXES) {
    // "SQLITE_IOERR" and "SQLITE_IOERR_WRITE" match; "SQLITE_FULLX" would not exist anyway.
    if (code === prefix || code.startsWith(prefix + "_")) return kind;
  }
  return null;
}

/** Whether a fault means the handle itself can no longer be trusted and must be dropped. */
export function isFatal(kind: FaultKind): boolean {
  return kind === "corrupt" || kind === "cannot-open";
}

/** A fault met while a blog is in use is logged again after this long, not on every request. */
const FAULT_LOG_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Storage faults counted by kind and logged with the blog's name once per kind every ten minutes,
 * not once per request or per flusher tick.
 */
export class FaultLog {
  readonly counts: Record<FaultKind, number> = {
    corrupt: 0,
    "read-only": 0,
    full: 0,
    io: 0,
    "cannot-open": 0,
    busy: 0,
  };
  /** "blog\0kind" → when that fault was last logged. */
  private readonly logged = new Map<string, number>();

  constructor(
    private readonly write: (level: "warn" | "error", message: string, fields: Record<string, string>) => void,
  ) {}

  /** Counts and logs the fault `error` reports; returns its kind, or null when it is not a storage fault. */
  note(blog: string, error: unknown): FaultKind | null {
    const kind = faultOf(error);
    if (!kind) return null;
    this.counts[kind]++;
    const message = error instanceof Error ? error.message : String(error);
    this.log(
      blog,
      kind,
      kind === "busy" ? "blog is locked by another process past the busy timeout" : "blog storage fault",
      message,
    );
    return kind;
  }

  /** Logs a fault of a blog unless the same kind was logged for it in the last ten minutes. */
  log(blog: string, kind: FaultKind, message: string, error?: string): void {
    const key = blog + "\u0000" + kind;
    const now = performance.now();
    const last = this.logged.get(key);
    if (last !== undefined && now - last < FAULT_LOG_INTERVAL_MS) return;
    this.logged.set(key, now);
    const fields: Record<string, string> = { blog, fault: kind };
    if (error !== undefined) fields.error = error;
    this.write(kind === "busy" ? "warn" : "error", message, fields);
  }
}
