import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { configureLog } from "../../src/log.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { makeBlog, makeServer, request, settleViews, tempDir } from "../helpers.ts";

const TOKEN = "s3cret-metrics-token-0123";

async function setup(overrides: Parameters<typeof makeServer>[1] = {}, peer = "127.0.0.1") {
  const data = tempDir();
  await makeBlog(data, "alice");
  const db = openBlogDatabase(join(data, "tenants", "alice.db"));
  createPost(
    db,
    { title: "Hello", body: "Body", status: "published", publishedAt: "2026-01-01T00:00:00Z" },
    new Date("2026-01-01T00:00:00Z"),
  );
  db.close();
  const { handler, services } = makeServer(data, overrides);
  services.peer = () => peer;
  return { handler, services, data };
}

/** Elysia runs onAfterResponse (where requests are counted) in a setImmediate after the answer. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** The value of one sample line of the exposition text ("name{labels} value"). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("/metrics", () => {
  test("the latency histogram counts each answer in its bucket and exposes cumulative buckets, sum and count", async () => {
    const { services, handler } = await setup();
    for (const seconds of [0.0001, 0.0005, 0.0007, 0.02, 9]) services.metrics.observeRequest(200, seconds);
    const text = await (await request(handler, "localhost", "/metrics")).text();
    const series = "writekit_http_request_duration_seconds";
    expect(text).toContain(`# TYPE ${series} histogram`);
    expect(sample(text, `${series}_bucket{le="0.0005"}`)).toBe(2); // ≤ the bound counts in it
    expect(sample(text, `${series}_bucket{le="0.001"}`)).toBe(3);
    expect(sample(text, `${series}_bucket{le="0.01"}`)).toBe(3);
    expect(sample(text, `${series}_bucket{le="0.025"}`)).toBe(4);
    expect(sample(text, `${series}_bucket{le="5"}`)).toBe(4);
    expect(sample(text, `${series}_bucket{le="+Inf"}`)).toBe(5);
    expect(sample(text, `${series}_count`)).toBe(5);
    expect(sample(text, `${series}_sum`)).toBeCloseTo(9.0213, 6);
    expect(services.metrics.requestsAnswered).toBe(6); // the scrape is counted once answered, after its text was made
  });

  test("answers loopback in the Prometheus text format, with requests, pool, page cache, views, comments and memory", async () => {
    const { handler, services } = await setup();
    await request(handler, "alice.localhost", "/hello/comments", {
      method: "POST",
      body: new URLSearchParams({ name: "Bob", body: "Hi" }),
    });
    await request(handler, "alice.localhost", "/");
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "alice.localhost", "/hello");
    await request(handler, "alice.localhost", "/no-such-post");
    await settle();
    const before = await (await request(handler, "localhost", "/metrics")).text();
    expect(sample(before, "writekit_views_pending")).toBe(2);
    await settleViews(services);
    await settle();
    const r = await request(handler, "localhost", "/metrics");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await r.text();
    expect(text).toContain("# TYPE writekit_http_requests_total counter");
    expect(sample(text, 'writekit_http_requests_total{class="2xx"}')).toBe(4); // three pages and the first scrape
    expect(sample(text, 'writekit_http_requests_total{class="3xx"}')).toBe(1);
    expect(sample(text, 'writekit_http_requests_total{class="4xx"}')).toBe(1);
    expect(sample(text, "writekit_http_request_duration_seconds_count")).toBe(6);
    expect(sample(text, 'writekit_http_request_duration_seconds_bucket{le="+Inf"}')).toBe(6);
    expect(sample(text, "writekit_pool_open_blogs")).toBe(1); // opened by the comment, a write
    expect(sample(text, "writekit_pool_max_open_blogs")).toBe(50);
    expect(sample(text, "writekit_pool_misses_total")).toBe(1);
    expect(sample(text, "writekit_pool_hits_total")).toBe(0);
    // The pages were rendered through the pooled handle: an open blog needs no brief connection.
    expect(sample(text, "writekit_blog_brief_reads_total")).toBe(0);
    expect(sample(text, "writekit_pool_evictions_total")).toBe(0);
    expect(sample(text, "writekit_pool_open_seconds_total")).toBeGreaterThan(0);
    expect(sample(text, 'writekit_storage_faults_total{kind="corrupt"}')).toBe(0);
    // The second /hello: from the page store, which memory then keeps (a page's second look).
    expect(sample(text, "writekit_page_store_hits_total")).toBe(1);
    expect(sample(text, "writekit_page_cache_hits_total")).toBe(0);
    expect(sample(text, "writekit_page_cache_misses_total")).toBeGreaterThanOrEqual(3);
    expect(sample(text, "writekit_page_cache_bytes")).toBeGreaterThan(0);
    expect(sample(text, "writekit_views_pending")).toBe(0);
    expect(sample(text, "writekit_view_flush_duration_seconds_count")).toBe(1);
    expect(sample(text, "writekit_view_flush_rows_total")).toBe(1);
    expect(sample(text, "writekit_comments_received_total")).toBe(1);
    expect(sample(text, "writekit_failed_sign_ins_total")).toBe(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  test("failed sign-ins are counted through the metrics object the admin's login calls", async () => {
    const { handler, services } = await setup();
    services.metrics.failedSignIns.inc();
    services.metrics.failedSignIns.inc();
    expect(
      sample(await (await request(handler, "localhost", "/metrics")).text(), "writekit_failed_sign_ins_total"),
    ).toBe(2);
  });

  test("every handler has its own registry", async () => {
    const one = await setup();
    const two = await setup();
    await request(one.handler, "alice.localhost", "/");
    await settle();
    const text = await (await request(two.handler, "localhost", "/metrics")).text();
    expect(sample(text, 'writekit_http_requests_total{class="2xx"}')).toBeUndefined();
    expect(sample(text, "writekit_pool_open_blogs")).toBe(0);
  });

  test("from another address it is refused with 403 and says how to get access", async () => {
    const { handler } = await setup({}, "203.0.113.5");
    const r = await request(handler, "localhost", "/metrics");
    expect(r.status).toBe(403);
    const text = await r.text();
    expect(text).toContain("only requests from this machine");
    expect(text).toContain("--metrics-token");
    expect(text).not.toContain("writekit_");
  });

  test("a public request relayed by a proxy on this machine is not loopback", async () => {
    const { handler } = await setup({}, "127.0.0.1");
    const r = await request(handler, "localhost", "/metrics", { headers: { "x-forwarded-for": "198.51.100.4" } });
    expect(r.status).toBe(403);
  });

  test("with --metrics-token, the bearer token is accepted from anywhere and a wrong one is refused", async () => {
    const { handler } = await setup({ metricsToken: TOKEN }, "203.0.113.5");
    const ok = await request(handler, "localhost", "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("writekit_pool_open_blogs");
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, "Basic Zm9vOmJhcg==", ""]) {
      const r = await request(handler, "localhost", "/metrics", { headers: authorization ? { authorization } : {} });
      expect(r.status).toBe(403);
      expect(await r.text()).toContain('"Authorization: Bearer <token>"');
    }
  });

  test("a 413 refused before the body is read, and a 503 from a broken blog, are counted by class", async () => {
    const { handler, data } = await setup();
    await Bun.write(join(data, "tenants", "broken.db"), "not a database".repeat(400));
    configureLog({ sink: () => {} });
    try {
      expect((await request(handler, "broken.localhost", "/")).status).toBe(503);
    } finally {
      configureLog({ sink: (line) => process.stderr.write(line + "\n") });
    }
    expect(
      (
        await request(handler, "alice.localhost", "/hello/comments", {
          method: "POST",
          headers: { "content-length": String(10 * 1024 * 1024) },
          body: "x",
        })
      ).status,
    ).toBe(413);
    await settle();
    const text = await (await request(handler, "localhost", "/metrics")).text();
    expect(sample(text, 'writekit_http_requests_total{class="5xx"}')).toBe(1);
    expect(sample(text, 'writekit_http_requests_total{class="4xx"}')).toBe(1);
    expect(sample(text, "writekit_pool_open_failures_total")).toBe(1);
  });
});

describe("the access log", () => {
  test("with accessLog, one line per request: method, host, path without its query, status, ms", async () => {
    const { handler } = await setup({ accessLog: true });
    const lines: string[] = [];
    configureLog({ sink: (line) => lines.push(line), format: "json" });
    try {
      await request(handler, "alice.localhost", "/hello?secret=1");
      await request(handler, "alice.localhost", "/missing");
      await settle();
    } finally {
      configureLog({ sink: (line) => process.stderr.write(line + "\n"), format: "text" });
    }
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.length).toBe(2);
    expect(entries[0]).toMatchObject({
      level: "info",
      msg: "request",
      method: "GET",
      host: "alice.localhost",
      path: "/hello",
      status: 200,
    });
    expect(typeof entries[0].ms).toBe("number");
    expect(entries[1]).toMatchObject({ path: "/missing", status: 404 });
    expect(lines.join("\n")).not.toContain("secret");
  });

  test("is off by default", async () => {
    const { handler } = await setup();
    const lines: string[] = [];
    configureLog({ sink: (line) => lines.push(line) });
    try {
      await request(handler, "alice.localhost", "/hello");
      await settle();
    } finally {
      configureLog({ sink: (line) => process.stderr.write(line + "\n") });
    }
    expect(lines).toEqual([]);
  });
});
