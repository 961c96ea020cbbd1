// Shared fixtures for the admin tests: a blog, the handler driven through handler.handle with a movable
// clock and peer, and a tiny cookie jar that signs in through the real form.
import type { Config } from "../../../src/config.ts";
import { parseTenantName } from "../../../src/tenants/names.ts";
import { makeBlog, makeServer, request, tempDir, TEST_PASSWORD, type Handler } from "../../helpers.ts";

export const HOST = "alice.localhost";
export const EMAIL = "alice@example.com";

export function cookiesOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of response.headers.getSetCookie()) {
    const [pair] = c.split(";");
    const eq = pair.indexOf("=");
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function hiddenField(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no hidden field ${name} in page`);
  return m[1]
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">");
}

export class Browser {
  jar = new Map<string, string>();
  constructor(
    readonly handler: Handler,
    readonly host = HOST,
    readonly headers: Record<string, string> = {},
  ) {}

  private store(r: Response): Response {
    for (const [k, v] of Object.entries(cookiesOf(r))) {
      if (v === "") this.jar.delete(k);
      else this.jar.set(k, v);
    }
    return r;
  }

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.store(
      await request(this.handler, this.host, path, {
        headers: { ...this.headers, cookie: this.cookieHeader(), ...headers },
      }),
    );
  }

  async post(
    path: string,
    fields: Record<string, string> | [string, string][],
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return this.store(
      await request(this.handler, this.host, path, {
        method: "POST",
        body: new URLSearchParams(fields),
        headers: { ...this.headers, cookie: this.cookieHeader(), ...headers },
      }),
    );
  }

  /** A multipart form post, as a browser sends a form with a file input. */
  async postForm(path: string, form: FormData, headers: Record<string, string> = {}): Promise<Response> {
    return this.store(
      await request(this.handler, this.host, path, {
        method: "POST",
        body: form,
        headers: { ...this.headers, cookie: this.cookieHeader(), ...headers },
      }),
    );
  }

  /** Signs in through the real form; returns the answer to the POST. */
  async signIn(email = EMAIL, password = TEST_PASSWORD): Promise<Response> {
    const form = await (await this.get("/admin/login")).text();
    return this.post("/admin/login", { email, password, csrf: hiddenField(form, "csrf"), next: "/admin" });
  }

  /** The session's CSRF token, read from a signed-in page's forms. */
  async csrf(path = "/admin"): Promise<string> {
    return hiddenField(await (await this.get(path)).text(), "csrf");
  }
}

export async function setupAdmin(options: { peer?: string; blogs?: string[]; config?: Partial<Config> } = {}) {
  const data = tempDir();
  for (const name of options.blogs ?? ["alice"]) await makeBlog(data, name);
  const { handler, services } = makeServer(data, options.config);
  let now = new Date("2026-05-01T10:00:00Z");
  services.now = () => now;
  let peer = options.peer ?? "203.0.113.9";
  services.peer = () => peer;
  const db = (name = "alice") => services.pool.get(parseTenantName(name)).db;
  return {
    data,
    handler,
    services,
    db,
    browser: (host = HOST, headers: Record<string, string> = {}) => new Browser(handler, host, headers),
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
    setPeer: (p: string) => (peer = p),
    now: () => now,
  };
}

export async function signedInBrowser(options: Parameters<typeof setupAdmin>[0] = {}) {
  const env = await setupAdmin(options);
  const b = env.browser();
  const r = await b.signIn();
  if (r.status !== 303) throw new Error(`sign-in failed: ${r.status} ${await r.text()}`);
  return { ...env, b, csrf: await b.csrf() };
}
