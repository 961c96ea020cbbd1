import { describe, expect, test } from "bun:test";
import { BadHostError, NoSuchSiteError, resolveSite, SiteResolver } from "../../src/tenants/resolve.ts";

const options = { domain: "localhost" };

describe("Host → blog", () => {
  test.each([
    ["alice.localhost", "alice"],
    ["alice.localhost:3000", "alice"],
    ["ALICE.localhost:8080", "alice"],
    ["alice.localhost.", "alice"],
  ])("%p names the blog %p", (host, name) => {
    expect(resolveSite(host, options)).toEqual({ kind: "blog", name: name as any });
  });

  test.each(["localhost", "localhost:3000", "127.0.0.1:3000", "[::1]:3000"])("%p is the instance itself", (host) => {
    expect(resolveSite(host, options)).toEqual({ kind: "instance" });
  });

  test("a blog under a custom domain name", () => {
    expect(
      resolveSite("blog.example.org", {
        domain: "example.com",
        customDomains: new Map([["blog.example.org", "alice" as any]]),
      }),
    ).toEqual({ kind: "blog", name: "alice" as any });
    expect(resolveSite("bob.example.com", { domain: "example.com" })).toEqual({ kind: "blog", name: "bob" as any });
  });

  test.each([
    null,
    "",
    "a..b",
    "alice.localhost:abc",
    "alice localhost",
    "<script>.localhost",
    "alice.localhost:3000:1",
    "-x.localhost",
    "a".repeat(400),
  ])("a malformed Host %p is a BadHostError (400)", (host) => {
    expect(() => resolveSite(host, options)).toThrow(BadHostError);
  });

  test.each(["a.b.localhost", "admin.localhost", "xn--caf-dma.localhost", "example.org", "under_score.localhost"])(
    "%p answers no blog (404)",
    (host) => {
      expect(() => resolveSite(host, options)).toThrow(NoSuchSiteError);
    },
  );
});

describe("the memoised resolver", () => {
  test("gives the same answers, and sees a custom domain claimed after a first request", () => {
    const customs = new Map<string, any>();
    const r = new SiteResolver("localhost", () => customs, 3);
    expect(r.resolve("alice.localhost:3000")).toEqual({ kind: "blog", name: "alice" as any });
    expect(r.resolve("alice.localhost:3000")).toEqual({ kind: "blog", name: "alice" as any });
    expect(() => r.resolve("blog.example.org")).toThrow(NoSuchSiteError);
    customs.set("blog.example.org", "alice");
    expect(r.resolve("blog.example.org")).toEqual({ kind: "blog", name: "alice" as any });
    customs.delete("blog.example.org");
    expect(() => r.resolve("blog.example.org")).toThrow(NoSuchSiteError);
    expect(() => r.resolve("a..b")).toThrow(BadHostError);
    expect(r.resolve("localhost")).toEqual({ kind: "instance" });
    // Past its bound the memo starts over rather than grow.
    for (const n of ["b1", "b2", "b3", "b4"])
      expect(r.resolve(`${n}.localhost`)).toEqual({ kind: "blog", name: n as any });
  });
});
