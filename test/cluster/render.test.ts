// The engines' configs rendered from the placement file, and the placement file's own checks.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderCaddyfile } from "../../src/cluster/caddy.ts";
import { renderLitestream, writeLitestreamConfigs } from "../../src/cluster/litestream.ts";
import { parsePlacement, placedBlogOfHost, PlacementError, type Placement } from "../../src/tenants/placement.ts";
import { cli, tempDir } from "../helpers.ts";
import { CADDY } from "./engines.ts";

const placement = (): Placement =>
  parsePlacement({
    domain: "blogs.example.com",
    replica: { url: "s3://bucket/writekit/", endpoint: "http://127.0.0.1:9000", "force-path-style": "true" },
    nodes: {
      n1: { url: "http://10.0.0.1:3000", litestreamAddr: "127.0.0.1:9090" },
      n2: { url: "http://10.0.0.2:3000" },
    },
    blogs: {
      alice: { node: "n1", epoch: 3, state: "active", domains: ["alice.example.org"] },
      bob: { node: "n1", epoch: 1, state: "draining", fence: "1:0123456789abcdef01234567" },
      carol: { node: "n1", epoch: 1, state: "active" },
      dave: { node: "n2", epoch: 7, state: "active" },
    },
  });

describe("the placement file", () => {
  test("is checked whole, each mistake named with where it is", () => {
    const good = JSON.parse(JSON.stringify(placement()));
    const bad = (change: (p: any) => void) => {
      const p = JSON.parse(JSON.stringify(good));
      change(p);
      try {
        parsePlacement(p, "placement.json");
      } catch (e) {
        expect(e).toBeInstanceOf(PlacementError);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(bad((p) => (p.blogs.alice.node = "n9"))).toContain('blog "alice": "node" must be one of the nodes (n1, n2)');
    expect(bad((p) => (p.blogs.alice.epoch = 0))).toContain('"epoch" must be a whole number');
    expect(bad((p) => (p.blogs.alice.state = "gone"))).toContain('"state" must be "active" or "draining"');
    expect(bad((p) => (p.blogs["Bad Name"] = p.blogs.alice))).toContain("is not a valid blog name");
    expect(bad((p) => (p.nodes.n1.url = "http://10.0.0.1:3000/path"))).toContain("without a path");
    expect(bad((p) => (p.replica.url = "/srv/replicas"))).toContain("Litestream replica URL");
    expect(bad((p) => (p.blogs.alice.domains = ["x.blogs.example.com"]))).toContain("inside this server's own domain");
    expect(placedBlogOfHost(placement(), "alice.example.org") as string | null).toBe("alice");
    expect(placedBlogOfHost(placement(), "dave.blogs.example.com") as string | null).toBe("dave");
    expect(placedBlogOfHost(placement(), "erin.blogs.example.com")).toBeNull();
  });
});

describe("placement render --litestream", () => {
  test("lists the node's active and draining blogs, each replicated to a path ending with its epoch", () => {
    const [config, ...more] = renderLitestream(placement(), "n1", "/var/lib/writekit", "/etc/writekit/litestream.yml");
    expect(more).toEqual([]);
    expect(config.blogs as string[]).toEqual(["alice", "bob", "carol"]);
    expect(config.text).toContain('addr: "127.0.0.1:9090"');
    expect(config.text).toContain('- path: "/var/lib/writekit/tenants/alice.db"');
    expect(config.text).toContain('- url: "s3://bucket/writekit/alice/3"');
    expect(config.text).toContain('endpoint: "http://127.0.0.1:9000"');
    expect(config.text).not.toContain("dave");
  });

  test("splits past the blogs per process, one file each, and removes files no longer needed", () => {
    const dir = tempDir();
    const file = join(dir, "litestream.yml");
    const three = renderLitestream(placement(), "n1", "/data", file, 1);
    expect(three.map((c) => c.file)).toEqual([file, join(dir, "litestream-2.yml"), join(dir, "litestream-3.yml")]);
    expect(three.map((c) => c.blogs as string[])).toEqual([["alice"], ["bob"], ["carol"]]);
    expect(three[1].text).toContain('addr: "127.0.0.1:9091"'); // each process its own metrics port
    writeLitestreamConfigs(three);
    writeFileSync(join(dir, "litestream-9.yml"), "# someone else's file\n");
    writeLitestreamConfigs(renderLitestream(placement(), "n1", "/data", file, 2));
    expect(existsSync(join(dir, "litestream-2.yml"))).toBe(true);
    expect(existsSync(join(dir, "litestream-3.yml"))).toBe(false);
    expect(existsSync(join(dir, "litestream-9.yml"))).toBe(true);
  });
});

describe("placement render --caddy", () => {
  test("routes each node's blogs and custom domains to it, health-checked on /readyz, with certificates asked of the placement", () => {
    const text = renderCaddyfile(placement(), "/etc/writekit/placement.json");
    expect(text).toContain(
      "@n1 host alice.blogs.example.com alice.example.org bob.blogs.example.com carol.blogs.example.com",
    );
    expect(text).toContain("@n2 host dave.blogs.example.com");
    expect(text).toContain("reverse_proxy 10.0.0.2:3000 {");
    expect(text).toContain("health_uri /readyz");
    expect(text).toContain("ask http://10.0.0.1:3000/tls-check");
    expect(text).toContain("on_demand");
    expect(text).toContain("\tencode zstd gzip\n");
  });

  test.skipIf(!CADDY)(
    "is a Caddyfile Caddy accepts",
    async () => {
      const dir = tempDir();
      const file = join(dir, "placement.json");
      writeFileSync(
        file,
        JSON.stringify({ ...placement(), caddy: { site: "http://:8080", trustedProxies: ["10.0.0.0/8"] } }),
      );
      const rendered = await cli(["placement", "render", "--caddy", join(dir, "Caddyfile"), "--placement", file]);
      expect(rendered.code).toBe(0);
      const proc = Bun.spawn([CADDY!, "validate", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"], {
        stdout: "pipe",
        stderr: "pipe",
        env: { HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, PATH: process.env.PATH ?? "" },
      });
      const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      expect(code, stderr).toBe(0);
      expect(readFileSync(join(dir, "Caddyfile"), "utf8")).toContain("trusted_proxies 10.0.0.0/8");
    },
    30_000,
  );
});
