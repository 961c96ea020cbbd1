import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { updateSettings } from "../../src/blog/settings.ts";
import { openBlogDatabase } from "../../src/tenants/open.ts";
import { cli, makeServer, makeBlog, request, tempDir } from "../helpers.ts";

// These tests start `writekit` as child processes (or Workers): a few hundred ms each, seconds on a
// loaded machine, past bun's default of 5 s per test (bunfig.toml cannot change it).
setDefaultTimeout(60_000);

/** A blog whose custom domain is proven (its DNS record was seen), or only claimed. */
async function blogWithDomain(data: string, name: string, domain: string, proven = true): Promise<void> {
  const db = openBlogDatabase(await makeBlog(data, name, { title: `${name} writes` }));
  updateSettings(db, { custom_domain: domain, domain_proven: proven ? domain : "" });
  db.close();
}

describe("writekit domains rebuild", () => {
  test("writes the map from the blogs' settings, and the server then answers those domains", async () => {
    const data = tempDir();
    await blogWithDomain(data, "alice", "Alice.Example.com");
    await blogWithDomain(data, "bob", "");
    await blogWithDomain(data, "carol", "www.carol.dev");
    const r = await cli(["domains", "rebuild", "--data", data]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("alice.example.com → alice\nwww.carol.dev → carol\n2 custom domains written to");
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({
      domains: { "alice.example.com": "alice", "www.carol.dev": "carol" },
    });

    const { handler, services } = makeServer(data);
    expect(services.customDomains.get("www.carol.dev") as string).toBe("carol");
    const page = await request(handler, "www.carol.dev", "/");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("carol writes");
    expect((await request(handler, "www.unknown.dev", "/")).status).toBe(404);
  });

  test("a domain set by two blogs stays with the one that held it and the other is reported; exit code 1", async () => {
    const data = tempDir();
    await blogWithDomain(data, "alice", "shared.example.com");
    await blogWithDomain(data, "bob", "shared.example.com");
    await blogWithDomain(data, "carol", "carol.localhost");
    writeFileSync(join(data, "domains.json"), JSON.stringify({ domains: { "shared.example.com": "bob" } }));
    const r = await cli(["domains", "rebuild", "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("shared.example.com: set by bob, alice; it stays with bob, refused for alice");
    expect(r.stderr).toContain("carol: its custom domain is refused:");
    expect(r.stdout).toContain("shared.example.com → bob");
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({
      domains: { "shared.example.com": "bob" },
    });
  });

  test("a domain inside the server's own domain is refused, and unknown sub-commands are usage errors", async () => {
    const data = tempDir();
    await blogWithDomain(data, "alice", "bob.blogs.example.com");
    const r = await cli(["domains", "rebuild", "--domain", "blogs.example.com", "--data", data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("inside this server's own domain blogs.example.com");
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({ domains: {} });
    const unknown = await cli(["domains", "list", "--data", data]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown domains command "list"');
  });

  test("keeps the proof rule: a pending domain is listed and left out, and a blog not yet migrated to proofs keeps the domain it had", async () => {
    const data = tempDir();
    await blogWithDomain(data, "alice", "alice.example.org");
    await blogWithDomain(data, "bob", "bob.example.org", false);
    // Proven once, then changed by hand: the new name is not proven.
    await blogWithDomain(data, "carol", "carol.example.org");
    const carol = openBlogDatabase(join(data, "tenants", "carol.db"));
    updateSettings(carol, { custom_domain: "other.example.org" });
    // A blog of schema version 3 (before proofs): its domain was live, and its migration keeps it so.
    const dave = openBlogDatabase(await makeBlog(data, "dave"));
    updateSettings(dave, { custom_domain: "dave.example.org" });
    dave.run("PRAGMA user_version = 3");
    carol.close();
    dave.close();
    const r = await cli(["domains", "rebuild", "--data", data]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("bob: bob.example.org is pending (its DNS has not proved the claim yet); left out");
    expect(r.stdout).toContain("carol: other.example.org is pending");
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({
      domains: { "alice.example.org": "alice", "dave.example.org": "dave" },
    });
    const { handler } = makeServer(data);
    expect((await request(handler, "bob.example.org", "/")).status).toBe(404);
  }, 30_000);

  test("a proven domain under the server's parent domain is refused unless --allow-parent-domain", async () => {
    const data = tempDir();
    await blogWithDomain(data, "alice", "www.example.com");
    const refused = await cli(["domains", "rebuild", "--domain", "blogs.example.com", "--data", data]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('alice: its custom domain is refused: "www.example.com" is under example.com');
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({ domains: {} });
    const allowed = await cli([
      "domains",
      "rebuild",
      "--domain",
      "blogs.example.com",
      "--allow-parent-domain",
      "--data",
      data,
    ]);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(readFileSync(join(data, "domains.json"), "utf8"))).toEqual({
      domains: { "www.example.com": "alice" },
    });
  }, 30_000);
});
