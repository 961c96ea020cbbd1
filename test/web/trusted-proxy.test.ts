// /metrics behind a proxy: a configured proxy that does not say whom it relays is not "this machine".
import { describe, expect, test } from "bun:test";
import { makeServer, request, tempDir } from "../helpers.ts";

function app(trustedProxies: string[], peer: string) {
  const { handler, services } = makeServer(tempDir(), { trustedProxies });
  services.peer = () => peer;
  return handler;
}

describe("/metrics and trusted proxies", () => {
  test("a loopback peer that is a configured proxy is refused when X-Forwarded-For is missing", async () => {
    const r = await request(app(["127.0.0.1"], "127.0.0.1"), "localhost", "/metrics");
    expect(r.status).toBe(403);
    expect(await r.text()).toContain("only requests from this machine");
  });

  test("through a configured proxy, the forwarded client decides", async () => {
    const proxied = app(["127.0.0.1", "::1"], "::ffff:127.0.0.1");
    expect(
      (await request(proxied, "localhost", "/metrics", { headers: { "x-forwarded-for": "198.51.100.4" } })).status,
    ).toBe(403);
    expect(
      (await request(proxied, "localhost", "/metrics", { headers: { "x-forwarded-for": "127.0.0.1" } })).status,
    ).toBe(200);
  });

  test("with no proxy configured, loopback is this machine, unless it forwards for someone", async () => {
    const direct = app([], "127.0.0.1");
    expect((await request(direct, "localhost", "/metrics")).status).toBe(200);
    expect(
      (await request(direct, "localhost", "/metrics", { headers: { "x-forwarded-for": "198.51.100.4" } })).status,
    ).toBe(403);
    // A loopback peer that is not one of the configured proxies is this machine too.
    expect((await request(app(["10.0.0.0/8"], "127.0.0.1"), "localhost", "/metrics")).status).toBe(200);
  });
});
