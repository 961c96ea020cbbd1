// Creating and deleting a blog's file. Creation is atomic: the blog is built under a temporary
// name, fully migrated and initialised, then linked into place, so `<name>.db` either appears
// complete or not at all, and an existing blog is never overwritten (link fails on EEXIST).
import type { Database } from "bun:sqlite";
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { migrate } from "./migrate.ts";
import { tenantPath, tenantsDir, type TenantName } from "./names.ts";
import { openBlogDatabase } from "./open.ts";

export class TenantExistsError extends Error {
  override name = "TenantExistsError";
  constructor(readonly blog: string) {
    super(`a blog named "${blog}" already exists`);
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
export function writeFileAtomically(path: string, text: string): void {
  const temp = `${dirname(path)}/.${basename(path)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.partial`;
  try {
    writeFileSync(temp, text);
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
