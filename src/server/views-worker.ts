// The Worker that adds journaled page views to the blogs for `serve` (see flusher.ts). Opening,
// writing and closing a blog costs milliseconds, most of it waiting for the disk (the close
// checkpoints and syncs); on the server's thread that wait would stall every reader. Like main.ts
// it is an entry point, so it may compose tenants/ (opening a file) with blog/ (the SQL).
import "../blog/migrations.ts"; // the data steps a blog's migration may need
import { existsSync } from "node:fs";
import { applyViews, type SegmentViews } from "../blog/views.ts";
import { dataVersionOf, fileFingerprint, type OutsideWrite } from "../tenants/changes.ts";
import { migrate } from "../tenants/migrate.ts";
import { tenantPath, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";

export interface ViewsJob {
  dataDir: string;
  journal: string;
  /** `serve --replicated`: the blogs are replicated by Litestream (tenants/replication.ts). */
  replicated?: boolean;
  blogs: { name: TenantName; segments: SegmentViews[] }[];
}

export type ViewsResult =
  | { name: TenantName; ok: true; rows: number; report: OutsideWrite }
  | { name: TenantName; ok: false; gone: boolean; error: string; code?: string };

/** Off the server's thread a lock can be waited for longer, but a shutdown waits for this batch. */
const BUSY_TIMEOUT_MS = 1000;

/** Adds one blog's journaled views on a connection of its own, reporting what its files looked like. */
export function applyToBlog(
  dataDir: string,
  journal: string,
  name: TenantName,
  segments: SegmentViews[],
  replicated = false,
): ViewsResult {
  const path = tenantPath(dataDir, name);
  let db: ReturnType<typeof openBlogDatabase> | undefined;
  try {
    if (!existsSync(path)) return { name, ok: false, gone: true, error: "the blog no longer exists" };
    const before = fileFingerprint(path);
    db = openBlogDatabase(path, { busyTimeoutMs: BUSY_TIMEOUT_MS, replicated });
    migrate(db);
    const version = dataVersionOf(db);
    // Someone else committed between the fingerprint and the connection's first read?
    let foreign = fileFingerprint(path) !== before;
    const rows = applyViews(db, journal, segments);
    foreign ||= dataVersionOf(db) !== version;
    db.close(true);
    db = undefined;
    return { name, ok: true, rows, report: { before, after: fileFingerprint(path), foreign } };
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    return {
      name,
      ok: false,
      gone: false,
      error: e instanceof Error ? e.message : String(e),
      code: typeof code === "string" ? code : undefined,
    };
  } finally {
    db?.close();
  }
}

if (typeof self !== "undefined" && !Bun.isMainThread) {
  const port = self as unknown as {
    postMessage(results: ViewsResult[]): void;
    onmessage: ((event: MessageEvent<ViewsJob>) => void) | null;
  };
  port.onmessage = ({ data }) =>
    port.postMessage(
      data.blogs.map(({ name, segments }) => applyToBlog(data.dataDir, data.journal, name, segments, data.replicated)),
    );
}
