import { Database, constants } from "bun:sqlite";
const dir = "/tmp/floor-data/tenants/";
const names = Array.from({ length: 1500 }, (_, i) => `blog-${String(i + 1001).padStart(5, "0")}.db`);
const steps: Record<string, number[]> = {};
const t = (k: string, f: () => void) => { const s = performance.now(); f(); (steps[k] ??= []).push(performance.now() - s); };
for (const n of names) {
  let db!: Database;
  t("new", () => (db = new Database(dir + n, { readwrite: true, strict: true })));
  t("busy", () => db.run("PRAGMA busy_timeout = 0"));
  t("locking", () => db.run("PRAGMA locking_mode = EXCLUSIVE"));
  t("jsl", () => db.run("PRAGMA journal_size_limit = 0"));
  t("fk", () => db.run("PRAGMA foreign_keys = ON"));
  t("cache", () => db.run("PRAGMA cache_size = -128"));
  t("persist", () => db.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1));
  t("first", () => db.query("PRAGMA user_version").get());
  t("appid", () => db.query("PRAGMA application_id").get());
  t("settings", () => db.query("SELECT key, value FROM settings").all());
  t("close", () => db.close(true));
}
const med = (a: number[]) => { const b = [...a].sort((x, y) => x - y); return b[b.length >> 1]; };
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
for (const [k, v] of Object.entries(steps)) console.log(k.padEnd(10), "median", (med(v) * 1000).toFixed(1), "µs  mean", (mean(v) * 1000).toFixed(1), "µs");
