// A node of a cluster (`serve --placement FILE --node NAME`) through the front door: blogs held
// elsewhere, placed nowhere and draining, /readyz, and the on-demand TLS ask for the whole cluster.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPost } from "../../src/blog/posts.ts";
import { ClusterNode } from "../../src/server/cluster.ts";
import { parseTenantName, tenantPath } from "../../src/tenants/names.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { updatePlacement, type Placement } from "../../src/tenants/placement.ts";
import { flusherOf, makeBlog, makeServer, request, tempDir } from "../helpers.ts";

function placementFor(blogs: Placement["blogs"]): Placement {
  return {
    domain: "blogs.test",
    replica: { url: "file:///srv/replicas" },
    nodes: { n1: { url: "http://127.0.0.1:4001" }, n2: { url: "http://127.0.0.1:4002" } },
    blogs,
  };
}

async function node(blogs: Placement["blogs"], local: string[]) {
  const data = tempDir();
  for (const name of local) {
    await makeBlog(data, name);
    const db = openBlogDatabase(tenantPath(data, parseTenantName(name)));
    createPost(
      db,
      { title: "Hello", body: "A post.", status: "published", publishedAt: "2026-01-01T00:00:00Z" },
      new Date("2026-01-01T00:00:00Z"),
    );
    db.close();
  }
  const placementFile = join(tempDir(), "placement.json");
  writeFileSync(placementFile, JSON.stringify(placementFor(blogs)));
  const { handler, services } = makeServer(data, { placementFile, node: "n1", domain: "blogs.test" });
  services.peer = () => "127.0.0.1"; // /readyz gives its details to this machine only
  const get = (blog: string, path = "/", init: RequestInit = {}) => request(handler, `${blog}.blogs.test`, path, init);
  const comment = (blog: string) =>
    get(blog, "/hello/comments", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: `http://${blog}.blogs.test` },
      body: "name=R&body=hi",
    });
  return { data, placementFile, handler, services, get, comment };
}

const readyz = async (handler: Parameters<typeof request>[0]) => {
  const r = await request(handler, "127.0.0.1", "/readyz");
  return { status: r.status, body: (await r.json()) as Record<string, any> };
};

