// Creating, replacing and deleting a blog's file. Creation is atomic: the blog is built under a
// temporary name, fully migrated and initialised, then linked into place, so `<name>.db` either
// appears complete or not at all, and an existing blog is never overwritten (link fails on
// EEXIST). Replacing one (a restore) is one rename, safe while a server has it open.
import type { Database } from "bun:sqlite";
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname } from "node:path";
import { canLock, SQLITE_PENDING_BYTE, tryWriteLockByte } from "./locks.ts";
import { migrate } from "./migrate.ts";
import { tenantPath, tenantsDir, type TenantName } from "./names.ts";
import { openBlogDatabase } from "./open.ts";

export class TenantExistsError extends Error {
  override name = "TenantExistsError";
  constructor(readonly blog: string) {
    super(`a blog named "${blog}" already exists`);
  }
}

/** A blog's file stayed locked by another program longer than a replacement waits. */
export class TenantBusyError extends Error {
  override name = "TenantBusyError";
  constructor(readonly blog: string) {
    super(
      `the blog "${blog}" is locked by another program (a write in rollback-journal mode?); try again when it is done`,
    );
  }
}

export class NoSuchTenantError extends Error {
  override name = "NoSuchTenantError";
  constructor(readonly blog: string) {
    super(`there is no blog named "${blog}"`);
  }
}

export function removeDatabaseFiles(path: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(path + suffix, { force: true });
}

/**
 * Creates `<dataDir>/tenants/<name>.db`, migrated to the latest schema, after `init` has filled it
 * in one transaction. Throws TenantExistsError (and writes nothing) when the blog exists.
 */
export function createTenant(dataDir: string, name: TenantName, init: (db: Database) => void): string {
  const path = tenantPath(dataDir, name);
  if (existsSync(path)) throw new TenantExistsError(name);
  mkdirSync(tenantsDir(dataDir), { recursive: true });
  const temp = `${tenantsDir(dataDir)}/.${name}.${process.pid}.${Date.now()}.creating`;
  try {
    const db = openBlogDatabase(temp, { create: true });
    try {
      migrate(db);
      db.transaction(() => init(db))();
    } finally {
      // Closing the only handle checkpoints the WAL into the main file, so one file is complete.
      db.close();
    }
    try {
      linkSync(temp, path);
    } catch (e: any) {
      if (e?.code === "EEXIST") throw new TenantExistsError(name);
      throw e;
    }
  } finally {
    removeDatabaseFiles(temp);
  }
  return path;
}

/**
 * How long a replaced blog's old file stays closed to new connections after replaceTenantFile:
 * longer than any of WriteKit's own connections waits for a lock (open.ts: 5000 ms; the server's
 * pool: 250 ms). See replaceTenantFile.
 */
export const REPLACED_FILE_GRACE_MS = 6000;

/**
 * Puts the complete blog file `temp` in place of `<name>.db` at `path` with one rename, while the
 * blog may be open in a running server. Returns the release of the old file's hold, to call
 * REPLACED_FILE_GRACE_MS after this returns.
 *
 * SQLite finds a database's -wal and -shm by name, so a connection to the old file must never use
 * the new file's, nor one to the new file the old one's (https://sqlite.org/howtocorrupt.html,
 * §2.4 and "mispairing"). Connections already open keep theirs: the old -wal and -shm are moved
 * away (then deleted) before the rename, so those connections go on with files nobody else can
 * find (a server notices the rename through its file watcher and closes them; what they write is
 * lost with the old blog, and SQLite does not checkpoint a moved file on close), and the new
 * file's connections make fresh ones. A connection that opened the old file but has not read it
 * yet would make or take the names' files after the rename: holding SQLite's PENDING lock on the
 * old file keeps it waiting (SQLITE_BUSY after its busy timeout) instead, until it gives up.
 * Where that lock is not available (see locks.ts) the rename is done without it.
 */
export function replaceTenantFile(temp: string, path: string, name: string): () => void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r+");
  } catch (e: any) {
    if (e?.code !== "ENOENT") throw e;
  }
  const release = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  try {
    if (fd !== undefined && canLock()) {
      // Refused only while a rollback-mode writer holds it, for the length of its commit.
      const end = performance.now() + 5000;
      while (!tryWriteLockByte(fd, SQLITE_PENDING_BYTE)) {
        if (performance.now() > end) throw new TenantBusyError(name);
        Bun.sleepSync(10);
      }
    }
    // Set aside rather than deleted until the rename is done: should it fail, the old blog gets
    // its -wal back, with what it holds that is not in the .db yet.
    const aside = `${dirname(path)}/.${name}.${process.pid}.${Date.now()}.replaced`;
    const moved: string[] = [];
    try {
      for (const suffix of ["-wal", "-shm", "-journal"]) {
        try {
          renameSync(path + suffix, aside + suffix);
          moved.push(suffix);
        } catch (e: any) {
          if (e?.code !== "ENOENT") throw e;
        }
      }
      renameSync(temp, path);
    } catch (e) {
      for (const suffix of moved) renameSync(aside + suffix, path + suffix);
      throw e;
    }
    for (const suffix of moved) rmSync(aside + suffix, { force: true });
    syncDirectory(dirname(path));
  } catch (e) {
    release();
    throw e;
  }
  return release;
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes a blog's database with its -wal and -shm files. The caller closes any open handle first. */
export function deleteTenant(dataDir: string, name: TenantName): void {
  const path = tenantPath(dataDir, name);
  if (!existsSync(path)) throw new NoSuchTenantError(name);
  removeDatabaseFiles(path);
}

/**
 * Replaces `path` with `text` through a temporary file beside it, synced, then renamed over it,
 * so a reader (or a crash) sees the old file or the new one, never half of one.
 */
export function writeFileAtomically(path: string, text: string, options: { mode?: number } = {}): void {
  const temp = `${dirname(path)}/.${basename(path)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.partial`;
  try {
    writeFileSync(temp, text, { mode: options.mode });
    const fd = openSync(temp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}
