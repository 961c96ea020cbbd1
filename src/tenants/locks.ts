// Byte-range locks on SQLite's own lock bytes, taken as open file description locks
// (F_OFD_SETLK, Linux 3.15+): they conflict with SQLite's POSIX locks, in other processes and in
// this one, and belong to the descriptor, so closing it releases them. bun has no fcntl, so libc's
// is called through bun:ffi; where that cannot be done (not Linux on x64 or arm64, no libc) these
// locks are not available and callers fall back to doing without them.
const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;
const F_WRLCK = 1;
const F_UNLCK = 2;

/** PENDING_BYTE in SQLite's os.h: a process that holds it keeps new readers from starting. */
export const SQLITE_PENDING_BYTE = 0x40000000;
/** UNIX_SHM_DMS in os_unix.c: the -shm byte every process with the blog open holds shared. */
export const SQLITE_SHM_DMS_BYTE = 128;

type Fcntl = (fd: number, command: number, lock: Uint8Array) => number;

let fcntl: Fcntl | null | undefined;

function loadFcntl(): Fcntl | null {
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return null;
  try {
    // Loaded on first use: bun:ffi is needed by nothing else.
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen("libc.so.6", {
      fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    });
    return (fd, command, lock) => libc.symbols.fcntl(fd, command, ptr(lock));
  } catch {
    return null;
  }
}

/** Whether write locks can be taken here at all. */
export function canLock(): boolean {
  if (fcntl === undefined) fcntl = loadFcntl();
  return fcntl !== null;
}

/** struct flock on 64-bit Linux: l_type, l_whence (shorts), l_start, l_len (off_t), l_pid (int). */
function writeLock(offset: number): Uint8Array {
  const lock = new Uint8Array(32);
  const view = new DataView(lock.buffer);
  view.setInt16(0, F_WRLCK, true);
  view.setInt16(2, 0, true); // SEEK_SET
  view.setBigInt64(8, BigInt(offset), true);
  view.setBigInt64(16, 1n, true);
  return lock; // l_pid stays 0, as open file description locks require
}

/**
 * Takes a write lock on the one byte at `offset` of the file open as `fd` (opened for writing),
 * without waiting: false when anyone holds a lock on it, or when locks are not available here.
 */
export function tryWriteLockByte(fd: number, offset: number): boolean {
  if (!canLock()) return false;
  return fcntl!(fd, F_OFD_SETLK, writeLock(offset)) === 0;
}

/**
 * Who holds a lock that keeps a write lock on the byte at `offset` from being taken: the pid of a
 * process holding a POSIX lock there (this process's own included), -1 for an open file
 * description lock or when that cannot be asked, null when nobody does.
 */
export function lockHolder(fd: number, offset: number): number | null {
  if (!canLock()) return -1;
  const lock = writeLock(offset);
  if (fcntl!(fd, F_OFD_GETLK, lock) !== 0) return -1;
  const view = new DataView(lock.buffer);
  return view.getInt16(0, true) === F_UNLCK ? null : view.getInt32(24, true);
}
