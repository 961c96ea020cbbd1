import { describe, expect, test } from "bun:test";
import { clientAddress, clientKey, describeTrust, isHttps, isLocalRequest } from "../../src/web/client.ts";

function req(headers: Record<string, string> = {}, url = "http://alice.localhost/"): Request {
  return new Request(url, { headers });
}

const none = { trustedProxies: [] as string[] };
const loopback = { trustedProxies: ["127.0.0.1", "::1"] };
const lan = { trustedProxies: ["10.0.0.0/8", "fd00::/8", "192.0.2.7"] };

describe("clientAddress", () => {
  test("with no proxy configured (the default), X-Forwarded-For is ignored, even from loopback", () => {
    expect(clientAddress(none, req({ "x-forwarded-for": "198.51.100.1" }), "127.0.0.1")).toBe("127.0.0.1");
    expect(clientAddress(none, req({ "x-forwarded-for": "198.51.100.1" }), "203.0.113.9")).toBe("203.0.113.9");
    expect(clientAddress(none, req(), null)).toBe("unknown");
  });

  test("a spoofed X-Forwarded-For from a peer that is not a configured proxy changes nothing", () => {
    expect(clientAddress(lan, req({ "x-forwarded-for": "10.0.0.1" }), "203.0.113.9")).toBe("203.0.113.9");
    expect(clientAddress(lan, req({ "x-forwarded-for": "1.2.3.4" }), "11.0.0.1")).toBe("11.0.0.1");
  });

  test("from a trusted proxy, the right-most address that is not a trusted proxy is the client", () => {
    // The client forged the left part; the proxies appended what they saw.
    const chain = req({ "x-forwarded-for": "6.6.6.6, 198.51.100.20, 10.1.1.1, 10.2.2.2" });
    expect(clientAddress(lan, chain, "10.0.0.5")).toBe("198.51.100.20");
    expect(clientAddress(lan, req({ "x-forwarded-for": "198.51.100.20" }), "192.0.2.7")).toBe("198.51.100.20");
    // Every hop is a proxy: the left-most started it.
    expect(clientAddress(lan, req({ "x-forwarded-for": "10.9.9.9, 10.1.1.1" }), "10.0.0.5")).toBe("10.9.9.9");
    // No header: the proxy itself is all there is.
    expect(clientAddress(lan, req(), "10.0.0.5")).toBe("10.0.0.5");
    // Something that is not an address at the right end is not a proxy: it is what the client is called.
    expect(clientAddress(lan, req({ "x-forwarded-for": "198.51.100.1, unknown" }), "10.0.0.5")).toBe("unknown");
    // Ports and brackets, as some proxies write them.
    expect(clientAddress(lan, req({ "x-forwarded-for": "[2001:db8::5]:4711" }), "10.0.0.5")).toBe("2001:db8::5");
    expect(clientAddress(lan, req({ "x-forwarded-for": "198.51.100.3:4711" }), "10.0.0.5")).toBe("198.51.100.3");
  });

  test("CIDR ranges match IPv4, IPv6 and IPv4-mapped IPv6 peers and hops", () => {
    expect(clientAddress(lan, req({ "x-forwarded-for": "198.51.100.1" }), "::ffff:10.1.2.3")).toBe("198.51.100.1");
    expect(clientAddress(lan, req({ "x-forwarded-for": "198.51.100.1" }), "fd12:3456::1")).toBe("198.51.100.1");
    expect(clientAddress(lan, req({ "x-forwarded-for": "198.51.100.1" }), "fe80::1")).toBe("fe80::1");
    expect(clientAddress(lan, req({ "x-forwarded-for": "198.51.100.1, ::ffff:10.3.3.3" }), "10.0.0.5")).toBe(
      "198.51.100.1",
    );
    expect(clientAddress(lan, req({ "x-forwarded-for": "198.51.100.1" }), "::ffff:11.1.2.3")).toBe("11.1.2.3");
    expect(clientAddress(lan, req({ "x-forwarded-for": "198.51.100.1" }), "192.0.2.8")).toBe("192.0.2.8");
  });
});

describe("isHttps", () => {
  test("X-Forwarded-Proto is believed from a trusted proxy only", () => {
    expect(isHttps(lan, req({ "x-forwarded-proto": "https" }), "10.0.0.5")).toBe(true);
    expect(isHttps(lan, req({ "x-forwarded-proto": "https" }), "203.0.113.9")).toBe(false);
    expect(isHttps(none, req({ "x-forwarded-proto": "https" }), "127.0.0.1")).toBe(false);
    expect(isHttps(none, req({}, "https://alice.localhost/"), "203.0.113.9")).toBe(true);
  });
});

describe("isLocalRequest (who may read /metrics without a token)", () => {
  test("a loopback peer is local when it is not a configured proxy and forwards for nobody", () => {
    expect(isLocalRequest(none, req(), "127.0.0.1")).toBe(true);
    expect(isLocalRequest(none, req(), "::1")).toBe(true);
    expect(isLocalRequest(none, req(), "::ffff:127.0.0.1")).toBe(true);
    expect(isLocalRequest(lan, req(), "127.0.0.1")).toBe(true);
    expect(isLocalRequest(none, req(), "203.0.113.9")).toBe(false);
    expect(isLocalRequest(none, req(), null)).toBe(false);
  });

  test("a loopback peer that is a configured proxy is not local without X-Forwarded-For; with it, the forwarded client decides", () => {
    expect(isLocalRequest(loopback, req(), "127.0.0.1")).toBe(false);
    expect(isLocalRequest(loopback, req({ "x-forwarded-for": "198.51.100.4" }), "127.0.0.1")).toBe(false);
    expect(isLocalRequest(loopback, req({ "x-forwarded-for": "127.0.0.1" }), "127.0.0.1")).toBe(true);
  });

  test("a loopback peer relaying someone without being a configured proxy is not local", () => {
    expect(isLocalRequest(none, req({ "x-forwarded-for": "198.51.100.4" }), "127.0.0.1")).toBe(false);
  });
});

describe("clientKey", () => {
  test("IPv4 clients are keyed by their address, IPv6 clients by their /64", () => {
    expect(clientKey("198.51.100.7")).toBe("198.51.100.7");
    expect(clientKey("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(clientKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8:1:2::1")).toBe(clientKey("2001:0DB8:0001:0002:ffff::9"));
    expect(clientKey("2001:db8:1:3::1")).not.toBe(clientKey("2001:db8:1:2::1"));
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("64:ff9b::198.51.100.7")).toBe("64:ff9b:0:0::/64");
    expect(clientKey("unknown")).toBe("unknown");
  });
});

describe("describeTrust", () => {
  test("says what is trusted, for serve to print at start", () => {
    expect(describeTrust({ trustedProxies: [], metricsToken: null })).toBe(
      "Trusted proxies: none, so X-Forwarded-For and X-Forwarded-Proto are ignored and each client is its connection's address (behind a proxy, name it with --trusted-proxy); /metrics answers this machine.",
    );
    expect(describeTrust({ trustedProxies: ["127.0.0.1", "10.0.0.0/8"], metricsToken: "x".repeat(16) })).toBe(
      "Trusted proxies: 127.0.0.1, 10.0.0.0/8; their X-Forwarded-For names the client and X-Forwarded-Proto the scheme, and a request from them without X-Forwarded-For is not from this machine; /metrics answers this machine and the bearer token.",
    );
  });
});
