import { Database, constants } from "bun:sqlite";
const p = "/tmp/floor-data/tenants/blog-00013.db";
const x = new Database(p, { readonly: true, strict: true });
x.run("PRAGMA locking_mode=EXCLUSIVE"); console.log(x.query("SELECT count(*) AS n FROM posts").get(), x.query("PRAGMA locking_mode").get(), x.query("PRAGMA journal_mode").get()); x.close(true);
