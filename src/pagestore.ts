// Rendered pages kept on disk, behind the page cache in memory: one SQLite file for the whole
// server (DATA/cache/pages.db), so pages survive a restart and far more of them are kept than
// memory holds (the kernel's file cache holds the hot part, outside the process's memory).
//
// Each owner (a blog) has a generation: dropping an owner's pages is one number going up, and a
// page stored under an older generation is never served. Across restarts an owner's generation
// is kept with the state of its files when the server last knew its pages were current; a blog
// whose files differ when it is first asked for (changed by another program while the server was
// down) starts a new generation. A file written by another build of WriteKit is emptied at open.
// It is a cache: written without syncing, and a damaged file is replaced by an empty one.
import { Database } from "bun:sqlite";
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { log } from "./log.ts";

export interface StoredPage {
  /** What the caller needs besides the body, as it gave it (JSON). */
  meta: string;
  body: Uint8Array;
}

interface Pending {
  owner: string;
  gen: number;
  meta: string;
  body: Uint8Array;
}

export interface PageStoreOptions {
  /** Largest total of page bytes kept; the least recently used go first. */
  budgetBytes: number;
  /** Identifies the code that rendered the pages; a store of another build is emptied. */
  buildId: string;
  /** The current state of an owner's files (changes.ts fileFingerprint), asked once per owner and process. */
  stateOf: (owner: string) => string;
}

