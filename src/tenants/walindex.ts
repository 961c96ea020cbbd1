// Cutting a closed blog's WAL index (its -shm file, 32 KiB) back to 3 bytes, as SQLite's next first
// connection would do anyway (os_unix.c, unixLockSharedMemory). Made right after the close that
// wrote them, the cut frees blocks not yet on disk; SQLite's own truncate at the next open frees
// blocks written out long ago, which on a file system mounted with `discard` waits for the device.
// docs/BENCHMARKS.md has the figures.
//
// It follows SQLite's protocol, so it never cuts a file another connection has open: the cut is
// made only while holding the write lock on the "DMS" byte (offset 128) of the -shm file, which
// every process with the blog open holds shared. The lock is an open file description lock
// (F_OFD_SETLK, Linux 3.15+; locks.ts), so it conflicts with SQLite's POSIX locks even in this process.
// What no lock can guard against is a POSIX rule: closing any descriptor of a file drops every
// POSIX lock this process holds on it. So when the lock is refused because a connection of this
// process holds it (the registry's leases say none should), the descriptor is kept open rather
// than closed, and the caller is told. Elsewhere (not Linux on x64/arm64, no libc) it does nothing.
import { closeSync, fstatSync, ftruncateSync, openSync } from "node:fs";
import { canLock, lockHolder, SQLITE_SHM_DMS_BYTE, tryWriteLockByte } from "./locks.ts";

/** SQLite's own size for a reset -shm file (smaller than its header, so never mistaken for one). */
const RESET_SIZE = 3;

/** Descriptors kept open because closing them would drop another connection's locks (see above). */
const kept: number[] = [];

/**
 * - `cut`: the file is 3 bytes now.
 * - `nothing`: no -shm file, or already cut.
 * - `open-elsewhere`: another process has the blog open (or is opening it); left alone.
 * - `open-here`: a connection of this process has it open, which the caller believed impossible;
 *   left alone, and the descriptor kept open so that connection keeps its locks.
 * - `unsupported`: not Linux on x64/arm64, or no libc to call.
 */
export type TrimResult = "cut" | "nothing" | "open-elsewhere" | "open-here" | "unsupported";

/**
 * Cuts the -shm file of the blog at `path` back to 3 bytes when no connection anywhere has the
 * blog open. Call it only right after this process closed its last connection to the blog (the
 * registry decides when). Never throws.
 */
export function trimWalIndex(path: string): TrimResult {
  if (!canLock()) return "unsupported";
  let fd: number;
  try {
    fd = openSync(path + "-shm", "r+");
  } catch {
    return "nothing"; // no -shm file (a read-only open, a deleted blog)
  }
  let result: TrimResult = "nothing";
  try {
    if (fstatSync(fd).size <= RESET_SIZE) return (result = "nothing");
    // Refused (EAGAIN) while any connection, in any process, has the blog open.
    if (!tryWriteLockByte(fd, SQLITE_SHM_DMS_BYTE)) {
      return (result = lockHolder(fd, SQLITE_SHM_DMS_BYTE) === process.pid ? "open-here" : "open-elsewhere");
    }
    ftruncateSync(fd, RESET_SIZE);
    return (result = "cut");
  } catch {
    return (result = "nothing");
  } finally {
    // Closing the descriptor releases our lock; never close it under a connection of this process.
    if (result === "open-here") kept.push(fd);
    else closeSync(fd);
  }
}

/**
 * Whether some connection, in any process, has the blog at `path` open (it holds the DMS byte of
 * the -shm shared): true, false, or null when that cannot be told (no -shm file, not Linux).
 */
export function isWalIndexInUse(path: string): boolean | null {
  if (!canLock()) return null;
  let fd: number;
  try {
    fd = openSync(path + "-shm", "r");
  } catch {
    return null;
  }
  try {
    return lockHolder(fd, SQLITE_SHM_DMS_BYTE) !== null;
  } finally {
    closeSync(fd);
  }
}
