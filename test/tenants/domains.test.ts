import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildDomainMap,
  claimDomain,
  DomainError,
  DomainTakenError,
  domainsFile,
  loadDomains,
  parseDomain,
  releaseDomain,
  type DomainMap,
} from "../../src/tenants/domains.ts";
import { parseTenantName, type TenantName } from "../../src/tenants/names.ts";
import { tempDir } from "../helpers.ts";

const alice = parseTenantName("alice");
const bob = parseTenantName("bob");

describe("custom domains", () => {
  test("a domain is lower-cased and loses its trailing dot; URLs, ports, wildcards, IPs, local and instance names are refused", () => {
    expect(parseDomain("Blog.Example.COM.")).toBe("blog.example.com");
    expect(parseDomain("xn--bcher-kva.example")).toBe("xn--bcher-kva.example");
    const refused: [string, string][] = [
      ["", "must not be empty"],
      ["https://blog.example.com/", "is a URL"],
      ["blog.example.com:8080", "has a port"],
      ["*.example.com", "is a wildcard"],
      ["bücher.example", "non-ASCII"],
      ["example", "needs a dot"],
      ["-bad.example.com", 'invalid part "-bad"'],
      ["a..b.com", 'invalid part ""'],
      ["192.168.1.10", "is an IP address"],
      ["alice.localhost", "is a local name"],
      [`${"a".repeat(64)}.com`, "invalid part"],
      [`${"a.".repeat(130)}com`, "at most 253"],
    ];
    for (const [input, message] of refused) expect(() => parseDomain(input)).toThrow(message);
    expect(() => parseDomain("bob.blogs.example.com", { instanceDomain: "blogs.example.com" })).toThrow(
      "inside this server's own domain",
    );
    expect(() => parseDomain("blogs.example.com", { instanceDomain: "blogs.example.com" })).toThrow(
      "inside this server's own domain",
    );
    expect(parseDomain("blogs.example.org", { instanceDomain: "blogs.example.com" })).toBe("blogs.example.org");
  });

  test("a name under the registrable domain of the server's own (by the Public Suffix List) is refused unless allowed", () => {
    const rules = { instanceDomain: "blogs.example.co.uk" };
    for (const input of ["example.co.uk", "www.example.co.uk", "a.b.example.co.uk"])
      expect(() => parseDomain(input, rules)).toThrow("is under example.co.uk");
    // Other names under the public suffix are other people's.
    expect(parseDomain("other.co.uk", rules)).toBe("other.co.uk");
    expect(parseDomain("www.example.co.uk", { ...rules, allowParentDomain: true })).toBe("www.example.co.uk");
    expect(() => parseDomain("x.blogs.example.co.uk", { ...rules, allowParentDomain: true })).toThrow(
      "inside this server's own domain",
    );
    // A server at a registrable domain itself, or at localhost, has no parent to protect beyond its own.
    expect(parseDomain("blog.example.org", { instanceDomain: "example.com" })).toBe("blog.example.org");
    expect(parseDomain("blog.example.org", { instanceDomain: "localhost" })).toBe("blog.example.org");
  });

  test("claiming refuses a domain another blog holds, moves a blog's own domain, and writes the file each time", () => {
    const data = tempDir();
    const map: DomainMap = new Map();
    expect(claimDomain(data, map, alice, "Alice.Example.com")).toBe("alice.example.com");
    expect(() => claimDomain(data, map, bob, "alice.example.com")).toThrow(DomainTakenError);
    expect(() => claimDomain(data, map, bob, "alice.example.com")).toThrow(
      'the domain "alice.example.com" already belongs to another blog',
    );
    expect(claimDomain(data, map, alice, "alice.example.com")).toBe("alice.example.com"); // claiming again is fine
    claimDomain(data, map, alice, "www.alice.dev");
    claimDomain(data, map, bob, "alice.example.com"); // released by the move above
    expect(new Map(map)).toEqual(
      new Map<string, TenantName>([
        ["alice.example.com", bob],
        ["www.alice.dev", alice],
      ]),
    );
    expect(JSON.parse(readFileSync(domainsFile(data), "utf8"))).toEqual({
      domains: { "alice.example.com": "bob", "www.alice.dev": "alice" },
    });
    expect(() => claimDomain(data, map, alice, "not a domain")).toThrow(DomainError);
    expect(releaseDomain(data, map, alice)).toEqual(["www.alice.dev"]);
    expect(loadDomains(data).map).toEqual(new Map([["alice.example.com", bob]]));
    expect(readdirSync(data)).toEqual(["domains.json"]); // no temporary files left
  });

  test("loading skips bad entries with a reason, and an unreadable file is a clear error", () => {
    const data = tempDir();
    expect(loadDomains(data).map.size).toBe(0);
    writeFileSync(
      domainsFile(data),
      JSON.stringify({
        domains: {
          "good.example.net": "alice",
          "bad domain": "bob",
          "ok.example.org": "../etc",
          "inside.blogs.example.com": "bob",
          "parent.example.com": "bob",
        },
      }),
    );
    const loaded = loadDomains(data, { instanceDomain: "blogs.example.com" });
    expect([...loaded.map]).toEqual([["good.example.net", alice]]);
    expect(loaded.problems).toHaveLength(4);
    expect(loaded.problems.join("\n")).toContain(
      'skipped "parent.example.com": "parent.example.com" is under example.com',
    );
    expect([...loadDomains(data, { instanceDomain: "blogs.example.com", allowParentDomain: true }).map.keys()]).toEqual(
      ["good.example.net", "parent.example.com"],
    );
    expect(loaded.problems.join("\n")).toContain(
      'skipped "ok.example.org": it maps to "../etc", which is not a blog name',
    );
    writeFileSync(domainsFile(data), "{ not json");
    expect(() => loadDomains(data)).toThrow("rebuild it with: writekit domains rebuild");
    expect(existsSync(domainsFile(data))).toBe(true);
  });

  test("rebuilding keeps a contested domain with the blog that held it, otherwise with the first by name", () => {
    const carol = parseTenantName("carol");
    const claims = [
      { name: alice, domain: "shared.example.com" },
      { name: bob, domain: "SHARED.example.com" },
      { name: carol, domain: "carol.example.com" },
      { name: carol, domain: "nope" },
    ];
    const fresh = buildDomainMap(claims, new Map());
    expect(fresh.map.get("shared.example.com")).toBe(alice);
    expect(fresh.conflicts).toEqual([{ domain: "shared.example.com", kept: alice, refused: [bob] }]);
    expect(fresh.invalid.map((i) => i.domain)).toEqual(["nope"]);
    const held = buildDomainMap(claims, new Map([["shared.example.com", bob]]));
    expect(held.map.get("shared.example.com")).toBe(bob);
    expect(held.conflicts[0].refused).toEqual([alice]);
  });
});
