// /admin/export: the whole blog as one SQLite file, `<name>-<YYYY-MM-DD>.db`. The snapshot (VACUUM
// INTO, without sessions or password hashes) is taken on a Worker by tenants/snapshot.ts, so a big
// blog does not stall the other blogs. The temporary file is unlinked as soon as it is opened: the
// open descriptor keeps the data readable while it streams, and nothing is left behind even if the
// download is cut short.
import { Elysia } from "elysia";
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dayOf } from "../../blog/time.ts";
import { runSnapshotJob, SnapshotError } from "../../tenants/snapshot.ts";
import type { Services } from "../services.ts";
import { authorContext } from "./author.tsx";
import { adminHeaders, refusal } from "./context.tsx";

const CHUNK = 256 * 1024;

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
  return new Elysia({ name: "admin-export" }).use(authorContext(services)).get(
    "/admin/export",
    async ({ admin }) => {
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
        return refusal(admin.blog, 503, "The export could not be made", `${e.message}. Nothing was changed; please try again later.`, { "retry-after": "60" });
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
    },
    { author: true },
  );
}
