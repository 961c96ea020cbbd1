// The fence of a blog's move: `writekit node drain` writes it as the blog's last write on the node
// it leaves (a setting row, so nothing in the schema changes), and `writekit node adopt` takes a
// restored replica only once it holds that fence, which proves every earlier write reached the
// replica: Litestream ships the WAL in order, and a restore is a prefix of it.
import type { Database } from "bun:sqlite";

const KEY = "placement_fence";

export function writeFence(db: Database, fence: string): void {
  db.query(
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  ).run(KEY, fence);
}

export function readFence(db: Database): string | null {
  return (db.query("SELECT value FROM settings WHERE key = ?").get(KEY) as { value: string } | null)?.value ?? null;
}

/** An export carries no fence: it means something only to the cluster the blog moved in. */
export function clearFence(db: Database): void {
  db.query("DELETE FROM settings WHERE key = ?").run(KEY);
}
