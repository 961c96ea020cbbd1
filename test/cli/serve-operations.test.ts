// `writekit serve` as a child process, where the process matters: signals, kill -9, logs, /metrics
// over a real socket.
import { Database } from "bun:sqlite";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { BUN, makeBlog, REPO, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

async function blogWithPost(): Promise<string> {
  const data = tempDir();
  await makeBlog(data, "alice");
  const db = openBlogDatabase(join(data, "tenants", "alice.db"));
  createPost(
    db,
    { title: "Hello", body: "A post.", status: "published", publishedAt: "2026-01-01T00:00:00Z" },
    new Date("2026-01-01T00:00:00Z"),
  );
  db.close();
  return data;
}

/** Polls until `check` is true; process-level tests may wait, but never without a bound. */
async function until(check: () => boolean | Promise<boolean>, what: string, limitMs = 5000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`gave up waiting for ${what}`);
    await Bun.sleep(20);
  }
}

async function serve(data: string, args: string[] = [], env: Record<string, string> = {}) {
  const port = await freePort();
  const proc = Bun.spawn(
    [
      BUN,
      join(REPO, "src/main.ts"),
      "serve",
      "--data",
      data,
      "--port",
      String(port),
      "--hostname",
      "127.0.0.1",
      ...args,
    ],
    {
      stdout: "pipe",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    },
  );
  const stderr = new Response(proc.stderr).text();
  const base = `http://127.0.0.1:${port}`;
  const isUp = () =>
    fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
  await until(isUp, "the server to answer /healthz");
  const get = (path: string) => fetch(base + path, { headers: { host: `alice.localhost:${port}` } });
  const comment = (body: string) =>
    fetch(`${base}/hello/comments`, {
      method: "POST",
      redirect: "manual",
      headers: { host: `alice.localhost:${port}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ name: "Reader", body }),
    });
  return { proc, port, base, stderr, isUp, get, comment };
}

/** A raw HTTP/1.1 connection, to hold a request in flight by sending its body slowly. */
async function connect(port: number) {
  let received = "";
  let closed = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        received += d.toString();
      },
      close() {
        closed = true;
      },
    },
  });
  return { socket, received: () => received, closed: () => closed };
}

function readBlog(data: string) {
  const db = new Database(join(data, "tenants", "alice.db"));
  try {
    return {
      comments: (db.query("SELECT body FROM comments ORDER BY id").all() as { body: string }[]).map((r) => r.body),
      views: (db.query("SELECT views FROM posts WHERE slug = 'hello'").get() as { views: number }).views,
    };
  } finally {
    db.close();
  }
}

/** Starts a comment whose body arrives in two halves: the request is in flight until `finish`. */
async function slowComment(port: number) {
  const conn = await connect(port);
  // A first complete request proves the connection was accepted before any signal.
  conn.socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  await until(() => conn.received().includes("\r\n\r\n{"), "the first answer on the raw connection");
  const body = new URLSearchParams({ name: "Slow", body: "Sent while the server was stopping" }).toString();
  const half = Math.floor(body.length / 2);
  conn.socket.write(
    `POST /hello/comments HTTP/1.1\r\nHost: alice.localhost:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`,
  );
  // Give the server a moment to read the headers and start the handler, which then awaits the body.
  await Bun.sleep(200);
  return { conn, finish: () => conn.socket.write(body.slice(half)) };
}

describe("serve: shutdown", () => {
  test("SIGINT stops accepting, lets a slow request in flight finish, journals the views, closes every blog, exits 0", async () => {
    const data = await blogWithPost();
    const server = await serve(data, ["--flush-interval", "3600000"]);
    expect((await server.get("/hello")).status).toBe(200); // one view, pending in memory
    const slow = await slowComment(server.port);
    server.proc.kill("SIGINT");
    await until(async () => !(await server.isUp()), "the server to stop accepting");
    slow.finish();
    await until(() => slow.conn.received().includes("HTTP/1.1 303"), "the slow request's answer");
    expect(await server.proc.exited).toBe(0);
    const log = await server.stderr;
    expect(log).toContain("shutting down signal=SIGINT inFlight=1");
    expect(log).toContain("stopped viewsInJournal=1");
    // The view waits in the journal (no blog is written at a stop); the next start adds it.
    expect(readBlog(data)).toEqual({ comments: ["Sent while the server was stopping"], views: 0 });
    expect(
      readdirSync(join(data, "views"))
        .filter((f) => f.endsWith(".log"))
        .map((f) => readFileSync(join(data, "views", f), "utf8"))
        .join(""),
    ).toContain('["alice","');
  });

  test("a second signal exits at once with a non-zero code, without waiting for the request in flight", async () => {
    const data = await blogWithPost();
    const server = await serve(data);
    const slow = await slowComment(server.port);
    server.proc.kill("SIGTERM");
    await until(async () => !(await server.isUp()), "the server to stop accepting");
    const started = performance.now();
    server.proc.kill("SIGTERM");
    expect(await server.proc.exited).not.toBe(0);
    // The drain limit is 5 s; "at once" is far below it.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await server.stderr).toContain("second signal: exiting at once");
    slow.conn.socket.end();
  });
});

describe("serve: faults", () => {
  test("kill -9 loses no acknowledged comment: each is committed before its 303", async () => {
    const data = await blogWithPost();
    const server = await serve(data);
    for (const body of ["first", "second", "third"]) {
      const r = await server.comment(body);
      expect(r.status).toBe(303);
    }
    server.proc.kill("SIGKILL");
    expect(await server.proc.exited).not.toBe(0);
    expect(readBlog(data).comments).toEqual(["first", "second", "third"]);
  });
});

describe("serve: logs and metrics", () => {
  test("WRITEKIT_ACCESS_LOG=1 logs one line per request; /metrics answers loopback over a real socket", async () => {
    const data = await blogWithPost();
    const server = await serve(data, [], { WRITEKIT_ACCESS_LOG: "1" });
    expect((await server.get("/hello?from=test")).status).toBe(200);
    const metrics = await fetch(`${server.base}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain("writekit_blog_brief_reads_total 1");
    expect(text).toContain("process_resident_memory_bytes");
    server.proc.kill("SIGTERM");
    expect(await server.proc.exited).toBe(0);
    const log = await server.stderr;
    expect(log).toMatch(
      new RegExp(`INFO request method=GET host=alice\\.localhost:${server.port} path=/hello status=200 ms=[0-9.]+`),
    );
    expect(log).not.toContain("from=test");
  });

  test("--log-format json writes one JSON object per line", async () => {
    const data = await blogWithPost();
    const server = await serve(data, ["--log-format", "json", "--access-log"]);
    await server.get("/");
    server.proc.kill("SIGTERM");
    expect(await server.proc.exited).toBe(0);
    const lines = (await server.stderr).trim().split("\n");
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.some((e) => e.msg === "request" && e.path === "/" && e.status === 200)).toBe(true);
    expect(entries.some((e) => e.msg === "shutting down" && e.signal === "SIGTERM")).toBe(true);
  });

  test("a metrics token that is too short is refused at start", async () => {
    const proc = Bun.spawn([BUN, join(REPO, "src/main.ts"), "serve", "--metrics-token", "short", "--data", tempDir()], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain("--metrics-token must be at least 16 characters");
  });
});
