// The scale-out scenario with real processes on loopback: two `writekit serve` nodes, three blogs,
// Caddy in front, one Litestream per node replicating to a file replica, and a writer posting
// comments with unique tokens through Caddy (a 303 means acknowledged). It moves a blog under
// load, kills a node with SIGKILL and restarts it, then loses that node and adopts its blogs from
// their replicas, and checks every blog and every replica at the end. Used by
// test/cluster/cluster.test.ts (a low rate) and bench/cluster-soak.ts (a high rate, repeated).
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { insertAuthor } from "../../src/blog/authors.ts";
import { createPost } from "../../src/blog/posts.ts";
import { updateSettings } from "../../src/blog/settings.ts";
import { createTenant } from "../../src/tenants/files.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { CADDY, LITESTREAM } from "./engines.ts";

const REPO = join(import.meta.dir, "..", "..");
const BUN = process.execPath;
const DOMAIN = "blogs.test";
const BLOGS = ["alpha", "beta", "gamma"] as const;
type Blog = (typeof BLOGS)[number];

export interface ScenarioOptions {
  /** Comments per second, over all blogs. */
  rate: number;
  /** Most comments in flight at once. */
  concurrency?: number;
  /** Seconds of writing between the steps. */
  settleS?: number;
  /** Lose node 2 under live load (its loss is measured), rather than after its replicas caught up. */
  loseUnderLoad?: boolean;
  log?: (line: string) => void;
  /** Keep the temporary folder (logs, files) for a look afterwards. */
  keep?: boolean;
}

export interface ScenarioReport {
  ms: number;
  acknowledged: number;
  /** Acknowledged tokens missing from the blogs at the end, per step in which they were acknowledged. */
  missing: { blog: string; token: string; ackedAgoMs: number | null }[];
  /** Tokens found more than once. */
  duplicates: string[];
  /** Tokens in a blog that no request sent (never expected). */
  unexpected: string[];
  /** Restores made (adopts, and the final restore of every replica) and those that failed integrity_check. */
  restores: number;
  damagedRestores: string[];
  /** `writekit check` of every blog exited 0. */
  checkOk: boolean;
  /** Facts checked on the way, each true when it held. */
  facts: Record<string, boolean>;
  /** When node 2 was lost under load: acknowledged tokens it lost, and the oldest one's age at the kill. */
  lostUnderLoad?: { tokens: number; oldestMs: number };
  phases: Record<string, number>;
  dir: string;
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

async function until(check: () => boolean | Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`gave up waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** A comment token's client: a documentation-range IPv6 /64 of its own, so no rate limit applies. */
function clientOf(n: number): string {
  return `2001:db8:${((n >> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}::1`;
}

class Writer {
  readonly acked = new Map<string, { blog: Blog; at: number }>();
  /** Sent, and answered with neither a 303 nor a refusal: may or may not be in the blog. */
  readonly unknown = new Set<string>();
  private next = 0;
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private running = false;
  private paused = new Set<Blog>();
  private loop: Promise<void> | null = null;
  statuses = new Map<number, number>();

  constructor(
    private readonly caddyPort: number,
    private readonly rate: number,
    private readonly concurrency: number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      const interval = 1000 / this.rate;
      let due = performance.now();
      let turn = 0;
      while (this.running) {
        const blogs = BLOGS.filter((b) => !this.paused.has(b));
        if (blogs.length && this.inFlight < this.concurrency) {
          const posted = this.post(blogs[turn++ % blogs.length]);
          this.pending.add(posted);
          void posted.finally(() => this.pending.delete(posted));
        }
        due += interval;
        const wait = due - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        else if (wait < -1000) due = performance.now(); // behind by a second: do not burst
      }
    })();
  }

  pause(...blogs: Blog[]): void {
    for (const b of blogs) this.paused.add(b);
  }

  resume(): void {
    this.paused.clear();
  }

  /** Resolves once every request sent so far is answered (the writer may go on sending). */
  async idle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.idle();
  }

  ackedOf(blog: Blog): string[] {
    return [...this.acked].filter(([, a]) => a.blog === blog).map(([t]) => t);
  }

  private async post(blog: Blog): Promise<void> {
    const n = this.next++;
    const token = `tok-${n}-${blog}`;
    this.inFlight++;
    try {
      const response = await fetch(`http://127.0.0.1:${this.caddyPort}/hello/comments`, {
        method: "POST",
        redirect: "manual",
        headers: {
          host: `${blog}.${DOMAIN}`,
          "content-type": "application/x-www-form-urlencoded",
          "x-forwarded-for": clientOf(n),
        },
        body: new URLSearchParams({ name: "Writer", body: `token ${token}` }),
        signal: AbortSignal.timeout(15_000),
      });
      await response.arrayBuffer();
      this.statuses.set(response.status, (this.statuses.get(response.status) ?? 0) + 1);
      if (response.status === 303) this.acked.set(token, { blog, at: performance.now() });
      // 503 (draining), 421 (wrong node) and 429 are answered before anything is written; a 502 or
      // 504 from Caddy may come after the node committed and then died.
      else if (response.status >= 500 && response.status !== 503) this.unknown.add(token);
    } catch {
      this.unknown.add(token);
    } finally {
      this.inFlight--;
    }
  }
}

