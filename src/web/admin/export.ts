// /admin/export: the whole blog as one SQLite file, `<name>-<YYYY-MM-DD>.db`. The snapshot (VACUUM
// INTO, without sessions or password hashes) is taken on a Worker by tenants/snapshot.ts, so a big
// blog does not stall the other blogs. The temporary file is unlinked as soon as it is opened: the
// open descriptor keeps the data readable while it streams, and nothing is left behind even if the
// download is cut short. Snapshots are bounded: one at a time per blog and a few per server, since
// each takes a Worker, a core and a copy of the blog on disk; one more gets a 429 page.
import { Elysia } from "elysia";
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dayOf } from "../../blog/time.ts";
import { runSnapshotJob, SnapshotError } from "../../tenants/snapshot.ts";
import type { Services } from "../services.ts";
import { authorContext, type Admin } from "./author.tsx";
import { adminHeaders, refusal } from "./context.tsx";

const CHUNK = 256 * 1024;

/** Snapshots running at once on this server, whatever the blogs (2 cores: a third would wait anyway). */
export const MAX_EXPORTS_PER_SERVER = 2;
/** What a refused export is told to wait, in seconds. */
export const EXPORT_RETRY_S = 30;

/** A stream of the file's bytes that closes the descriptor at the end or when the client goes away. */
function streamFile(fd: number): ReadableStream<Uint8Array> {
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      closeSync(fd);
    }
  };
  return new ReadableStream({
    pull(controller) {
      const buffer = new Uint8Array(CHUNK);
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) {
        close();
        controller.close();
      } else {
        controller.enqueue(buffer.subarray(0, n));
      }
    },
    cancel: close,
  });
}

export function exportRoutes(services: Services) {
  // The blogs whose snapshot is being taken; held from before the Worker starts until it is done
  // (not while the file streams: a slow download must not block the next export).
  const running = new Set<string>();
  return new Elysia({ name: "admin-export" }).use(authorContext(services)).get(
    "/admin/export",
    async ({ admin }) => {
      const name = admin.blog.tenant.name;
      if (running.has(name)) {
        return refusal(
          admin.blog,
          429,
          "An export is already being made",
          `This blog's export is being made for another download right now. Please try again in ${EXPORT_RETRY_S} seconds.`,
          { "retry-after": String(EXPORT_RETRY_S) },
        );
      }
      if (running.size >= MAX_EXPORTS_PER_SERVER) {
        return refusal(
          admin.blog,
          429,
          "The server is busy with exports",
          `Other blogs' exports are being made right now, and the server makes only ${MAX_EXPORTS_PER_SERVER} at a time. Please try again in ${EXPORT_RETRY_S} seconds.`,
          { "retry-after": String(EXPORT_RETRY_S) },
        );
      }
      running.add(name);
      try {
        return await exportBlog(admin);
      } finally {
        running.delete(name);
      }
    },
    { author: true },
  );

  /** The snapshot, taken on a Worker, as a download. */
  async function exportBlog(admin: Admin): Promise<Response> {
    const name = admin.blog.tenant.name;
    const dir = mkdtempSync(join(tmpdir(), "writekit-export-"));
    const file = join(dir, `${name}.db`);
    let fd: number;
    // The Worker opens the blog on a connection of its own in this process; a job that finished
    // or failed closed it, a Worker that crashed may not have.
    using lease = services.registry.lend(name, { writes: false });
    let closed = false;
    try {
      await runSnapshotJob({ kind: "export", dataDir: services.config.dataDir, name, file });
      closed = true;
      fd = openSync(file, "r");
    } catch (e) {
      if (e instanceof SnapshotError) {
        closed = true;
        return refusal(
          admin.blog,
          503,
          "The export could not be made",
          `${e.message}. Nothing was changed; please try again later.`,
          { "retry-after": "60" },
        );
      }
      throw e;
    } finally {
      lease.release({ closed });
      rmSync(dir, { recursive: true, force: true });
    }
    const headers = adminHeaders({
      "content-type": "application/vnd.sqlite3",
      "content-disposition": `attachment; filename="${name}-${dayOf(services.now())}.db"`,
      "content-length": String(fstatSync(fd).size),
    });
    return new Response(streamFile(fd), { headers });
  }
}
