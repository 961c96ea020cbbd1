// Custom domains need proof: a TXT record at _writekit.<domain> with the blog's token, checked
// through an injected resolver, before the Host resolver or /tls-check accept the domain.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getSettings } from "../../../src/blog/settings.ts";
import type { ResolveTxt } from "../../../src/tenants/domainproof.ts";
import { request, TEST_PASSWORD } from "../../helpers.ts";
import { hiddenField, setupAdmin } from "./admin.ts";

/** A DNS of TXT records the test fills in; every name asked is noted. */
function fakeDns() {
  const records = new Map<string, string[][]>();
  const asked: string[] = [];
  let failure: string | null = null;
  const resolveTxt: ResolveTxt = async (name) => {
    asked.push(name);
    if (failure) throw Object.assign(new Error(`queryTxt ${failure} ${name}`), { code: failure });
    const found = records.get(name);
    if (!found) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return found;
  };
  return { records, asked, resolveTxt, fail: (code: string | null) => (failure = code) };
}

async function twoAuthors(config = {}) {
  const env = await setupAdmin({ blogs: ["alice", "bob"], config: { domain: "blogs.example.com", ...config } });
  env.services.peer = () => "127.0.0.1"; // /tls-check answers this machine
  const dns = fakeDns();
  env.services.resolveTxt = dns.resolveTxt;
  const alice = env.browser("alice.blogs.example.com");
  expect((await alice.signIn()).status).toBe(303);
  const bob = env.browser("bob.blogs.example.com");
  expect((await bob.signIn("bob@example.com", TEST_PASSWORD)).status).toBe(303);
  const mapped = () =>
    existsSync(join(env.data, "domains.json"))
      ? JSON.parse(readFileSync(join(env.data, "domains.json"), "utf8")).domains
      : {};
  const tlsCheck = async (domain: string) =>
    (await request(env.handler, "127.0.0.1:3000", `/tls-check?domain=${domain}`)).status;
  return {
    ...env,
    dns,
    alice,
    bob,
    aliceCsrf: await alice.csrf("/admin/settings"),
    bobCsrf: await bob.csrf("/admin/settings"),
    mapped,
    tlsCheck,
  };
}

