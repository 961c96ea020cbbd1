// Request body limits through a real socket (`writekit serve`): Bun.serve takes bodies up to the
// upload limit, and the front door holds every other route to the general limit, chunked or not.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { MAX_BODY_BYTES, UPLOAD_MAX_BODY_BYTES } from "../../src/web/http.ts";
import { startServer, type Server } from "../browser/browser.ts";
import { makeBlog, tempDir, TEST_PASSWORD } from "../helpers.ts";
import { pngOfSize } from "../media-files.ts";
import { cookiesOf, hiddenField } from "./admin/admin.ts";

describe("request body limits on the socket", () => {
  let server: Server;
  let data: string;
  let cookie = "";
  let csrf = "";
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  const host = () => ({ host: `alice.localhost:${server.port}` });
  const mediaCount = () => {
    const db = new Database(join(data, "tenants", "alice.db"), { readonly: true });
    try {
      return (db.query("SELECT count(*) AS n FROM media").get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const upload = (bytes: Uint8Array<ArrayBuffer>) => {
    const form = new FormData();
    form.set("csrf", csrf);
    form.set("image", new File([bytes], "big.png", { type: "image/png" }));
    form.set("alt", "");
    return fetch(url("/admin/media"), {
      method: "POST",
      body: form,
      headers: { ...host(), cookie },
      redirect: "manual",
    });
  };
  /** A body sent in chunks, without a Content-Length. */
  const chunked = (text: string) =>
    new ReadableStream({
      start(controller) {
        const bytes = new TextEncoder().encode(text);
        for (let i = 0; i < bytes.length; i += 256 * 1024) controller.enqueue(bytes.subarray(i, i + 256 * 1024));
        controller.close();
      },
    });

  beforeAll(async () => {
    data = tempDir();
    await makeBlog(data, "alice");
    server = await startServer(data);
    const login = await fetch(url("/admin/login"), { headers: host() });
    const loginCookie = Object.entries(cookiesOf(login))
      .map(([k, v]) => `${k}=${v}`)
      .join("; ");
    const signedIn = await fetch(url("/admin/login"), {
      method: "POST",
      headers: { ...host(), cookie: loginCookie },
      body: new URLSearchParams({
        email: "alice@example.com",
        password: TEST_PASSWORD,
        csrf: hiddenField(await login.text(), "csrf"),
        next: "/admin",
      }),
      redirect: "manual",
    });
    expect(signedIn.status).toBe(303);
    cookie = Object.entries(cookiesOf(signedIn))
      .map(([k, v]) => `${k}=${v}`)
      .join("; ");
    csrf = hiddenField(await (await fetch(url("/admin/media"), { headers: { ...host(), cookie } })).text(), "csrf");
    await fetch(url("/hello"), { headers: host() });
  }, 60_000);

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
  }, 60_000);

  test("an image of 5 MiB, over the general limit, is taken by the upload route", async () => {
    const r = await upload(pngOfSize(5 * 1024 * 1024));
    expect(r.status).toBe(303);
    expect(mediaCount()).toBe(1);
  }, 60_000);

  test("an upload past the upload limit gets the 413 page before it is read; nothing is stored", async () => {
    const r = await upload(pngOfSize(UPLOAD_MAX_BODY_BYTES));
    expect(r.status).toBe(413);
    const html = await r.text();
    expect(html).toContain("an image may be at most 10.0 MiB. Nothing was stored.");
    expect(r.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(mediaCount()).toBe(1);
  }, 60_000);

  test("every other route keeps the general limit, with a Content-Length or chunked", async () => {
    const big = "body=" + "x".repeat(MAX_BODY_BYTES + 10);
    const form = { ...host(), "content-type": "application/x-www-form-urlencoded" };
    const sized = await fetch(url("/hello/comments"), { method: "POST", headers: form, body: big });
    expect(sized.status).toBe(413);
    expect(await sized.text()).toContain("the limit is 2.0 MiB");
    const streamed = await fetch(url("/hello/comments"), {
      method: "POST",
      headers: form,
      body: chunked(big),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const settings = await fetch(url("/admin/settings/css"), {
      method: "POST",
      headers: { ...form, cookie },
      body: chunked(`csrf=${csrf}&css=${"a".repeat(MAX_BODY_BYTES)}`),
      duplex: "half",
    } as RequestInit);
    expect(settings.status).toBe(413);
    // A small chunked body still reaches its route (here a 404: the blog has no post "hello").
    const small = await fetch(url("/hello/comments"), {
      method: "POST",
      headers: form,
      body: chunked("name=Rita&body=Hi"),
      duplex: "half",
    } as RequestInit);
    expect(small.status).toBe(404);
  }, 60_000);
});
