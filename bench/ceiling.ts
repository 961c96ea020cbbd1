// The ceiling: a bare Bun.serve that answers each path with the exact bytes (status, headers and
// body) the real server sent for it, fetched just before. What WriteKit does per request beyond
// this (routing, Host resolution, the page cache, the pool) is the distance to the ceiling.
//
// Run as a child process: bun bench/ceiling.ts PAGES.json --port N
import { readFileSync } from "node:fs";

export interface CapturedPage {
  path: string;
  status: number;
  headers: Record<string, string>;
  /** base64 */
  body: string;
}

/** GETs `path` from the real server with `host`, keeping what a client receives (no Date, no length: Bun.serve sets them). */
export async function capturePage(origin: string, host: string, path: string): Promise<CapturedPage> {
  const r = await fetch(origin + path, { headers: { host }, redirect: "manual" });
  const body = Buffer.from(await r.arrayBuffer());
  const headers: Record<string, string> = {};
  r.headers.forEach((value, key) => {
    if (
      key !== "date" &&
      key !== "content-length" &&
      key !== "transfer-encoding" &&
      key !== "connection" &&
      key !== "keep-alive"
    )
      headers[key] = value;
  });
  return { path, status: r.status, headers, body: body.toString("base64") };
}

if (import.meta.main) {
  const [file, flag, port] = process.argv.slice(2);
  if (!file || flag !== "--port") throw new Error("usage: bun bench/ceiling.ts PAGES.json --port N");
  const pages = new Map<string, { body: Uint8Array<ArrayBuffer>; init: ResponseInit }>();
  for (const p of JSON.parse(readFileSync(file, "utf8")) as CapturedPage[]) {
    // Headers built once, as WriteKit's page cache does (a record would be converted on every answer).
    pages.set(p.path, {
      body: Uint8Array.from(Buffer.from(p.body, "base64")),
      init: { status: p.status, headers: new Headers(p.headers) },
    });
  }
  Bun.serve({
    port: Number(port),
    hostname: "127.0.0.1",
    fetch(request) {
      const url = request.url;
      const page = pages.get(url.slice(url.indexOf("/", url.indexOf("//") + 2)));
      if (page) return new Response(page.body, page.init);
      return new Response(url.endsWith("/healthz") ? "ok" : "not captured", {
        status: url.endsWith("/healthz") ? 200 : 404,
      });
    },
  });
}
