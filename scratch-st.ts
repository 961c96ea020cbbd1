import { Database, constants } from "bun:sqlite";
const p = "/tmp/floor-data/tenants/blog-00011.db";
const mode = process.argv[2];
const x = new Database(p, { readwrite: true, strict: true });
if (mode === "persist") { x.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1); x.run("PRAGMA journal_size_limit=0"); }
if (mode === "persist-nolimit") { x.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1); }
x.run("PRAGMA locking_mode=EXCLUSIVE"); x.query("SELECT count(*) FROM posts").get(); x.close(true);
