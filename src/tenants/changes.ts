// Telling a change to a blog made by someone else (the CLI, an author's sqlite3 session) from this
// server's own opening, closing and writing of its files, so cached pages are dropped exactly when
// the blog's content may have changed. An open blog is asked with PRAGMA data_version, which moves
// only when another connection commits (https://sqlite.org/pragma.html#pragma_data_version); a
// closed one is compared with what its files looked like right after this server last let go of it.
import { constants, type Database } from "bun:sqlite";
import { statSync } from "node:fs";
import type { TenantName } from "./names.ts";

export function dataVersionOf(db: Database): number {
  return (db.query("PRAGMA data_version").get() as { data_version: number }).data_version;
}

/**
 * Whether the file a connection has open is no longer the one at its path: `writekit restore
 * --force` renames a new file over a blog (https://sqlite.org/c3ref/c_fcntl_begin_atomic_write.html#sqlitefcntlhasmoved).
 */
export function hasMoved(db: Database): boolean {
  const moved = new Int32Array(2); // bun wants at least 8 bytes; SQLite writes an int
  try {
    db.fileControl(constants.SQLITE_FCNTL_HAS_MOVED, moved);
  } catch {
    return false;
  }
  return moved[0] !== 0;
}

/** Rows this connection has changed since it opened (https://sqlite.org/c3ref/total_changes.html). */
export function totalChangesOf(db: Database): number {
  return (db.query("SELECT total_changes() AS n").get() as { n: number }).n;
}

/** Inode, size and modification time (ns) of a blog's .db and -wal: what any write changes. */
export function fileFingerprint(path: string): string {
  const parts: string[] = [];
  for (const file of [path, path + "-wal"]) {
    const st = statSync(file, { bigint: true, throwIfNoEntry: false });
    parts.push(st ? `${st.ino}:${st.size}:${st.mtimeNs}` : "-");
  }
  return parts.join("/");
}

/** What a writer on another thread saw of a blog's files (see ChangeDetector.afterOutsideWrite). */
export interface OutsideWrite {
  before: string;
  after: string;
  /** Another connection committed while the writer had the blog open. */
  foreign: boolean;
}

export class ChangeDetector {
  /** Per closed blog, its files' fingerprint when this server last let go of it. */
  private readonly closedAs = new Map<TenantName, string>();
  private readonly listeners: ((name: TenantName) => void)[] = [];
  private readonly knownListeners: ((name: TenantName, fingerprint: string) => void)[] = [];

  onChange(listener: (name: TenantName) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Called with a closed blog's fingerprint whenever this server knows its files are in that state
   * and every change up to it was reported (so pages made from now on show that state).
   */
  onKnownState(listener: (name: TenantName, fingerprint: string) => void): void {
    this.knownListeners.push(listener);
  }

  report(name: TenantName): void {
    for (const listener of this.listeners) listener(name);
  }

  private known(name: TenantName, fingerprint: string): void {
    for (const listener of this.knownListeners) listener(name, fingerprint);
  }

  /** This server's connection to a closed blog was just opened: a change made meanwhile is reported. */
  afterOpen(name: TenantName, path: string): void {
    const closedAs = this.closedAs.get(name);
    if (closedAs === undefined) return;
    this.closedAs.delete(name);
    if (closedAs !== fileFingerprint(path)) this.report(name);
  }

  /**
   * This server's last connection was just closed. `committedElsewhere`: another connection
   * committed while it was open (the events of our own close would hide that change).
   */
  afterClose(name: TenantName, path: string, committedElsewhere: boolean): void {
    const now = fileFingerprint(path);
    this.closedAs.set(name, now);
    if (committedElsewhere) this.report(name);
    this.known(name, now);
  }

  /**
   * A closed blog is about to be read briefly (registry.read), which writes nothing. Files that
   * differ from how this server last saw them were changed by someone else whose file event may
   * not have been handled yet: reported now, before a page of the new state is kept beside pages
   * of the old one. Known from then on, so that a later write of this server's own on another
   * thread can be told from someone else's.
   */
  beforeRead(name: TenantName, path: string): void {
    const now = fileFingerprint(path);
    const before = this.closedAs.get(name);
    if (before === now) return;
    this.closedAs.set(name, now);
    if (before !== undefined) this.report(name);
    this.known(name, now);
  }

  /** Whether a closed blog's files differ from how this server left them (true when it never had it); a change is reported. */
  changedWhileClosed(name: TenantName, path: string): boolean {
    const now = fileFingerprint(path);
    if (this.closedAs.get(name) === now) return false;
    this.closedAs.set(name, now);
    this.report(name);
    this.known(name, now);
    return true;
  }

  /**
   * A writer of this server on another thread is done. A blog nobody else touched keeps its pages;
   * without a report (the write failed), or when the files had changed before or during it, the
   * change is reported. `open`: this thread's handle, if the blog is open now.
   */
  afterOutsideWrite(
    name: TenantName,
    path: string,
    report: OutsideWrite | null,
    open: { db: Database; dataVersion: number } | undefined,
  ): void {
    if (open) {
      // Its handle saw the writer's commit as another connection's.
      if (report && !report.foreign) open.dataVersion = dataVersionOf(open.db);
      else this.report(name);
      return;
    }
    const before = this.closedAs.get(name);
    const after = report?.after ?? fileFingerprint(path);
    this.closedAs.set(name, after);
    if (!report || report.foreign || before !== report.before) this.report(name);
    this.known(name, after);
  }

  forget(name: TenantName): void {
    this.closedAs.delete(name);
  }
}
