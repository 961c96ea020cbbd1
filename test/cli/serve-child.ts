// A real `writekit serve` child process for CLI tests that need one running (restore, tenant
// password), and an author signing in to it the way a browser does.
import { join } from "node:path";
import { BUN, REPO } from "../helpers.ts";

export async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

/** Polls until `check` is true, at most `limitMs`: a process-level test waits on a condition, never blindly. */
export async function until(check: () => boolean | Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`gave up waiting for ${what}`);
    await Bun.sleep(25);
  }
}

export interface ServeChild {
  port: number;
  /** GET (or any method) on the blog `name`, by its Host. */
  fetchBlog(name: string, path: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM, then the exit code and everything it logged. */
  stop(): Promise<{ code: number; stderr: string }>;
}

export async function startServe(data: string): Promise<ServeChild> {
  const port = await freePort();
  const proc = Bun.spawn(
    [BUN, join(REPO, "src/main.ts"), "serve", "--data", data, "--port", String(port), "--hostname", "127.0.0.1"],
    {
      stdout: "ignore",
      stderr: "pipe",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
    },
  );
  const stderr = new Response(proc.stderr).text();
  const base = `http://127.0.0.1:${port}`;
  await until(
    () =>
      fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    "the server to answer /healthz",
  );
  return {
    port,
    fetchBlog: (name, path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("host", `${name}.localhost:${port}`);
      return fetch(base + path, { ...init, headers, redirect: "manual" });
    },
    stop: async () => {
      proc.kill("SIGTERM");
      return { code: await proc.exited, stderr: await stderr };
    },
  };
}

function cookieValue(response: Response, name: string): string | undefined {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return cookie?.slice(name.length + 1).split(";")[0];
}

/** Signs in through /admin/login as a browser does; the session cookie, or null with the status when refused. */
export async function signIn(
  server: ServeChild,
  blog: string,
  email: string,
  password: string,
): Promise<{ status: number; session: string | null }> {
  const form = await server.fetchBlog(blog, "/admin/login");
  const html = await form.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  const login = cookieValue(form, "writekit_login");
  if (!csrf || !login) throw new Error(`no sign-in form on ${blog} (status ${form.status})`);
  const r = await server.fetchBlog(blog, "/admin/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: `writekit_login=${login}` },
    body: new URLSearchParams({ email, password, csrf }),
  });
  return { status: r.status, session: cookieValue(r, "writekit_session") ?? null };
}

/** The status of the admin's front page for this session: 200 signed in, a redirect to sign-in when not. */
export async function adminStatus(server: ServeChild, blog: string, session: string): Promise<number> {
  return (await server.fetchBlog(blog, "/admin", { headers: { cookie: `writekit_session=${session}` } })).status;
}
