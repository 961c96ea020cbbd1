import { Database } from "bun:sqlite";
import { describe, expect, spyOn, test } from "bun:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { hashPassword } from "../../../src/blog/authors.ts";
import { DUMMY_HASH } from "../../../src/web/admin/login.tsx";
import { ADMIN_CSP } from "../../../src/web/http.ts";
import { request, TEST_PASSWORD } from "../../helpers.ts";
import { cookiesOf, EMAIL, HOST, hiddenField, setupAdmin, signedInBrowser } from "./admin.ts";

function sessionRows(data: string, blog = "alice") {
  const db = new Database(join(data, "tenants", `${blog}.db`), { readonly: true });
  const rows = db.query("SELECT token_hash, expires_at FROM sessions").all() as {
    token_hash: string;
    expires_at: string;
  }[];
  db.close();
  return rows;
}

function expectAdminHeaders(r: Response) {
  expect(r.headers.get("content-security-policy")).toBe(ADMIN_CSP);
  expect(r.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  expect(r.headers.get("referrer-policy")).toBeTruthy();
  expect(r.headers.get("cache-control")).toBe("no-store");
}

describe("signing in", () => {
  test("the admin sends a signed-out visitor to a sign-in form with Email, Password and Sign in", async () => {
    const { browser } = await setupAdmin();
    const b = browser();
    const r = await b.get("/admin/posts/new");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/admin/login?next=%2Fadmin%2Fposts%2Fnew");
    const page = await b.get("/admin/login");
    expect(page.status).toBe(200);
    expectAdminHeaders(page);
    const html = await page.text();
    expect(html).toContain('<label for="email">Email</label>');
    expect(html).toContain('<input type="email" id="email" name="email"');
    expect(html).toContain('<label for="password">Password</label>');
    expect(html).toContain('<input type="password" id="password" name="password"');
    expect(html).toContain('<form class="stack" method="post" action="/admin/login">');
    expect(html).toContain(">Sign in</button>");
    expect(html).not.toContain("<script");
  });

  test("a right password starts a session: HttpOnly, SameSite=Lax cookie, only its SHA-256 stored, with an expiry", async () => {
    const { browser, data } = await setupAdmin();
    const b = browser();
    const r = await b.signIn();
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/admin");
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith("writekit_session="))!;
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain("Secure");
    const token = cookiesOf(r).writekit_session;
    expect(token.length).toBeGreaterThanOrEqual(43);
    const rows = sessionRows(data);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(rows[0].token_hash).not.toContain(token);
    expect(rows[0].expires_at).toBe("2026-05-15T10:00:00Z");
    const admin = await b.get("/admin");
    expect(admin.status).toBe(200);
    expectAdminHeaders(admin);
    expect(await admin.text()).toContain("Sign out");
  });

  test("the cookie is Secure when the request came over HTTPS through a trusted proxy, not when an untrusted peer says so", async () => {
    const proxied = await setupAdmin({ peer: "127.0.0.1" });
    proxied.services.config.trustedProxies = ["127.0.0.1"]; // no proxy is trusted by default
    const viaProxy = proxied.browser(HOST, { "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7" });
    expect((await viaProxy.signIn()).headers.getSetCookie().find((c) => c.startsWith("writekit_session="))).toContain(
      "; Secure",
    );
    const direct = await setupAdmin({ peer: "203.0.113.5" });
    const spoofed = direct.browser(HOST, { "x-forwarded-proto": "https" });
    expect(
      (await spoofed.signIn()).headers.getSetCookie().find((c) => c.startsWith("writekit_session=")),
    ).not.toContain("Secure");
  });

  test("a wrong password and an unknown email get the same message, keep the email, and start no session", async () => {
    const { browser, data } = await setupAdmin();
    const wrong = await browser().signIn(EMAIL, "not the password");
    const unknown = await browser().signIn("nobody@example.com", TEST_PASSWORD);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expectAdminHeaders(wrong);
    const [a, b] = [await wrong.text(), await unknown.text()];
    const message = "That email and password do not match an author of this blog.";
    expect(a).toContain(message);
    expect(b).toContain(message);
    expect(a).toContain(`value="${EMAIL}"`);
    expect(a).not.toMatch(/unknown|no such|wrong password/i);
    expect(sessionRows(data)).toEqual([]);
  });

  test("an unknown email is verified against a dummy argon2id hash with the real parameters, so it costs what a wrong password costs", async () => {
    const { browser } = await setupAdmin();
    const verify = spyOn(Bun.password, "verify");
    try {
      await browser().signIn("nobody@example.com", "whatever password");
      expect(verify).toHaveBeenCalledTimes(1);
      expect(verify.mock.calls[0][1]).toBe(DUMMY_HASH);
    } finally {
      verify.mockRestore();
    }
    // Same algorithm, memory, time and parallelism as a password `tenant create` stores: the same cost.
    const params = (hash: string) => hash.split("$").slice(1, 4).join("$");
    expect(params(DUMMY_HASH)).toBe(params(await hashPassword("a real long password")));
    expect(params(DUMMY_HASH)).toStartWith("argon2id$v=19$m=65536");
  });

  test("a session of one blog means nothing on another", async () => {
    const env = await setupAdmin({ blogs: ["alice", "bob"] });
    const alice = env.browser();
    await alice.signIn();
    const token = alice.jar.get("writekit_session")!;
    const onBob = await request(env.handler, "bob.localhost", "/admin", {
      headers: { cookie: `writekit_session=${token}` },
    });
    expect(onBob.status).toBe(303);
    expect(onBob.headers.get("location")).toBe("/admin/login");
    // Bob's author cannot sign in to Alice's blog either.
    expect((await env.browser().signIn("bob@example.com")).status).toBe(401);
  });

  test("a session expires after 14 days", async () => {
    const { b, advance } = await signedInBrowser();
    advance(13 * 24 * 3600 * 1000);
    expect((await b.get("/admin")).status).toBe(200);
    advance(2 * 24 * 3600 * 1000);
    expect((await b.get("/admin")).status).toBe(303);
  });

  test("a sign-in post without the form's token, or from another site, signs nobody in", async () => {
    const { browser, data } = await setupAdmin();
    const noToken = await browser().post("/admin/login", { email: EMAIL, password: TEST_PASSWORD });
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain("form had expired");
    expect(cookiesOf(noToken).writekit_session).toBeUndefined();
    // A token from the attacker's own visit does not match the victim's cookie.
    const attacker = browser();
    const token = hiddenField(await (await attacker.get("/admin/login")).text(), "csrf");
    const victim = browser();
    await victim.get("/admin/login");
    expect((await victim.post("/admin/login", { email: EMAIL, password: TEST_PASSWORD, csrf: token })).status).toBe(
      403,
    );
    const b = browser();
    const form = await (await b.get("/admin/login")).text();
    const crossSite = await b.post(
      "/admin/login",
      { email: EMAIL, password: TEST_PASSWORD, csrf: hiddenField(form, "csrf") },
      { origin: "https://evil.example" },
    );
    expect(crossSite.status).toBe(403);
    expectAdminHeaders(crossSite);
    expect(await crossSite.text()).toContain("another website");
    expect(sessionRows(data)).toEqual([]);
  });

  test("after 5 failures a client gets 429 with Retry-After, without the password being hashed, until 15 minutes pass", async () => {
    const { browser, advance, setPeer } = await setupAdmin();
    const b = browser();
    for (let i = 0; i < 5; i++) expect((await b.signIn(EMAIL, `wrong ${i}`)).status).toBe(401);
    const verify = spyOn(Bun.password, "verify");
    try {
      const limited = await b.signIn();
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBe(15 * 60);
      expectAdminHeaders(limited);
      const html = await limited.text();
      expect(html).toContain("Too many sign-in attempts");
      expect(html).toContain("try again in 15 minutes (at 1 May 2026, 10:15)");
      expect(verify).not.toHaveBeenCalled();
    } finally {
      verify.mockRestore();
    }
    // Another client is not affected.
    setPeer("198.51.100.20");
    expect((await browser().signIn()).status).toBe(303);
    setPeer("203.0.113.9");
    advance(10 * 60 * 1000);
    const later = await b.signIn();
    expect(later.status).toBe(429);
    expect(Number(later.headers.get("retry-after"))).toBe(5 * 60);
    advance(5 * 60 * 1000);
    expect((await b.signIn()).status).toBe(303);
  });

  test("failures on one blog do not lock the same client out of another", async () => {
    const env = await setupAdmin({ blogs: ["alice", "bob"] });
    for (let i = 0; i < 6; i++) await env.browser().signIn(EMAIL, "wrong");
    expect((await env.browser().signIn()).status).toBe(429);
    expect((await env.browser("bob.localhost").signIn("bob@example.com")).status).toBe(303);
  });

  test("signing out needs the session's token, ends the session and clears the cookie", async () => {
    const { b, csrf, data } = await signedInBrowser();
    const token = b.jar.get("writekit_session")!;
    expect((await b.post("/admin/logout", {})).status).toBe(403);
    expect((await b.post("/admin/logout", { csrf: "x".repeat(43) })).status).toBe(403);
    expect(sessionRows(data)).toHaveLength(1);
    const out = await b.post("/admin/logout", { csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/admin/login?signed_out=1");
    expect(out.headers.getSetCookie().find((c) => c.startsWith("writekit_session="))).toContain("Max-Age=0");
    expect(sessionRows(data)).toEqual([]);
    expect(await b.get("/admin/login?signed_out=1").then((r) => r.text())).toContain("You are signed out.");
    const replay = await request(b.handler, HOST, "/admin", { headers: { cookie: `writekit_session=${token}` } });
    expect(replay.status).toBe(303);
  });

  test("next only ever leads to this blog's admin", async () => {
    const { browser } = await setupAdmin();
    for (const [next, expected] of [
      ["/admin/settings", "/admin/settings"],
      ["https://evil.example/", "/admin"],
      ["//evil.example", "/admin"],
      ["/admin/../x", "/admin"],
      ["/adminx", "/admin"],
    ]) {
      const b = browser();
      const form = await (await b.get("/admin/login")).text();
      const r = await b.post("/admin/login", {
        email: EMAIL,
        password: TEST_PASSWORD,
        csrf: hiddenField(form, "csrf"),
        next,
      });
      expect(r.headers.get("location")).toBe(expected);
    }
  });

  test("the admin exists only on a blog's host", async () => {
    const { handler } = await setupAdmin();
    expect((await request(handler, "localhost", "/admin/login")).status).toBe(404);
    expect((await request(handler, "nobody.localhost", "/admin/login")).status).toBe(404);
  });
});

describe("CSRF on the author's forms", () => {
  test("a post without the session's token, with a wrong one, or from another site changes nothing", async () => {
    const { b, csrf, db } = await signedInBrowser();
    const fields = { title: "Sneaky", body: "x", action: "publish" };
    const missing = await b.post("/admin/posts", fields);
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain("nothing was changed");
    expect(
      (await b.post("/admin/posts", { ...fields, csrf: csrf.slice(0, -1) + (csrf.endsWith("A") ? "B" : "A") })).status,
    ).toBe(403);
    const crossSite = await b.post("/admin/posts", { ...fields, csrf }, { origin: "http://evil.localhost" });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toContain("Refused: sent from another site");
    expect((await b.post("/admin/posts", { ...fields, csrf }, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await b.post("/admin/posts", { ...fields, csrf }, { origin: "null" })).status).toBe(403);
    expect((db().query("SELECT count(*) AS n FROM posts").get() as { n: number }).n).toBe(0);
    // The same form from the blog's own origin goes through.
    expect(
      (
        await b.post(
          "/admin/posts",
          { ...fields, csrf },
          { origin: "http://alice.localhost", "sec-fetch-site": "same-origin" },
        )
      ).status,
    ).toBe(303);
  });

  test("a signed-out post is told that nothing was saved", async () => {
    const { browser } = await setupAdmin();
    const r = await browser().post("/admin/posts", { title: "T", body: "b", csrf: "whatever" });
    expect(r.status).toBe(401);
    expect(await r.text()).toContain("nothing was saved");
  });
});
