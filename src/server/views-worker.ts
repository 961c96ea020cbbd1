// The Worker that writes page views into closed blogs for `serve` (see flusher.ts). Opening,
// writing and closing a blog that is not open costs 1.5–5 ms, most of it waiting for the disk (the
// close checkpoints and syncs); on the server's thread that wait stalled every reader. Like
// main.ts it is an entry point, so it may compose tenants/ (opening a file) with blog/ (the SQL).
import { existsSync } from "node:fs";
import { writeViews, type TakenViews } from "../blog/views.ts";
import { pendingMigrations } from "../tenants/migrate.ts";
import { tenantPath, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";
import { dataVersionOf, fileFingerprint, type OutsideWrite } from "../tenants/changes.ts";

export interface ViewsJob {
  dataDir: string;
  blogs: { name: TenantName; views: TakenViews }[];
}

export type ViewsResult = { name: TenantName; ok: true; report: OutsideWrite } | { name: TenantName; ok: false; error: string };

/** Off the server's thread a lock can be waited for longer, but shutdown waits for this batch. */
const BUSY_TIMEOUT_MS = 1000;

/** Writes one blog's views on a connection of its own, reporting what its files looked like. */
export function writeClosedBlog(dataDir: string, name: TenantName, views: TakenViews): ViewsResult {
  const path = tenantPath(dataDir, name);
  let db: ReturnType<typeof openBlogDatabase> | undefined;
  try {
    if (!existsSync(path)) throw new Error("the blog no longer exists");
    const before = fileFingerprint(path);
    db = openBlogDatabase(path, { busyTimeoutMs: BUSY_TIMEOUT_MS });
    // Anything unusual (a schema to migrate, a read-only file) is left to the server's pool.
    if (pendingMigrations(db).length) throw new Error("the blog needs a migration first");
    const version = dataVersionOf(db);
    // Someone else committed between the fingerprint and the connection's first read?
    let foreign = fileFingerprint(path) !== before;
    writeViews(db, views);
    foreign ||= dataVersionOf(db) !== version;
    db.close();
    db = undefined;
    return { name, ok: true, report: { before, after: fileFingerprint(path), foreign } };
  } catch (e) {
    return { name, ok: false, error: e instanceof Error ? e.message : String(e) };
  } finally {
    db?.close();
  }
}

if (typeof self !== "undefined" && !Bun.isMainThread) {
  const port = self as unknown as { postMessage(results: ViewsResult[]): void; onmessage: ((event: MessageEvent<ViewsJob>) => void) | null };
  port.onmessage = ({ data }) => port.postMessage(data.blogs.map(({ name, views }) => writeClosedBlog(data.dataDir, name, views)));
}
