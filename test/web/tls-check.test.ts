import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deleteTenant } from "../../src/tenants/files.ts";
import { parseTenantName } from "../../src/tenants/names.ts";
import type { Config } from "../../src/config.ts";
import { makeServer, makeBlog, request, tempDir } from "../helpers.ts";

async function instance(config: Partial<Config> = {}, peer = "127.0.0.1") {
  const data = tempDir();
  await makeBlog(data, "alice");
  await makeBlog(data, "gone");
  writeFileSync(
    join(data, "domains.json"),
    JSON.stringify({ domains: { "alice.example.org": "alice", "gone.example.org": "gone" } }),
  );
  deleteTenant(data, parseTenantName("gone"));
  const server = makeServer(data, { domain: "blogs.example.com", ...config });
  // Caddy's `ask` comes from this machine.
  server.services.peer = () => peer;
  return { data, ...server };
}

describe("GET /tls-check (Caddy on-demand TLS)", () => {
  test("answers 200 only for a blog's custom domain or <name>.<domain> of a blog that exists, on any Host", async () => {
    const { handler } = await instance();
    const status = async (domain: string, host = "127.0.0.1:3000") =>
      (await request(handler, host, `/tls-check?domain=${encodeURIComponent(domain)}`)).status;
    expect(await status("alice.example.org")).toBe(200);
    expect(await status("ALICE.example.org.")).toBe(200);
    expect(await status("alice.blogs.example.com")).toBe(200);
    expect(await status("alice.blogs.example.com", "alice.blogs.example.com")).toBe(200);
    expect(await status("gone.example.org")).toBe(404); // mapped, but the blog was deleted
    expect(await status("gone.blogs.example.com")).toBe(404);
    expect(await status("bob.blogs.example.com")).toBe(404);
    expect(await status("blogs.example.com")).toBe(404);
    expect(await status("a.b.blogs.example.com")).toBe(404);
    expect(await status("admin.blogs.example.com")).toBe(404);
    expect(await status("evil.example.net")).toBe(404);
  });

  test("a missing or malformed domain is a 400 that says why", async () => {
    const { handler } = await instance();
    const missing = await request(handler, "127.0.0.1", "/tls-check");
    expect(missing.status).toBe(400);
    const bad = await request(handler, "127.0.0.1", `/tls-check?domain=${encodeURIComponent("<script>.example.com")}`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("is not a host name");
    const long = await request(handler, "127.0.0.1", `/tls-check?domain=${"a".repeat(400)}`);
    expect(long.status).toBe(400);
  });

  test("a domain claimed while the server runs is answered at once", async () => {
    const { handler, services, data } = await instance();
    const { claimDomain } = await import("../../src/tenants/domains.ts");
    expect((await request(handler, "127.0.0.1", "/tls-check?domain=new.example.net")).status).toBe(404);
    claimDomain(data, services.customDomains, parseTenantName("alice"), "new.example.net");
    expect((await request(handler, "127.0.0.1", "/tls-check?domain=new.example.net")).status).toBe(200);
    expect((await request(handler, "new.example.net", "/")).status).toBe(200);
  });

  test("answers only the TLS proxy on this machine (loopback, forwarding for no one) or the metrics token; 403 with a message otherwise", async () => {
    const ask = (handler: (r: Request) => Response | Promise<Response>, headers: Record<string, string> = {}) =>
      request(handler, "127.0.0.1:3000", "/tls-check?domain=alice.example.org", { headers });
    const remote = await instance({}, "203.0.113.5");
    const refused = await ask(remote.handler);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("/tls-check answers only the TLS proxy on this machine");
    // A reader's request relayed by the proxy carries X-Forwarded-For, trusted proxy or not.
    expect((await ask((await instance()).handler, { "x-forwarded-for": "198.51.100.7" })).status).toBe(403);
    expect(
      (await ask((await instance({ trustedProxies: ["127.0.0.1"] })).handler, { "x-forwarded-for": "127.0.0.1" }))
        .status,
    ).toBe(403);
    // Caddy's own ask still works when it is also the trusted reverse proxy.
    expect((await ask((await instance({ trustedProxies: ["127.0.0.1"] })).handler)).status).toBe(200);
    expect((await ask((await instance({}, "::1")).handler)).status).toBe(200);
    const token = "a-token-of-enough-length";
    const withToken = await instance({ metricsToken: token }, "203.0.113.5");
    expect((await ask(withToken.handler, { authorization: `Bearer ${token}` })).status).toBe(200);
    const wrong = await ask(withToken.handler, { authorization: "Bearer not-the-token-at-all" });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain("--metrics-token");
  });
});
