// The Worker that writes the page store's batches for a server (pagestore.ts startWriter): the
// first message names the file, each one after it is a batch, answered with the stored total or
// the error. An entry point of the compiled binary (package.json "build", workers.ts).
import type { Database } from "bun:sqlite";
import {
  openStoreDatabase,
  storedBytes,
  unpackBatch,
  writeBatch,
  type WriterMessage,
  type WriterReply,
} from "../pagewrites.ts";

/** Off the server's thread a reader's lock may be waited for a moment. */
const BUSY_TIMEOUT_MS = 1000;

/** Bytes of batches written between two full collections of this thread's heap. */
const GC_EVERY_BYTES = 8 * 1024 * 1024;

if (typeof self !== "undefined" && !Bun.isMainThread) {
  const port = self as unknown as {
    postMessage(reply: WriterReply): void;
    onmessage: ((event: MessageEvent<WriterMessage>) => void) | null;
  };
  let db: Database | null = null;
  let bytes = 0;
  let received = 0;
  port.onmessage = ({ data }) => {
    if ("path" in data) {
      db = openStoreDatabase(data.path, BUSY_TIMEOUT_MS);
      bytes = storedBytes(db);
      return;
    }
    if ("close" in data) {
      db?.close();
      db = null;
      port.postMessage({ closed: true });
      return;
    }
    try {
      if (!db) throw new Error("the page store's writer got a batch before its file");
      bytes = writeBatch(db, unpackBatch(data.batch), bytes);
      port.postMessage({ bytes });
      // The batches' buffers (transferred here) are garbage once written; this thread allocates
      // little else, so its collector would let them pile up for a long time. A full collection of
      // its small heap every 8 MB of them: about two a second under the reader mix.
      received += data.batch.bodies.byteLength;
      if (received >= GC_EVERY_BYTES) {
        received = 0;
        Bun.gc(true);
      }
    } catch (e) {
      // The transaction rolled back: the total is what the file holds.
      try {
        if (db) bytes = storedBytes(db);
      } catch {}
      port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    }
  };
}