describe("a node of a cluster", () => {
  test("a blog held by another node gets 421 naming that node, before any file is opened", async () => {
    const { get, services } = await node(
      { alice: { node: "n1", epoch: 1, state: "active" }, bob: { node: "n2", epoch: 3, state: "active" } },
      ["alice", "bob"],
    );
    const wrong = await get("bob");
    expect(wrong.status).toBe(421);
    expect(wrong.headers.get("writekit-node")).toBe("n2");
    expect(await wrong.text()).toContain("http://127.0.0.1:4002");
    expect(services.pool.size).toBe(0);
    expect((await get("alice")).status).toBe(200);
    const nowhere = await get("carol");
    expect(nowhere.status).toBe(404);
  });

  test("a draining blog is still read, its writes get 503 with Retry-After, and its views stop counting", async () => {
    const { get, comment, services, placementFile } = await node({ alice: { node: "n1", epoch: 1, state: "active" } }, [
      "alice",
    ]);
    expect((await comment("alice")).status).toBe(303);
    updatePlacement(placementFile, (p) => void (p.blogs.alice.state = "draining"));
    expect(services.cluster!.load()).toBe(true);
    expect((await get("alice", "/hello")).status).toBe(200);
    const refused = await comment("alice");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(services.views.pendingViews).toBe(0);
  });

  test("a blog read often is opened into the pool while placed here, never while it drains", async () => {
    const { get, services, placementFile } = await node(
      { alice: { node: "n1", epoch: 1, state: "active" }, bob: { node: "n1", epoch: 1, state: "draining" } },
      ["alice", "bob"],
    );
    for (let i = 0; i < 10; i++) {
      expect((await get("alice", `/missing-${i}`)).status).toBe(404);
      expect((await get("bob", `/missing-${i}`)).status).toBe(404);
    }
    expect(services.pool.names() as string[]).toEqual(["alice"]);
    // Once alice drains, its handle is closed (ClusterNode) and reads do not bring it back.
    updatePlacement(placementFile, (p) => void (p.blogs.alice.state = "draining"));
    expect(services.cluster!.load()).toBe(true);
    services.pool.close(parseTenantName("alice"));
    for (let i = 0; i < 10; i++) expect((await get("alice", `/missing-${i}`)).status).toBe(404);
    expect(services.pool.names()).toEqual([]);
  });

  test("draining writes the blog's page views into its file, closes it, and /readyz lists it drained", async () => {
    const { data, get, services, placementFile, handler } = await node(
      { alice: { node: "n1", epoch: 2, state: "active" } },
      ["alice"],
    );
    const flusher = flusherOf(services);
    const cluster = new ClusterNode(services, services.cluster!, flusher);
    cluster.start();
    try {
      for (let i = 0; i < 3; i++) expect((await get("alice", "/hello")).status).toBe(200);
      expect(services.views.pendingViews).toBe(3);
      updatePlacement(placementFile, (p) => void (p.blogs.alice.state = "draining"));
      let body: Record<string, any> = {};
      for (let i = 0; i < 200 && body.drained?.alice !== 2; i++) {
        await Bun.sleep(20);
        body = (await readyz(handler)).body;
      }
      expect(body.drained).toEqual({ alice: 2 });
      expect(services.pool.peek(parseTenantName("alice"))).toBeUndefined();
      const db = new Database(tenantPath(data, parseTenantName("alice")), { readonly: true });
      expect(db.query("SELECT views FROM posts WHERE slug = 'hello'").get()).toEqual({ views: 3 });
      db.close();
    } finally {
      cluster.stop();
    }
  });

  test("/readyz is 200 once the placement is loaded and every blog placed here opens, 503 saying which does not", async () => {
    const { handler, services, data, placementFile } = await node(
      {
        alice: { node: "n1", epoch: 1, state: "active" },
        bob: { node: "n1", epoch: 1, state: "active" },
        carol: { node: "n2", epoch: 1, state: "active" },
      },
      ["alice"],
    );
    expect((await readyz(handler)).status).toBe(503); // not checked yet
    const cluster = new ClusterNode(services, services.cluster!, flusherOf(services));
    cluster.start();
    try {
      let r = await readyz(handler);
      for (let i = 0; i < 100 && r.body.failed === undefined; i++) r = (await Bun.sleep(10), await readyz(handler));
      expect(r.status).toBe(503);
      expect(Object.keys(r.body.failed)).toEqual(["bob"]); // placed here, but its file is not
      await makeBlog(data, "bob");
      updatePlacement(placementFile, () => {}); // a new placement: blogs that did not open are tried again
      for (let i = 0; i < 100 && r.status !== 200; i++) r = (await Bun.sleep(10), await readyz(handler));
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: "ready", node: "n1", blogs: 2 });
      services.peer = () => "203.0.113.9"; // from elsewhere: whether it is ready, not why
      updatePlacement(placementFile, (p) => void (p.blogs.erin = { node: "n1", epoch: 1, state: "active" })); // placed here, no file
      for (let i = 0; i < 100 && r.status === 200; i++) r = (await Bun.sleep(10), await readyz(handler));
      expect(r.body).toMatchObject({ status: "not ready", error: "not ready", failed: 1 });
    } finally {
      cluster.stop();
    }
  });

  test("a placement that cannot be read keeps the one in force; none at all is not ready", async () => {
    const { handler, services, placementFile, get } = await node({ alice: { node: "n1", epoch: 1, state: "active" } }, [
      "alice",
    ]);
    writeFileSync(
      placementFile,
      JSON.stringify({ ...placementFor({}), blogs: { alice: { node: "n9", epoch: 1, state: "active" } } }),
    );
    expect(services.cluster!.load()).toBe(false);
    expect(services.cluster!.loadError).toContain('"node" must be one of the nodes');
    expect((await get("alice")).status).toBe(200);
    const fresh = makeServer(tempDir(), { placementFile: join(tempDir(), "missing.json"), node: "n1" });
    fresh.services.peer = () => "127.0.0.1";
    const r = await readyz(fresh.handler);
    expect(r.status).toBe(503);
    expect(r.body.error).toContain("does not exist");
    expect(existsSync(placementFile)).toBe(true);
    void handler;
  });

  test("the on-demand TLS ask is answered for every blog of the placement, on any node", async () => {
    const { handler } = await node(
      {
        alice: { node: "n1", epoch: 1, state: "active" },
        bob: { node: "n2", epoch: 1, state: "active", domains: ["bob.example.org"] },
      },
      ["alice"],
    );
    const ask = (domain: string) => request(handler, "127.0.0.1", `/tls-check?domain=${domain}`).then((r) => r.status);
    expect(await ask("alice.blogs.test")).toBe(200);
    expect(await ask("bob.blogs.test")).toBe(200);
    expect(await ask("bob.example.org")).toBe(200);
    expect(await ask("mallory.blogs.test")).toBe(404);
  });

  test("the cluster's Caddy, a trusted proxy on a machine of its own, may ask for certificates; a reader it relays may not", async () => {
    const { handler, services } = await node({ bob: { node: "n2", epoch: 1, state: "active" } }, []);
    services.config.trustedProxies = ["10.0.0.9"];
    services.peer = () => "10.0.0.9";
    expect((await request(handler, "10.0.0.1", "/tls-check?domain=bob.blogs.test")).status).toBe(200);
    expect(
      (
        await request(handler, "10.0.0.1", "/tls-check?domain=bob.blogs.test", {
          headers: { "x-forwarded-for": "203.0.113.5" },
        })
      ).status,
    ).toBe(403);
  });
});
