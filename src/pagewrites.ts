// The page store's writes (pagestore.ts): a flush's batch, how it travels to the writer Worker
// (server/pagestore-worker.ts) and how it is applied, in one transaction, to the store's file;
// and the connection settings every user of that file needs. Kept apart from the store itself,
// which decides what goes into a batch, so that the Worker loads only this.
import { Database } from "bun:sqlite";

/** One flush's writes, in the order they are applied (writeBatch). */
export interface StoreBatch {
  /** The flush's time: orders the least recently used (pages of one flush by key). */
  now: number;
  budgetBytes: number;
  puts: { key: string; owner: string; gen: number; meta: string; body: Uint8Array }[];
  touched: string[];
  /** Owners whose pages of an older generation go. */
  stale: { owner: string; gen: number }[];
  owners: { owner: string; gen: number; state: string }[];
}

/**
 * A batch as the writer is sent it: every body in one buffer, transferred rather than copied.
 * Structured cloning copied a batch of ~50 pages (1 MB) in ~2.4 ms on the server's thread,
 * more than writing it had cost there; packing and transferring it takes ~0.1 ms.
 */
export interface PackedBatch extends Omit<StoreBatch, "puts"> {
  puts: { key: string; owner: string; gen: number; meta: string; bytes: number }[];
  bodies: ArrayBuffer;
}

export function packBatch(batch: StoreBatch): PackedBatch {
  let total = 0;
  for (const p of batch.puts) total += p.body.byteLength;
  const bodies = new Uint8Array(total);
  let at = 0;
  const puts = batch.puts.map(({ key, owner, gen, meta, body }) => {
    bodies.set(body, at);
    at += body.byteLength;
    return { key, owner, gen, meta, bytes: body.byteLength };
  });
  return { ...batch, puts, bodies: bodies.buffer };
}

export function unpackBatch(packed: PackedBatch): StoreBatch {
  let at = 0;
  const puts = packed.puts.map(({ key, owner, gen, meta, bytes }) => {
    const body = new Uint8Array(packed.bodies, at, bytes);
    at += bytes;
    return { key, owner, gen, meta, body };
  });
  const { bodies: _, ...rest } = packed;
  return { ...rest, puts };
}

/** What the writer Worker is sent and answers (pagestore-worker.ts). */
export type WriterMessage = { path: string } | { batch: PackedBatch } | { close: true };
export type WriterReply = { bytes: number } | { error: string } | { closed: true };

/** A connection to the store's file with the settings every user of it needs. */
export function openStoreDatabase(path: string, busyTimeoutMs = 0): Database {
  const db = new Database(path, { create: true, readwrite: true, strict: true });
  try {
    db.run(
      `PRAGMA busy_timeout = ${busyTimeoutMs}; PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -2048; PRAGMA journal_size_limit = 16777216`,
    );
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** Total bytes of the pages stored. */
export function storedBytes(db: Database): number {
  return (db.query("SELECT coalesce(sum(bytes), 0) AS n FROM pages").get() as { n: number }).n;
}

/**
 * Applies one flush in one transaction: new pages, their uses, old generations dropped, owners'
 * states, then the least recently used pages let go of down to 90% of the budget once past it.
 * `bytes` is the stored total before; returns it after.
 */
export function writeBatch(db: Database, batch: StoreBatch, bytes: number): number {
  db.transaction(() => {
    const put = db.query(
      "INSERT INTO pages (key, owner, gen, bytes, meta, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, gen = excluded.gen, bytes = excluded.bytes, meta = excluded.meta, body = excluded.body",
    );
    const old = db.query("SELECT bytes FROM pages WHERE key = ?");
    const use = db.query(
      "INSERT INTO uses (key, used) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET used = excluded.used",
    );
    for (const p of batch.puts) {
      bytes -= (old.get(p.key) as { bytes: number } | null)?.bytes ?? 0;
      put.run(p.key, p.owner, p.gen, p.body.byteLength, p.meta, p.body);
      use.run(p.key, batch.now);
      bytes += p.body.byteLength;
    }
    const touch = db.query("UPDATE uses SET used = ? WHERE key = ? AND used <> ?");
    for (const key of batch.touched) touch.run(batch.now, key, batch.now);
    const unused = db.query("DELETE FROM uses WHERE key IN (SELECT key FROM pages WHERE owner = ? AND gen < ?)");
    const gone = db.query("DELETE FROM pages WHERE owner = ? AND gen < ? RETURNING bytes");
    for (const { owner, gen } of batch.stale) {
      unused.run(owner, gen);
      for (const row of gone.all(owner, gen) as { bytes: number }[]) bytes -= row.bytes;
    }
    const setOwner = db.query(
      "INSERT INTO owners (name, gen, state) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET gen = excluded.gen, state = CASE WHEN excluded.state = '' THEN owners.state ELSE excluded.state END",
    );
    for (const { owner, gen, state } of batch.owners) setOwner.run(owner, gen, state);
    if (bytes > batch.budgetBytes) {
      const oldest = db.query("SELECT key FROM uses ORDER BY used, key LIMIT ?");
      const evict = db.query("DELETE FROM pages WHERE key = ? RETURNING bytes");
      const forget = db.query("DELETE FROM uses WHERE key = ?");
      while (bytes > batch.budgetBytes * 0.9) {
        const keys = oldest.all(200) as { key: string }[];
        if (!keys.length) break;
        for (const { key } of keys) {
          if (bytes <= batch.budgetBytes * 0.9) break;
          bytes -= (evict.get(key) as { bytes: number } | null)?.bytes ?? 0;
          forget.run(key);
        }
      }
    }
  })();
  return bytes;
}
