import { describe, expect, test } from "bun:test";
import { TEST_PASSWORD } from "../../helpers.ts";
import { HOST, setupAdmin } from "./admin.ts";

/** Two clients at once: each request's peer comes from its own header. */
async function twoClients() {
  const env = await setupAdmin();
  env.services.peer = (request) => request.headers.get("x-test-peer");
  const author = env.browser(HOST, { "x-test-peer": "203.0.113.9", "user-agent": "Author's Firefox/140" });
  const other = env.browser(HOST, {
    "x-test-peer": "2001:db8:7::42",
    "user-agent": "<script>alert(1)</script> Thief/1",
  });
  expect((await author.signIn()).status).toBe(303);
  expect((await other.signIn()).status).toBe(303);
  return { ...env, author, other };
}

describe("the author's sessions", () => {
  test("a thief's wrong guesses at the current password do not keep the author, on another client, from changing it", async () => {
    const env = await twoClients();
    const thiefCsrf = await env.other.csrf("/admin/settings");
    const guess = (current: string) =>
      env.other.post("/admin/password", {
        csrf: thiefCsrf,
        current,
        password: "the thief's password",
        confirm: "the thief's password",
      });
    for (let i = 0; i < 5; i++) expect((await guess(`guess ${i}`)).status).toBe(400);
    const limited = await guess("guess 6");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBeTruthy();
    // The author, on their own client, is not limited, and the change ends the thief's session.
    const csrf = await env.author.csrf("/admin/settings");
    const changed = await env.author.post("/admin/password", {
      csrf,
      current: TEST_PASSWORD,
      password: "a brand new password",
      confirm: "a brand new password",
    });
    expect(changed.status).toBe(303);
    expect((await env.other.get("/admin")).status).toBe(303);
    expect((await env.author.get("/admin")).status).toBe(200);
  });

  test("the settings page lists every session: when it started, from which client, which browser, and which is this one", async () => {
    const env = await twoClients();
    const html = await (await env.author.get("/admin/settings")).text();
    expect(html).toContain("Where you are signed in");
    const rows = html.slice(html.indexOf('<table class="sessions-table">'), html.indexOf("</table>"));
    expect(rows.match(/<tr>/g)).toHaveLength(3); // the head and two sessions
    expect(rows).toContain("1 May 2026, 10:00");
    expect(rows).toContain("203.0.113.9");
    expect(rows).toContain("2001:db8:7::42");
    expect(rows).toContain("Author&#x27;s Firefox/140");
    expect(rows).toContain("&lt;script&gt;alert(1)&lt;/script&gt; Thief/1");
    expect(rows).not.toContain("<script>");
    expect(rows.match(/\(this browser\)/g)).toHaveLength(1);
    expect(rows.indexOf("(this browser)")).toBeGreaterThan(rows.indexOf("Author&#x27;s Firefox"));
    const stored = env.db().query("SELECT client, user_agent FROM sessions ORDER BY client").all();
    expect(stored).toEqual([
      { client: "2001:db8:7::42", user_agent: "<script>alert(1)</script> Thief/1" },
      { client: "203.0.113.9", user_agent: "Author's Firefox/140" },
    ]);
  });

  test("Sign out everywhere else needs the session's token, ends every other session of the author and keeps this one", async () => {
    const env = await twoClients();
    expect((await env.author.post("/admin/sign-out-everywhere", {})).status).toBe(403);
    expect((await env.other.get("/admin")).status).toBe(200);
    const csrf = await env.author.csrf("/admin/settings");
    const r = await env.author.post("/admin/sign-out-everywhere", { csrf });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/admin/settings?saved=sessions#sessions");
    expect((await env.other.get("/admin")).status).toBe(303);
    const page = await (await env.author.get("/admin/settings?saved=sessions")).text();
    expect(page).toContain("Signed out everywhere else");
    expect(page).not.toContain("Thief/1");
    expect((env.db().query("SELECT count(*) AS n FROM sessions").get() as { n: number }).n).toBe(1);
    const again = await env.author.post("/admin/sign-out-everywhere", { csrf });
    expect(again.headers.get("location")).toBe("/admin/settings?saved=sessions-none#sessions");
  });
});
