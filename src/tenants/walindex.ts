// Cutting a closed blog's WAL index (its -shm file, 32 KiB) back to 3 bytes, as SQLite's next first
// connection would do anyway (os_unix.c, unixLockSharedMemory). Made right after the close that
// wrote them, the cut frees blocks not yet on disk; SQLite's own truncate at the next open frees
// blocks written out long ago, which on a file system mounted with `discard` waits for the device.
// README (Benchmarks) has the figures.
//
// It follows SQLite's protocol, so it never cuts a file another connection has open: the cut is
// made only while holding the write lock on the "DMS" byte (offset 128) of the -shm file, which
// every process with the blog open holds shared. The lock is an open file description lock
// (F_OFD_SETLK, Linux 3.15+), so it conflicts with SQLite's POSIX locks even in this process.
// What no lock can guard against is a POSIX rule: closing any descriptor of a file drops every
// POSIX lock this process holds on it. So when the lock is refused because a connection of this
// process holds it (the registry's leases say none should), the descriptor is kept open rather
// than closed, and the caller is told. Elsewhere (not Linux on x64/arm64, no libc) it does nothing.
import { closeSync, fstatSync, ftruncateSync, openSync } from "node:fs";

const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;
const F_WRLCK = 1;
const F_UNLCK = 2;
/** UNIX_SHM_DMS in os_unix.c: the byte every connection holds a shared lock on. */
const DMS_BYTE = 128;
/** SQLite's own size for a reset -shm file (smaller than its header, so never mistaken for one). */
const RESET_SIZE = 3;

type Fcntl = (fd: number, command: number, lock: Uint8Array) => number;

let fcntl: Fcntl | null | undefined;

function loadFcntl(): Fcntl | null {
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return null;
  try {
    // Loaded on first use: bun:ffi is needed by nothing else.
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen("libc.so.6", { fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 } });
    return (fd, command, lock) => libc.symbols.fcntl(fd, command, ptr(lock));
  } catch {
    return null;
  }
}

/** struct flock on 64-bit Linux: l_type, l_whence (shorts), l_start, l_len (off_t), l_pid (int). */
function writeLockOnDms(): Uint8Array {
  const lock = new Uint8Array(32);
  const view = new DataView(lock.buffer);
  view.setInt16(0, F_WRLCK, true);
  view.setInt16(2, 0, true); // SEEK_SET
  view.setBigInt64(8, BigInt(DMS_BYTE), true);
  view.setBigInt64(16, 1n, true);
  return lock; // l_pid stays 0, as open file description locks require
}

/** The pid owning a lock that conflicts with a write lock on DMS (-1 for an OFD lock), or null when none does. */
function dmsHolder(fd: number, call: Fcntl): number | null {
  const lock = writeLockOnDms();
  if (call(fd, F_OFD_GETLK, lock) !== 0) return -1;
  const view = new DataView(lock.buffer);
  return view.getInt16(0, true) === F_UNLCK ? null : view.getInt32(24, true);
}

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
  if (fcntl === undefined) fcntl = loadFcntl();
  if (!fcntl) return "unsupported";
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
    if (fcntl(fd, F_OFD_SETLK, writeLockOnDms()) !== 0) {
      return (result = dmsHolder(fd, fcntl) === process.pid ? "open-here" : "open-elsewhere");
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
  if (fcntl === undefined) fcntl = loadFcntl();
  if (!fcntl) return null;
  let fd: number;
  try {
    fd = openSync(path + "-shm", "r");
  } catch {
    return null;
  }
  try {
    return dmsHolder(fd, fcntl) !== null;
  } finally {
    closeSync(fd);
  }
}
