// Cutting a closed blog's WAL index (its -shm file, 32 KiB) back to 3 bytes. SQLite's first
// connection to a WAL database always truncates the -shm file to 3 bytes and writes it out again
// (os_unix.c, unixLockSharedMemory). With the -wal and -shm files kept between opens (open.ts),
// that truncate meets blocks the kernel has long since written to disk, and freeing them is most
// of a pool miss: on ext4 mounted with `discard` each free waits for the device (measured over
// 5,000 blogs, first access p50 545 µs and p99 1.87 ms against 289 µs and 0.94 ms when the file
// was already 3 bytes). Cut right after the close that made them, the same blocks are not yet on
// disk and freeing them costs ~30 µs; the next open then finds nothing to free.
//
// It follows SQLite's own protocol, so it never cuts a file another process has open: the cut is
// made only while holding the write lock on the "DMS" byte (offset 128) of the -shm file, which
// every process with the blog open holds shared (SQLite takes it once per process, for all of its
// connections there); a process that opens meanwhile sees the lock and retries (SQLite treats that
// as a transient state). The lock is an open file description lock (F_OFD_SETLK, Linux 3.15+), so
// it conflicts with SQLite's POSIX locks even in this process. What it cannot guard against is a
// POSIX rule: closing any descriptor of a file drops every POSIX lock this process holds on it, so
// even a refused attempt would leave a connection of this process unprotected against other
// processes. The caller must therefore know that no connection of this process (another thread's
// included) has the blog open; the pool does (see Pool.closeHandle and Pool.holdOutside).
// Anywhere this cannot be done (not Linux on x64 or arm64, no libc to call), it does nothing:
// SQLite's own truncate at the next open is then all that happens, as before.
import { closeSync, fstatSync, ftruncateSync, openSync } from "node:fs";
import { canLock, SQLITE_SHM_DMS_BYTE, tryWriteLockByte } from "./locks.ts";

/** SQLite's own size for a reset -shm file (smaller than its header, so never mistaken for one). */
const RESET_SIZE = 3;

/**
 * Cuts the -shm file of the blog at `path` back to 3 bytes when no connection anywhere has the
 * blog open. Only call it right after this process closed its last connection to the blog, and
 * while no other thread of this process can be opening it (see the file's comment). Never throws.
 * Returns whether it cut (false: nothing to cut, another process has the blog open, or not here).
 */
export function trimWalIndex(path: string): boolean {
  if (!canLock()) return false;
  let fd: number;
  try {
    fd = openSync(path + "-shm", "r+");
  } catch {
    return false; // no -shm file (a read-only open, a deleted blog): nothing to cut
  }
  try {
    if (fstatSync(fd).size <= RESET_SIZE) return false;
    // Refused (EAGAIN) while any connection, in any process, has the blog open.
    if (!tryWriteLockByte(fd, SQLITE_SHM_DMS_BYTE)) return false;
    ftruncateSync(fd, RESET_SIZE);
    return true;
  } catch {
    return false;
  } finally {
    // Closing the descriptor releases the lock.
    closeSync(fd);
  }
}
