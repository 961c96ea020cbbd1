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
//
// Pages are read on the server's thread (one indexed row) and written in batches. A server gives
// the writes to a Worker of their own (startWriter, pagestore-worker.ts): a batch of a hundred
// milliseconds of new pages is a transaction of megabytes, which took ~9% of the server thread in
// the reader mix. Without one (commands, tests, a Worker that failed) the batch is written here.
// What a batch is and how it is applied lives in pagewrites.ts; this file's length is the store's
// one life cycle (open or remake, read, queue, flush here or by the writer, close), read together.
import { Database } from "bun:sqlite";
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { log } from "./log.ts";
import {
  openStoreDatabase,
  packBatch,
  storedBytes,
  writeBatch,
  type StoreBatch,
  type WriterMessage,
  type WriterReply,
} from "./pagewrites.ts";

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

/** How long a close waits for the writer to close its connection. */
const WRITER_CLOSE_MS = 2000;

/** Batches waiting for the writer past this many body bytes are not kept: it is a cache, and memory matters more. */
const MAX_PENDING_BYTES = 32 * 1024 * 1024;

function warnNotWritten(error: string): void {
  log.warn("the page store could not be written; the pages stay in memory", { error });
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
  /** Pages not kept because the writer was too far behind (MAX_PENDING_BYTES). */
  dropped = 0;
  private readonly gens = new Map<string, number>();
  /** Owners whose files were compared with the stored state in this process. */
  private readonly checked = new Set<string>();
  private readonly puts = new Map<string, Pending>();
  private pendingBytes = 0;
  private readonly touched = new Set<string>();
  private readonly owners = new Map<string, { gen: number; state?: string }>();
  private readonly stale = new Map<string, number>();
  private bytes = 0;
  private writer: Worker | null = null;
  /** The batch the writer is applying, resolved with its answer. */
  private writing: Promise<void> | null = null;

  private constructor(
    private readonly db: Database,
    private readonly path: string,
    private readonly options: PageStoreOptions,
  ) {
    for (const row of db.query("SELECT name, gen FROM owners").all() as { name: string; gen: number }[])
      this.gens.set(row.name, row.gen);
    this.bytes = storedBytes(db);
  }

  /** Opens (or makes) the store at `path`; null, logged, when it cannot be had: the server runs on memory alone. */
  static open(path: string, options: PageStoreOptions): PageStore | null {
    for (let attempt = 0; attempt < 2; attempt++) {
      let db: Database | undefined;
      try {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        db = openStoreDatabase(path);
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
        return new PageStore(db, path, options);
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

  /** Whether a Worker writes the batches (startWriter). */
  get hasWriter(): boolean {
    return this.writer !== null;
  }

  /**
   * Hands the writes to a Worker running `url` (pagestore-worker.ts). If it fails, the batches are
   * written on this thread again, and the batch it was writing is lost: only pages, rendered again
   * when next asked for.
   */
  startWriter(url: URL): void {
    const worker = new Worker(url);
    // Bun's Worker keeps the process alive like a timer; a stop waits for the batch in flight instead.
    (worker as unknown as { unref(): void }).unref();
    worker.postMessage({ path: this.path } satisfies WriterMessage);
    worker.addEventListener("error", (event) => {
      log.warn("the page store's writer failed; pages are written on the server's thread", {
        error: (event as ErrorEvent).message,
      });
      this.stopWriter();
    });
    this.writer = worker;
  }

  /** The page at `key` if it was stored under the owner's current generation. */
  get(owner: string, key: string): StoredPage | null {
    const gen = this.genOf(owner);
    // Not written yet: memory may not have kept it (PageCache's admission), so it is answered from here.
    const queued = this.puts.get(key);
    if (queued && queued.owner === owner && queued.gen === gen) {
      this.hits++;
      return { meta: queued.meta, body: queued.body };
    }
    let row: { owner: string; gen: number; meta: string; body: Uint8Array } | null;
    try {
      row = this.db.query("SELECT owner, gen, meta, body FROM pages WHERE key = ?").get(key) as typeof row;
    } catch {
      row = null; // busy for an instant while the writer resets the WAL, or damaged: rendered instead
    }
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
    const queued = this.puts.get(key);
    if (!queued && this.pendingBytes + body.byteLength > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    this.pendingBytes += body.byteLength - (queued?.body.byteLength ?? 0);
    this.puts.set(key, { owner, gen: this.genOf(owner), meta, body });
  }

  /** Every page of the owner is out of date: none is served again, and the rows go at the next flush. */
  invalidate(owner: string): void {
    const gen = this.genOf(owner) + 1;
    this.gens.set(owner, gen);
    // A state remembered before is still what the new generation's pages will show, or older.
    this.owners.set(owner, { gen, state: this.owners.get(owner)?.state });
    this.stale.set(owner, gen);
    for (const [key, page] of this.puts)
      if (page.owner === owner) {
        this.puts.delete(key);
        this.pendingBytes -= page.body.byteLength;
      }
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

  /**
   * Writes what was queued, in one transaction, and lets the least recently used pages go past the
   * budget: by the writer when there is one (a batch at a time; while one is being written the next
   * waits in the queue), otherwise here.
   */
  flush(): void {
    if (this.writing) return;
    const batch = this.takeBatch();
    if (!batch) return;
    if (!this.writer) {
      this.writeHere(batch);
      return;
    }
    const writer = this.writer;
    this.writing = new Promise<void>((resolve) => {
      const done = (event: Event) => {
        writer.removeEventListener("message", done);
        writer.removeEventListener("error", done);
        const reply = (event as MessageEvent<WriterReply>).data;
        if (reply && "bytes" in reply) this.bytes = reply.bytes;
        else if (reply && "error" in reply) warnNotWritten(reply.error);
        this.writing = null;
        resolve();
      };
      writer.addEventListener("message", done);
      writer.addEventListener("error", done);
    });
    const packed = packBatch(batch);
    writer.postMessage({ batch: packed } satisfies WriterMessage, [packed.bodies]);
  }

  /**
   * Writes what is left here and closes: at once without a writer; with one, once its batch in
   * flight is done and it has closed its connection (a connection left to a terminated thread could
   * still hold the file's lock).
   */
  close(): Promise<void> {
    if (this.writing) return this.writing.then(() => this.close());
    if (this.writer) return this.closeWriter().then(() => this.close());
    this.flush();
    this.db.close();
    return Promise.resolve();
  }

  private async closeWriter(): Promise<void> {
    const writer = this.writer!;
    this.writer = null;
    await Promise.race([
      new Promise<void>((resolve) => {
        writer.addEventListener("message", () => resolve(), { once: true });
        writer.addEventListener("error", () => resolve(), { once: true });
        writer.postMessage({ close: true } satisfies WriterMessage);
      }),
      Bun.sleep(WRITER_CLOSE_MS),
    ]);
    writer.terminate();
  }

  private stopWriter(): void {
    this.writer?.terminate();
    this.writer = null;
  }

  /** The queued writes as one batch (pages of a generation gone since they were queued left out), or null when nothing is due. */
  private takeBatch(): StoreBatch | null {
    if (
      !this.puts.size &&
      !this.touched.size &&
      !this.owners.size &&
      !this.stale.size &&
      this.bytes <= this.options.budgetBytes
    )
      return null;
    const batch: StoreBatch = {
      now: Date.now(),
      budgetBytes: this.options.budgetBytes,
      puts: [...this.puts]
        .filter(([, p]) => p.gen === this.genOf(p.owner))
        .map(([key, p]) => ({ key, owner: p.owner, gen: p.gen, meta: p.meta, body: p.body })),
      touched: [...this.touched],
      stale: [...this.stale].map(([owner, gen]) => ({ owner, gen })),
      owners: [...this.owners].map(([owner, { gen, state }]) => ({ owner, gen, state: state ?? "" })),
    };
    this.puts.clear();
    this.pendingBytes = 0;
    this.touched.clear();
    this.owners.clear();
    this.stale.clear();
    return batch;
  }

  private writeHere(batch: StoreBatch): void {
    try {
      this.bytes = writeBatch(this.db, batch, this.bytes);
    } catch (e) {
      warnNotWritten(e instanceof Error ? e.message : String(e));
    }
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