// A page's last use lives in its own small table: updating a column of `pages` would rewrite the
// whole row, its body included, on every page served from disk (docs/BENCHMARKS.md has the cost).
const SCHEMA_VERSION = "2"; // 2: uses(key, used) apart from pages, used in milliseconds
const SCHEMA = `
CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, owner TEXT NOT NULL, gen INTEGER NOT NULL, bytes INTEGER NOT NULL, meta TEXT NOT NULL, body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS pages_by_owner ON pages (owner, gen);
CREATE TABLE IF NOT EXISTS uses (key TEXT PRIMARY KEY, used INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uses_by_used ON uses (used, key);
CREATE TABLE IF NOT EXISTS owners (name TEXT PRIMARY KEY, gen INTEGER NOT NULL, state TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS about (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

export class PageStore {
  hits = 0;
  misses = 0;
  private readonly gens = new Map<string, number>();
  /** Owners whose files were compared with the stored state in this process. */
  private readonly checked = new Set<string>();
  private readonly puts = new Map<string, Pending>();
  private readonly touched = new Set<string>();
  private readonly owners = new Map<string, { gen: number; state?: string }>();
  private readonly stale = new Map<string, number>();
  private bytes = 0;

  private constructor(
    private readonly db: Database,
    private readonly options: PageStoreOptions,
  ) {
    for (const row of db.query("SELECT name, gen FROM owners").all() as { name: string; gen: number }[])
      this.gens.set(row.name, row.gen);
    this.bytes = (db.query("SELECT coalesce(sum(bytes), 0) AS n FROM pages").get() as { n: number }).n;
  }

  /** Opens (or makes) the store at `path`; null, logged, when it cannot be had: the server runs on memory alone. */
  static open(path: string, options: PageStoreOptions): PageStore | null {
    for (let attempt = 0; attempt < 2; attempt++) {
      let db: Database | undefined;
      try {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        db = new Database(path, { create: true, readwrite: true, strict: true });
        db.run(
          "PRAGMA busy_timeout = 0; PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -2048; PRAGMA journal_size_limit = 16777216",
        );
        db.run("CREATE TABLE IF NOT EXISTS about (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
        const about = (key: string) =>
          (db!.query("SELECT value FROM about WHERE key = ?").get(key) as { value: string } | null)?.value;
        if (about("build") !== options.buildId || about("schema") !== SCHEMA_VERSION) {
          // Another build's pages, perhaps in another layout: made anew.
          db.run("DROP TABLE IF EXISTS pages; DROP TABLE IF EXISTS uses; DROP TABLE IF EXISTS owners");
          const set = db.query(
            "INSERT INTO about (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          );
          set.run("build", options.buildId);
          set.run("schema", SCHEMA_VERSION);
        }
        db.run(SCHEMA);
        return new PageStore(db, options);
      } catch (e) {
        db?.close();
        log.warn(
          attempt === 0
            ? "the page store cannot be opened; it is made anew"
            : "the page store cannot be made; rendered pages are kept in memory only",
          { path, error: e instanceof Error ? e.message : String(e) },
        );
        for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
      }
    }
    return null;
  }

  get bytesStored(): number {
    return this.bytes;
  }

  /** The page at `key` if it was stored under the owner's current generation. */
  get(owner: string, key: string): StoredPage | null {
    const gen = this.genOf(owner);
    const row = this.db.query("SELECT owner, gen, meta, body FROM pages WHERE key = ?").get(key) as {
      owner: string;
      gen: number;
      meta: string;
      body: Uint8Array;
    } | null;
    if (!row || row.owner !== owner || row.gen !== gen) {
      this.misses++;
      return null;
    }
    this.hits++;
    this.touched.add(key);
    return { meta: row.meta, body: row.body };
  }

  /** Keeps a page under the owner's current generation (written at the next flush). */
  put(owner: string, key: string, meta: string, body: Uint8Array): void {
    this.puts.set(key, { owner, gen: this.genOf(owner), meta, body });
  }

  /** Every page of the owner is out of date: none is served again, and the rows go at the next flush. */
  invalidate(owner: string): void {
    const gen = this.genOf(owner) + 1;
    this.gens.set(owner, gen);
    // A state remembered before is still what the new generation's pages will show, or older.
    this.owners.set(owner, { gen, state: this.owners.get(owner)?.state });
    this.stale.set(owner, gen);
    for (const [key, page] of this.puts) if (page.owner === owner) this.puts.delete(key);
  }

  /**
   * The owner's files are now in `state` and its pages of the current generation show them (the
   * server closed it, or wrote only what pages do not show): a restart finding the same state
   * keeps the pages.
   */
  remember(owner: string, state: string): void {
    this.checked.add(owner);
    this.owners.set(owner, { gen: this.genOf(owner), state });
  }

  /** Writes what was queued in one transaction, and lets the least recently used pages go past the budget. */
  flush(): void {
    if (
      !this.puts.size &&
      !this.touched.size &&
      !this.owners.size &&
      !this.stale.size &&
      this.bytes <= this.options.budgetBytes
    )
      return;
    // The flush's time orders the least recently used (pages of one flush by key).
    const now = Date.now();
    try {
      this.db.transaction(() => {
        const put = this.db.query(
          "INSERT INTO pages (key, owner, gen, bytes, meta, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, gen = excluded.gen, bytes = excluded.bytes, meta = excluded.meta, body = excluded.body",
        );
        const old = this.db.query("SELECT bytes FROM pages WHERE key = ?");
        const use = this.db.query(
          "INSERT INTO uses (key, used) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET used = excluded.used",
        );
        for (const [key, p] of this.puts) {
          if (p.gen !== this.genOf(p.owner)) continue;
          this.bytes -= (old.get(key) as { bytes: number } | null)?.bytes ?? 0;
          put.run(key, p.owner, p.gen, p.body.byteLength, p.meta, p.body);
          use.run(key, now);
          this.bytes += p.body.byteLength;
        }
        const touch = this.db.query("UPDATE uses SET used = ? WHERE key = ? AND used <> ?");
        for (const key of this.touched) touch.run(now, key, now);
        const unused = this.db.query(
          "DELETE FROM uses WHERE key IN (SELECT key FROM pages WHERE owner = ? AND gen < ?)",
        );
        const gone = this.db.query("DELETE FROM pages WHERE owner = ? AND gen < ? RETURNING bytes");
        for (const [owner, gen] of this.stale) {
          unused.run(owner, gen);
          for (const row of gone.all(owner, gen) as { bytes: number }[]) this.bytes -= row.bytes;
        }
        const setOwner = this.db.query(
          "INSERT INTO owners (name, gen, state) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET gen = excluded.gen, state = CASE WHEN excluded.state = '' THEN owners.state ELSE excluded.state END",
        );
        for (const [owner, { gen, state }] of this.owners) setOwner.run(owner, gen, state ?? "");
        if (this.bytes > this.options.budgetBytes) {
          const oldest = this.db.query("SELECT key FROM uses ORDER BY used, key LIMIT ?");
          const evict = this.db.query("DELETE FROM pages WHERE key = ? RETURNING bytes");
          const forget = this.db.query("DELETE FROM uses WHERE key = ?");
          while (this.bytes > this.options.budgetBytes * 0.9) {
            const keys = oldest.all(200) as { key: string }[];
            if (!keys.length) break;
            for (const { key } of keys) {
              if (this.bytes <= this.options.budgetBytes * 0.9) break;
              this.bytes -= (evict.get(key) as { bytes: number } | null)?.bytes ?? 0;
              forget.run(key);
            }
          }
        }
      })();
    } catch (e) {
      log.warn("the page store could not be written; the pages stay in memory", {
        error: e instanceof Error ? e.message : String(e),
      });
    }
    this.puts.clear();
    this.touched.clear();
    this.owners.clear();
    this.stale.clear();
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  /**
   * The owner's current generation. The first time in this process, the state of its files is
   * compared with the one stored with it: different (another program wrote while the server was
   * down), its stored pages are out of date.
   */
  private genOf(owner: string): number {
    const gen = this.gens.get(owner) ?? 0;
    if (this.checked.has(owner)) return gen;
    this.checked.add(owner);
    const state = this.options.stateOf(owner);
    const stored = this.db.query("SELECT state FROM owners WHERE name = ?").get(owner) as { state: string } | null;
    if (stored?.state === state) return gen;
    const next = gen + 1;
    this.gens.set(owner, next);
    this.owners.set(owner, { gen: next, state });
    this.stale.set(owner, next);
    return next;
  }
}
