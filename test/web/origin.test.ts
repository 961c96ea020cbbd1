// Absolute links (feeds, sitemap, canonical, OpenGraph) behind a TLS proxy, and --public-scheme.
import { describe, expect, test } from "bun:test";
import { createPost } from "../../src/blog/posts.ts";
import { ConfigError, loadConfig, type Config } from "../../src/config.ts";
import { claimDomain } from "../../src/tenants/domains.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import { makeBlog, makeServer, request, tempDir } from "../helpers.ts";

const HOST = "alice.blogs.example.com";

async function blog(config: Partial<Config>, peer = "127.0.0.1") {
  const data = tempDir();
  await makeBlog(data, "alice");
  const { handler, services } = makeServer(data, { domain: "blogs.example.com", ...config });
  services.peer = () => peer;
  createPost(services.pool.get(parseTenantName("alice")).db, {
    title: "Hello",
    body: "Hi.",
    status: "published",
    publishedAt: "2026-01-01T00:00:00Z",
  });
  return { data, handler, services };
}

const HTTPS = { "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7" };

/** Every absolute URL a reader or a feed reader gets for the post, from one answer each. */
async function links(handler: Parameters<typeof request>[0], headers: Record<string, string> = {}, host = HOST) {
  const get = async (path: string) => (await request(handler, host, path, { headers })).text();
  const post = await get("/hello");
  return {
    canonical: /<link rel="canonical" href="([^"]+)"/.exec(post)?.[1],
    ogUrl: /<meta property="og:url" content="([^"]+)"/.exec(post)?.[1],
    alternate: /<link rel="alternate" type="application\/atom\+xml" title="[^"]*" href="([^"]+)"/.exec(post)?.[1],
    atom: /<link href="([^"]+)" rel="alternate"\/>|<entry>[\s\S]*?<link href="([^"]+)"/
      .exec(await get("/feed.xml"))
      ?.slice(1)
      .find(Boolean),
    json: JSON.parse(await get("/feed.json")).items[0].url,
    sitemap: /<loc>([^<]+\/hello)<\/loc>/.exec(await get("/sitemap.xml"))?.[1],
    robots: /Sitemap: (\S+)/.exec(await get("/robots.txt"))?.[1],
  };
}

describe("absolute links under a TLS proxy", () => {
  test("a trusted proxy's X-Forwarded-Proto: https makes every absolute link https", async () => {
    const { handler } = await blog({ trustedProxies: ["127.0.0.1"] });
    const l = await links(handler, HTTPS);
    expect(l).toEqual({
      canonical: `https://${HOST}/hello`,
      ogUrl: `https://${HOST}/hello`,
      alternate: `https://${HOST}/feed.xml`,
      atom: expect.stringMatching(/^https:\/\/alice\.blogs\.example\.com\//),
      json: `https://${HOST}/hello`,
      sitemap: `https://${HOST}/hello`,
      robots: `https://${HOST}/sitemap.xml`,
    });
  });

  test("the header from a peer that is not a trusted proxy changes nothing", async () => {
    const { handler } = await blog({ trustedProxies: ["10.0.0.0/8"] }, "203.0.113.50");
    const l = await links(handler, HTTPS);
    for (const url of Object.values(l)) expect(url).toStartWith("http://");
  });

  test("a page cached for http is never served for https, nor the other way round", async () => {
    const { handler } = await blog({ trustedProxies: ["127.0.0.1"] });
    // First a request from the proxy that came in over plain http, then one over https: each gets its own links.
    expect((await links(handler, { "x-forwarded-proto": "http", "x-forwarded-for": "198.51.100.7" })).canonical).toBe(
      `http://${HOST}/hello`,
    );
    expect(await links(handler, HTTPS)).toMatchObject({
      canonical: `https://${HOST}/hello`,
      json: `https://${HOST}/hello`,
      sitemap: `https://${HOST}/hello`,
    });
    expect((await links(handler, { "x-forwarded-for": "198.51.100.7" })).canonical).toBe(`http://${HOST}/hello`);
  });

  test("--public-scheme https makes links https without any proxy header; the host still comes from the request, a custom domain's included", async () => {
    const { handler, services, data } = await blog({ publicScheme: "https" }, "203.0.113.50");
    expect((await links(handler)).canonical).toBe(`https://${HOST}/hello`);
    expect((await links(handler, {}, "alice.blogs.example.com:8443")).ogUrl).toBe(
      "https://alice.blogs.example.com:8443/hello",
    );
    claimDomain(data, services.customDomains, parseTenantName("alice"), "alice.example.org");
    expect((await links(handler, {}, "Alice.Example.org")).json).toBe("https://alice.example.org/hello");
    // The session cookie follows the same rule.
    const form = await request(handler, HOST, "/admin/login");
    expect(form.headers.getSetCookie()[0]).toContain("; Secure");
  });

  test("--public-scheme takes http or https (env WRITEKIT_PUBLIC_SCHEME) and refuses anything else, saying why", () => {
    expect(loadConfig({}, {}).publicScheme).toBeNull();
    expect(loadConfig({ "public-scheme": "https" }, {}).publicScheme).toBe("https");
    expect(loadConfig({ "public-scheme": "HTTPS://" }, {}).publicScheme).toBe("https");
    expect(loadConfig({}, { WRITEKIT_PUBLIC_SCHEME: "http" }).publicScheme).toBe("http");
    for (const bad of ["ftp", "https://blogs.example.com", ""]) {
      expect(() => loadConfig({ "public-scheme": bad }, {})).toThrow(ConfigError);
      expect(() => loadConfig({ "public-scheme": bad }, {})).toThrow('--public-scheme must be "http" or "https"');
    }
  });
});