describe("custom domains need proof", () => {
  test("a claimed domain is pending, with the exact record to create, and neither the Host resolver nor /tls-check accept it until Check now finds it", async () => {
    const env = await twoAuthors();
    const claimed = await env.alice.post("/admin/settings/domain", { csrf: env.aliceCsrf, domain: "Blog.Example.org" });
    expect(claimed.status).toBe(303);
    const page = await (await env.alice.get(claimed.headers.get("location")!.replace(/#.*/, ""))).text();
    const token = getSettings(env.db("alice")).domain_token;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(page).toContain("<strong>blog.example.org</strong> is <strong>pending</strong>");
    expect(page).toContain("<code>_writekit.blog.example.org</code>");
    expect(page).toContain(`<code>${token}</code>`);
    expect(page).toContain('action="/admin/settings/domain/check"');
    expect(page).toContain(">Check now</button>");
    expect(getSettings(env.db("alice")).custom_domain).toBe("blog.example.org");
    expect(env.mapped()).toEqual({});
    expect((await request(env.handler, "blog.example.org", "/")).status).toBe(404);
    expect(await env.tlsCheck("blog.example.org")).toBe(404);

    const check = () => env.alice.post("/admin/settings/domain/check", { csrf: env.aliceCsrf });
    const missing = await check();
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("Not proven yet: there is no TXT record at _writekit.blog.example.org yet");
    expect(env.dns.asked).toEqual(["_writekit.blog.example.org"]);

    env.dns.records.set("_writekit.blog.example.org", [["v=spf1 -all"], ["0123456789abcdef0123456789abcdef"]]);
    const wrong = await check();
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain(
      "says &quot;v=spf1 -all&quot;, &quot;0123456789abcdef0123456789abcdef&quot;, not this blog&#x27;s token",
    );

    env.dns.fail("ESERVFAIL");
    const down = await check();
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("60");
    expect(await down.text()).toContain(
      "Not checked: DNS could not be asked for _writekit.blog.example.org (ESERVFAIL)",
    );
    env.dns.fail(null);
    expect(env.mapped()).toEqual({});

    // A long TXT record arrives in pieces, joined.
    env.dns.records.set("_writekit.blog.example.org", [["v=spf1 -all"], [token.slice(0, 10), token.slice(10)]]);
    const proven = await check();
    expect(proven.status).toBe(303);
    expect(proven.headers.get("location")).toBe("/admin/settings?saved=domain-live#domain");
    expect(env.mapped()).toEqual({ "blog.example.org": "alice" });
    expect(getSettings(env.db("alice")).domain_proven).toBe("blog.example.org");
    expect((await request(env.handler, "blog.example.org", "/")).status).toBe(200);
    expect(await env.tlsCheck("blog.example.org")).toBe(200);
    expect(await (await env.alice.get("/admin/settings")).text()).toContain(
      "<strong>blog.example.org</strong> is live",
    );
  });

  test("another blog's token proves nothing; pending claims do not block others, the first to prove a domain gets it", async () => {
    const env = await twoAuthors();
    await env.alice.post("/admin/settings/domain", { csrf: env.aliceCsrf, domain: "shared.example.org" });
    // Bob may claim what Alice has only claimed.
    expect(
      (await env.bob.post("/admin/settings/domain", { csrf: env.bobCsrf, domain: "shared.example.org" })).status,
    ).toBe(303);
    env.dns.records.set("_writekit.shared.example.org", [[getSettings(env.db("bob")).domain_token]]);
    expect((await env.alice.post("/admin/settings/domain/check", { csrf: env.aliceCsrf })).status).toBe(400);
    expect((await env.bob.post("/admin/settings/domain/check", { csrf: env.bobCsrf })).status).toBe(303);
    expect(env.mapped()).toEqual({ "shared.example.org": "bob" });
    // Now it is Bob's: Alice cannot prove it, nor claim it again.
    env.dns.records.set("_writekit.shared.example.org", [[getSettings(env.db("alice")).domain_token]]);
    const late = await env.alice.post("/admin/settings/domain/check", { csrf: env.aliceCsrf });
    expect(late.status).toBe(409);
    expect(await late.text()).toContain("already used by another blog");
    expect(
      (await env.alice.post("/admin/settings/domain", { csrf: env.aliceCsrf, domain: "shared.example.org" })).status,
    ).toBe(409);
    expect(env.mapped()).toEqual({ "shared.example.org": "bob" });
    // Emptying the field releases it at once.
    expect((await env.bob.post("/admin/settings/domain", { csrf: env.bobCsrf, domain: "" })).status).toBe(303);
    expect(env.mapped()).toEqual({});
    expect(getSettings(env.db("bob"))).toMatchObject({ custom_domain: "", domain_proven: "" });
    expect((await request(env.handler, "shared.example.org", "/")).status).toBe(404);
  });

  test("moving to another domain takes the old one offline at once; the new one waits for its proof", async () => {
    const env = await twoAuthors();
    await env.alice.post("/admin/settings/domain", { csrf: env.aliceCsrf, domain: "old.example.org" });
    const token = getSettings(env.db("alice")).domain_token;
    env.dns.records.set("_writekit.old.example.org", [[token]]);
    await env.alice.post("/admin/settings/domain/check", { csrf: env.aliceCsrf });
    expect(env.mapped()).toEqual({ "old.example.org": "alice" });
    await env.alice.post("/admin/settings/domain", { csrf: env.aliceCsrf, domain: "new.example.org" });
    expect(env.mapped()).toEqual({});
    expect(getSettings(env.db("alice"))).toMatchObject({
      custom_domain: "new.example.org",
      domain_token: token,
      domain_proven: "",
    });
    expect(await env.tlsCheck("old.example.org")).toBe(404);
  });

  test("a name under the server's parent domain is refused unless the operator allows it; names inside --domain always are", async () => {
    const env = await twoAuthors();
    for (const domain of ["evil.example.com", "example.com", "WWW.Example.Com"]) {
      const r = await env.alice.post("/admin/settings/domain", { csrf: env.aliceCsrf, domain });
      expect(r.status).toBe(400);
      expect(await r.text()).toContain(
        "is under example.com, the domain this server&#x27;s own address (blogs.example.com) belongs to",
      );
    }
    const inside = await env.alice.post("/admin/settings/domain", {
      csrf: env.aliceCsrf,
      domain: "bob.blogs.example.com",
    });
    expect(await inside.text()).toContain("inside this server&#x27;s own domain");
    expect(getSettings(env.db("alice")).custom_domain).toBe("");

    const allowed = await twoAuthors({ allowParentDomain: true });
    expect(
      (await allowed.alice.post("/admin/settings/domain", { csrf: allowed.aliceCsrf, domain: "evil.example.com" }))
        .status,
    ).toBe(303);
    expect(
      (await allowed.alice.post("/admin/settings/domain", { csrf: allowed.aliceCsrf, domain: "bob.blogs.example.com" }))
        .status,
    ).toBe(400);
    // Allowed, but still only once proven.
    expect(allowed.mapped()).toEqual({});
  });

  test("Check now and the domain form need the session's token", async () => {
    const env = await twoAuthors();
    await env.alice.post("/admin/settings/domain", { csrf: env.aliceCsrf, domain: "blog.example.org" });
    env.dns.records.set("_writekit.blog.example.org", [[getSettings(env.db("alice")).domain_token]]);
    expect((await env.alice.post("/admin/settings/domain/check", {})).status).toBe(403);
    expect(
      (
        await env.alice.post(
          "/admin/settings/domain/check",
          { csrf: env.aliceCsrf },
          { origin: "https://evil.example" },
        )
      ).status,
    ).toBe(403);
    expect(env.mapped()).toEqual({});
    expect(hiddenField(await (await env.alice.get("/admin/settings")).text(), "csrf")).toBe(env.aliceCsrf);
  });
});
