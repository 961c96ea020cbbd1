// One reader for the isolation rows: sequential GETs on one keep-alive connection, each timed from
// writing the request to reading the last byte of the answer. It runs as its own process so that
// bench/isolation.ts can pin it and raise its priority: on this machine it shares the load core
// with wrk, and what is measured must be the server's doing, not the probe's own wait for a core
// a real reader on another machine never shares (see bench/isolation.ts).
//
// It speaks HTTP/1.1 over Bun.connect rather than fetch(): fetch runs on a separate HTTP thread, so
// each request would cross threads twice, and each crossing is another wait for the busy core.
//
//   bun bench/probe.ts ORIGIN HOST PATH SECONDS   → one JSON line: { latenciesMs (sorted), statuses }
import { connect } from "bun";

export interface ProbeResult {
  /** Every request's latency in ms, ascending. */
  latenciesMs: number[];
  statuses: Record<string, number>;
}

async function probe(origin: string, host: string, path: string, seconds: number): Promise<ProbeResult> {
  const url = new URL(origin);
  const request = new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let pending: ((status: string) => void) | null = null;
  let failed: ((error: Error) => void) | null = null;
  let buffer: Buffer = Buffer.alloc(0);
  const socket = await connect({
    hostname: url.hostname,
    port: Number(url.port),
    socket: {
      data(_socket, chunk) {
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        const headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd < 0) return;
        const head = buffer.toString("latin1", 0, headEnd);
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (!length) return failed?.(new Error(`an answer without Content-Length: ${head.split("\r\n")[0]}`));
        const end = headEnd + 4 + Number(length[1]);
        if (buffer.length < end) return;
        if (buffer.length > end)
          return failed?.(new Error("more bytes than one answer: the server sent something unasked"));
        buffer = Buffer.alloc(0);
        const done = pending;
        pending = null;
        done?.(head.slice(9, 12));
      },
      close() {
        failed?.(new Error("the server closed the connection"));
      },
    },
  });
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const answered = new Promise<string>((resolve, reject) => {
      pending = resolve;
      failed = reject;
    });
    const started = performance.now();
    socket.write(request);
    const status = await answered;
    latenciesMs.push(performance.now() - started);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  failed = null;
  socket.end();
  latenciesMs.sort((a, b) => a - b);
  return { latenciesMs, statuses };
}

if (import.meta.main) {
  const [origin, host, path, seconds] = process.argv.slice(2);
  if (!origin || !host || !path || !(Number(seconds) > 0)) {
    console.error("usage: bun bench/probe.ts ORIGIN HOST PATH SECONDS");
    process.exit(2);
  }
  console.log(JSON.stringify(await probe(origin, host, path, Number(seconds))));
}