/** Tokens of every comment in a blog file, as they are (a token twice is a duplicate). */
function tokensIn(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.query("SELECT body FROM comments").all() as { body: string }[]).map((r) =>
      r.body.replace(/^token /, ""),
    );
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    db.close();
  }
}

function integrityOf(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return (db.query("PRAGMA integrity_check").all() as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join("; ");
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    db.close();
  }
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "writekit-cluster-"));
  const data = { n1: join(dir, "n1"), n2: join(dir, "n2") };
  const etc = join(dir, "etc");
  const logs = join(dir, "logs");
  for (const d of [data.n1, data.n2, etc, logs, join(dir, "replicas"), join(dir, "caddy-home")])
    mkdirSync(d, { recursive: true });
  const placementFile = join(etc, "placement.json");
  const caddyfile = join(etc, "Caddyfile");
  const lsConfig = { n1: join(etc, "litestream-n1.yml"), n2: join(etc, "litestream-n2.yml") };
  const [p1, p2, caddyPort, caddyAdmin, ls1, ls2] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const url = { n1: `http://127.0.0.1:${p1}`, n2: `http://127.0.0.1:${p2}` };
  writeFileSync(
    placementFile,
    JSON.stringify(
      {
        domain: DOMAIN,
        replica: { url: `file://${join(dir, "replicas")}` },
        litestream: { blogsPerProcess: 100 },
        caddy: {
          site: `http://:${caddyPort}`,
          admin: `127.0.0.1:${caddyAdmin}`,
          trustedProxies: ["127.0.0.1/32"],
          healthInterval: "1s",
        },
        nodes: {
          n1: { url: url.n1, litestreamAddr: `127.0.0.1:${ls1}` },
          n2: { url: url.n2, litestreamAddr: `127.0.0.1:${ls2}` },
        },
        blogs: {
          alpha: { node: "n1", epoch: 1, state: "active" },
          beta: { node: "n1", epoch: 1, state: "active" },
          gamma: { node: "n2", epoch: 1, state: "active" },
        },
      },
      null,
      2,
    ),
  );
  const hash = await Bun.password.hash("correct horse battery", {
    algorithm: "argon2id",
    memoryCost: 4096,
    timeCost: 1,
  });
  for (const [blog, node] of [
    ["alpha", "n1"],
    ["beta", "n1"],
    ["gamma", "n2"],
  ] as const) {
    const path = createTenant(data[node], parseTenantName(blog), (db) => {
      insertAuthor(db, { email: `${blog}@example.com`, passwordHash: hash });
      // Approved at once: held for moderation, a blog takes at most 500 waiting comments.
      updateSettings(db, { title: blog, comment_policy: "approve" });
    });
    const db = openBlogDatabase(path);
    createPost(
      db,
      { title: "Hello", body: "A post.", status: "published", publishedAt: "2026-01-01T00:00:00Z" },
      new Date("2026-01-01T00:00:00Z"),
    );
    db.close();
  }

  const procs = new Set<Subprocess>();
  const spawn = (name: string, cmd: string[], env: Record<string, string> = {}) => {
    const out = openSync(join(logs, `${name}.log`), "a");
    const proc = Bun.spawn(cmd, {
      stdout: out,
      stderr: out,
      stdin: "ignore",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    });
    procs.add(proc);
    void proc.exited.then(() => procs.delete(proc));
    return proc;
  };
  const clusterEnv = (node: "n1" | "n2") => ({
    WRITEKIT_PLACEMENT: placementFile,
    WRITEKIT_NODE: node,
    WRITEKIT_DATA: data[node],
    WRITEKIT_LITESTREAM: LITESTREAM,
    WRITEKIT_LITESTREAM_CONFIG: lsConfig[node],
  });
  const run = async (args: string[], node: "n1" | "n2") => {
    const proc = Bun.spawn([BUN, join(REPO, "src/main.ts"), ...args], {
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...clusterEnv(node) },
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    log(`  $ writekit ${args.join(" ")}  (${node}) → ${code}`);
    return { stdout, stderr, code };
  };
  const writekit = async (args: string[], node: "n1" | "n2" = "n1") => {
    const { stdout, stderr, code } = await run(args, node);
    // drain and adopt try again after a damaged restore of a replica being written, and say so.
    for (const line of stderr.split("\n"))
      if (line.includes("was damaged"))
        damagedRestores.push(`writekit ${args.slice(0, 3).join(" ")}: ${line.slice(0, 300)}`);
    if (code !== 0) throw new Error(`writekit ${args.join(" ")} on ${node} exited ${code}:\n${stdout}${stderr}`);
    return stdout;
  };
  const litestream: Partial<Record<"n1" | "n2", Subprocess>> = {};
  const serve: Partial<Record<"n1" | "n2", Subprocess>> = {};
  const startLitestream = (node: "n1" | "n2") =>
    (litestream[node] = spawn(`litestream-${node}`, [LITESTREAM, "replicate", "-config", lsConfig[node]]));
  const restartLitestream = async (node: "n1" | "n2") => {
    litestream[node]?.kill("SIGTERM"); // a clean stop syncs first
    await litestream[node]?.exited;
    startLitestream(node);
  };
  const startServe = async (node: "n1" | "n2") => {
    serve[node] = spawn(
      `serve-${node}`,
      [
        BUN,
        join(REPO, "src/main.ts"),
        "serve",
        "--port",
        String(node === "n1" ? p1 : p2),
        "--hostname",
        "127.0.0.1",
        "--domain",
        DOMAIN,
        "--replicated",
        "--trusted-proxy",
        "127.0.0.1",
        "--page-store-mb",
        "0",
      ],
      clusterEnv(node),
    );
    await until(
      () =>
        fetch(`${url[node]}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      `${node}'s /readyz`,
    );
  };
  let caddy: Subprocess | undefined;
  const caddyEnv = {
    HOME: join(dir, "caddy-home"),
    XDG_DATA_HOME: join(dir, "caddy-home"),
    XDG_CONFIG_HOME: join(dir, "caddy-home"),
  };
  const reloadCaddy = async () => {
    await writekit(["placement", "render", "--caddy", caddyfile]);
    const proc = Bun.spawn(
      [CADDY!, "reload", "--config", caddyfile, "--adapter", "caddyfile", "--address", `127.0.0.1:${caddyAdmin}`],
      { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", ...caddyEnv } },
    );
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`caddy reload exited ${code}: ${stderr}`);
  };
  const throughCaddy = (blog: string, path: string, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${caddyPort}${path}`, {
      headers: { host: `${blog}.${DOMAIN}`, ...headers },
      decompress: false,
    });
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark);
    log(`${name}: ${phases[name]} ms`);
    mark = now;
  };
  const facts: Record<string, boolean> = {};
  const restores: string[] = [];
  const damagedRestores: string[] = [];
  const writer = new Writer(caddyPort, options.rate, options.concurrency ?? 16);
  const settle = () => Bun.sleep((options.settleS ?? 2) * 1000);
  const report = (): ScenarioReport => ({
    ms: 0,
    acknowledged: writer.acked.size,
    missing: [],
    duplicates: [],
    unexpected: [],
    restores: 0,
    damagedRestores,
    checkOk: false,
    facts,
    phases,
    dir,
  });

  try {
    // 1. Two nodes, three blogs, Caddy in front, Litestream per node; ready through Caddy.
    await writekit(["placement", "render", "--litestream", "n1", lsConfig.n1], "n1");
    await writekit(["placement", "render", "--litestream", "n2", lsConfig.n2], "n2");
    await writekit(["placement", "render", "--caddy", caddyfile]);
    startLitestream("n1");
    startLitestream("n2");
    await Promise.all([startServe("n1"), startServe("n2")]);
    caddy = spawn("caddy", [CADDY!, "run", "--config", caddyfile, "--adapter", "caddyfile"], caddyEnv);
    for (const blog of BLOGS)
      await until(
        () =>
          throughCaddy(blog, "/readyz").then(
            (r) => r.ok,
            () => false,
          ),
        `${blog}'s node through Caddy`,
      );
    phase("start");

    // Caddy compresses what the nodes send (encode in the rendered Caddyfile), and a compressed
    // page still revalidates: the node's ETag comes back in If-None-Match and is answered 304.
    const plain = await (await throughCaddy(BLOGS[0], "/", { "accept-encoding": "identity" })).text();
    const zipped = await throughCaddy(BLOGS[0], "/", { "accept-encoding": "gzip" });
    const zippedBytes = new Uint8Array(await zipped.arrayBuffer());
    facts["Caddy sends pages gzip-compressed, the same page once decompressed"] =
      zipped.headers.get("content-encoding") === "gzip" &&
      new TextDecoder().decode(Bun.gunzipSync(zippedBytes)) === plain;
    const etag = zipped.headers.get("etag");
    const revalidated = await throughCaddy(BLOGS[0], "/", {
      "accept-encoding": "gzip",
      "if-none-match": etag ?? "none",
    });
    facts["a compressed page revalidates with 304 through Caddy"] = etag !== null && revalidated.status === 304;

    // 2. The writer, through Caddy.
    writer.start();
    await settle();
    facts["comments are acknowledged through Caddy"] = writer.acked.size > 0;

    // 3. Move alpha from n1 to n2 under load.
    await writekit(["node", "drain", "alpha"], "n1");
    await writekit(["node", "adopt", "alpha", "--from-replica", `file://${join(dir, "replicas")}/alpha/1`], "n2");
    restores.push("alpha (move)");
    await restartLitestream("n2");
    await reloadCaddy();
    // Release renders n1's Litestream config without alpha, and removes the files only once
    // Litestream (which still has alpha open) was restarted with it.
    const early = await run(["node", "release", "alpha"], "n1");
    facts["release waits for Litestream to let go of the blog"] =
      early.code === 1 && early.stderr.includes("restart Litestream");
    await restartLitestream("n1");
    await writekit(["node", "release", "alpha"], "n1");
    const misdirected = await fetch(`${url.n1}/`, { headers: { host: `alpha.${DOMAIN}` } });
    facts["n1 answers 421 for the moved blog"] = misdirected.status === 421;
    await settle();
    const onN2 = new Set(tokensIn(join(data.n2, "tenants", "alpha.db")));
    facts["every acknowledged token of the moved blog is on n2"] = writer.ackedOf("alpha").every((t) => onN2.has(t));
    phase("move");

    // 4. kill -9 node 2 (WriteKit and Litestream), keep its disk, restart.
    serve.n2!.kill("SIGKILL");
    litestream.n2!.kill("SIGKILL");
    await Promise.all([serve.n2!.exited, litestream.n2!.exited]);
    startLitestream("n2");
    await startServe("n2");
    await settle();
    await writer.idle();
    const afterCrash = {
      alpha: new Set(tokensIn(join(data.n2, "tenants", "alpha.db"))),
      gamma: new Set(tokensIn(join(data.n2, "tenants", "gamma.db"))),
    };
    facts["no acknowledged token lost to kill -9"] = (["alpha", "gamma"] as const).every((b) =>
      writer.ackedOf(b).every((t) => afterCrash[b].has(t)),
    );
    phase("kill -9 and restart");

    // 5. Lose node 2: SIGKILL, its data directory deleted; its blogs adopted on n1 from their replicas.
    const lost = ["alpha", "gamma"] as const;
    const epochs = { alpha: 2, gamma: 1 };
    if (!options.loseUnderLoad) {
      // Writes to its blogs paused until their replicas hold every acknowledged token.
      writer.pause(...lost);
      await writer.idle();
      for (const blog of lost) {
        const want = writer.ackedOf(blog);
        await until(async () => {
          const out = join(dir, `catch-up-${blog}-${Date.now()}.db`);
          const proc = Bun.spawn(
            [LITESTREAM, "restore", "-o", out, `file://${join(dir, "replicas")}/${blog}/${epochs[blog]}`],
            { stdout: "ignore", stderr: "ignore" },
          );
          if ((await proc.exited) !== 0) return false;
          restores.push(`${blog} (catch-up)`);
          const integrity = integrityOf(out);
          if (integrity !== "ok") {
            damagedRestores.push(
              `${blog} (restore of the live replica while catching up, kept as ${out}): ${integrity.slice(0, 200)}`,
            );
            return false;
          }
          const have = new Set(tokensIn(out));
          rmSync(out, { force: true });
          return want.every((t) => have.has(t));
        }, `${blog}'s replica to hold every acknowledged token`);
      }
      phase("replicas caught up");
    }
    serve.n2!.kill("SIGKILL");
    litestream.n2!.kill("SIGKILL");
    await Promise.all([serve.n2!.exited, litestream.n2!.exited]);
    // Every 303 for its blogs until Caddy routes them to n1 came from n2.
    const diedAt = performance.now();
    rmSync(data.n2, { recursive: true, force: true });
    for (const blog of lost) {
      try {
        await writekit(
          [
            "node",
            "adopt",
            blog,
            "--force",
            "--from-replica",
            `file://${join(dir, "replicas")}/${blog}/${epochs[blog]}`,
          ],
          "n1",
        );
      } catch (e) {
        if (String(e).includes("is damaged")) damagedRestores.push(`${blog} (adopt after the node was lost)`);
        throw e;
      }
      restores.push(`${blog} (lost node)`);
    }
    await restartLitestream("n1");
    const beforeReload = performance.now();
    await reloadCaddy();
    if (options.loseUnderLoad) {
      await writer.idle();
      // What n2 acknowledged and its replicas did not have: the loss window, reported, not counted as missing below.
      const lostTokens: number[] = [];
      for (const blog of lost) {
        const have = new Set(tokensIn(join(data.n1, "tenants", `${blog}.db`)));
        for (const [token, a] of [...writer.acked]) {
          if (a.blog !== blog || have.has(token) || a.at > beforeReload) continue;
          lostTokens.push(diedAt - a.at);
          writer.acked.delete(token);
        }
      }
      const oldestMs = lostTokens.length ? Math.round(Math.max(...lostTokens)) : 0;
      return Object.assign(await finish(), { lostUnderLoad: { tokens: lostTokens.length, oldestMs } });
    }
    writer.resume();
    await settle();
    phase("lose n2, adopt on n1");
    return await finish();

    async function finish(): Promise<ScenarioReport> {
      writer.resume();
      await settle();
      await writer.stop();
      // 6. Every blog checked; every acknowledged token there once; every replica restores sound.
      const check = Bun.spawn([BUN, join(REPO, "src/main.ts"), "check", "--data", data.n1], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const checkOk = (await check.exited) === 0;
      const found = new Map<string, number>();
      for (const blog of BLOGS)
        for (const t of tokensIn(join(data.n1, "tenants", `${blog}.db`))) found.set(t, (found.get(t) ?? 0) + 1);
      const now = performance.now();
      const missing = [...writer.acked]
        .filter(([t]) => !found.has(t))
        .map(([token, a]) => ({ blog: a.blog, token, ackedAgoMs: Math.round(now - a.at) }));
      const duplicates = [...found].filter(([, n]) => n > 1).map(([t]) => t);
      const unexpected = [...found.keys()].filter((t) => !writer.acked.has(t) && !writer.unknown.has(t));
      // The final state of every replica: Litestream stopped cleanly (it syncs first), each restored and checked.
      litestream.n1!.kill("SIGTERM");
      await litestream.n1!.exited;
      const placement = JSON.parse(await Bun.file(placementFile).text()) as {
        blogs: Record<string, { epoch: number }>;
      };
      for (const blog of BLOGS) {
        const out = join(dir, `final-${blog}.db`);
        const proc = Bun.spawn(
          [LITESTREAM, "restore", "-o", out, `file://${join(dir, "replicas")}/${blog}/${placement.blogs[blog].epoch}`],
          { stdout: "ignore", stderr: "pipe" },
        );
        const code = await proc.exited;
        restores.push(`${blog} (final)`);
        const integrity = code === 0 ? integrityOf(out) : `restore failed: ${await new Response(proc.stderr).text()}`;
        if (integrity !== "ok") damagedRestores.push(`${blog} (final): ${integrity.slice(0, 200)}`);
        else {
          const have = new Set(tokensIn(out));
          facts[`${blog}'s final replica holds every acknowledged token`] = writer
            .ackedOf(blog)
            .every((t) => have.has(t));
        }
      }
      phase("final checks");
      log(`statuses: ${JSON.stringify(Object.fromEntries(writer.statuses))}, unknown: ${writer.unknown.size}`);
      return {
        ...report(),
        ms: Math.round(performance.now() - started),
        acknowledged: writer.acked.size,
        missing,
        duplicates,
        unexpected,
        restores: restores.length,
        checkOk,
      };
    }
  } finally {
    await writer.stop().catch(() => {});
    for (const proc of procs) proc.kill("SIGKILL");
    await Promise.all([...procs].map((p) => p.exited));
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}
