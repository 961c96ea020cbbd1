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
