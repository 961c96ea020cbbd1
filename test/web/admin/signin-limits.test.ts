import { describe, expect, test } from "bun:test";
import { parseTenantName } from "../../../src/tenants/names.ts";
import {
  PASSWORD_BUSY_RETRY_S,
  PASSWORD_MAX_WAITING,
  PASSWORD_PERMITS,
  PasswordGate,
  type Argon,
} from "../../../src/web/passwordgate.ts";
import { makeBlog, makeServer, tempDir, TEST_PASSWORD } from "../../helpers.ts";
import { Browser, EMAIL, hiddenField, setupAdmin } from "./admin.ts";

/** Bun's argon2id behind a counter: how many verifications ran, and the most at once. */
function countingArgon(options: { workMs?: number; hold?: () => Promise<void> } = {}) {
  const seen = { verifications: 0, inFlight: 0, maxInFlight: 0 };
  const argon: Argon = {
    async verify(password, hash) {
      seen.verifications++;
      seen.maxInFlight = Math.max(seen.maxInFlight, ++seen.inFlight);
      try {
        await options.hold?.();
        // Stands for argon2id's ~140 ms, so requests overlap as they do on a real server.
        if (options.workMs) await Bun.sleep(options.workMs);
        return await Bun.password.verify(password, hash);
      } finally {
        seen.inFlight--;
      }
    },
    hash: (password) => Bun.password.hash(password, { algorithm: "argon2id", memoryCost: 4096, timeCost: 1 }),
  };
  return { argon, seen };
}

function gate(argon: Argon): PasswordGate {
  return new PasswordGate({ permits: PASSWORD_PERMITS, maxWaiting: PASSWORD_MAX_WAITING, argon });
}

describe("sign-in under a flood", () => {
  test("50 parallel wrong passwords from one client get at most 5 verifications and the rest 429, with no more than the gate's permits running at once", async () => {
    const env = await setupAdmin();
    const { argon, seen } = countingArgon({ workMs: 20 });
    env.services.passwords = gate(argon);
    const b = env.browser();
    const csrf = hiddenField(await (await b.get("/admin/login")).text(), "csrf");
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => b.post("/admin/login", { email: EMAIL, password: `wrong ${i}`, csrf })),
    );
    const statuses = answers.map((r) => r.status);
    expect(seen.verifications).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 401)).toHaveLength(seen.verifications);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50 - seen.verifications);
    expect(seen.maxInFlight).toBeLessThanOrEqual(PASSWORD_PERMITS);
    // And the right password is refused too until the window has passed.
    expect((await b.signIn()).status).toBe(429);
  }, 20_000);

  test("beyond the gate's line, a sign-in gets 503 with Retry-After and a page saying the server is busy, without counting against the client", async () => {
    const env = await setupAdmin();
    const { argon, seen } = countingArgon({ workMs: 40 });
    env.services.passwords = gate(argon);
    // Each request from its own address, so no client reaches its own limit.
    env.services.peer = (request) => request.headers.get("x-test-peer");
    const b = env.browser();
    const csrf = hiddenField(await (await b.get("/admin/login")).text(), "csrf");
    const clients = 30;
    const answers = await Promise.all(
      Array.from({ length: clients }, (_, i) =>
        b.post(
          "/admin/login",
          { email: EMAIL, password: "wrong password", csrf },
          { "x-test-peer": `198.51.100.${i + 1}` },
        ),
      ),
    );
    const admitted = PASSWORD_PERMITS + PASSWORD_MAX_WAITING;
    expect(answers.filter((r) => r.status === 401)).toHaveLength(admitted);
    const busy = answers.filter((r) => r.status === 503);
    expect(busy).toHaveLength(clients - admitted);
    expect(busy[0].headers.get("retry-after")).toBe(String(PASSWORD_BUSY_RETRY_S));
    expect(await busy[0].text()).toContain("The server is busy");
    expect(seen.verifications).toBe(admitted);
    expect(seen.maxInFlight).toBeLessThanOrEqual(PASSWORD_PERMITS);
    // A client that was told "busy" was not counted: it still has all its attempts.
    const refused = answers.findIndex((r) => r.status === 503);
    const again = await b.post(
      "/admin/login",
      { email: EMAIL, password: TEST_PASSWORD, csrf },
      { "x-test-peer": `198.51.100.${refused + 1}` },
    );
    expect(again.status).toBe(303);
  }, 20_000);
});

describe("a blog evicted while its password is checked", () => {
  async function tinyPool() {
    const data = tempDir();
    await makeBlog(data, "alice");
    await makeBlog(data, "bob");
    const { handler, services } = makeServer(data, { maxOpen: 1 });
    services.peer = () => "203.0.113.9";
    let release: () => void = () => {};
    let held: Promise<void> | null = null;
    let entered: () => void = () => {};
    let verifying = new Promise<void>((resolve) => (entered = resolve));
    const { argon } = countingArgon({
      hold: async () => {
        entered();
        if (held) await held;
      },
    });
    services.passwords = gate(argon);
    /** The next verifications wait until `resume()`; `started` resolves when one has begun. */
    const pause = () => {
      held = new Promise((resolve) => (release = resolve));
      verifying = new Promise((resolve) => (entered = resolve));
      return { started: verifying, resume: () => ((held = null), release()) };
    };
    return { handler, services, pause };
  }

  test("signing in still works when the pool closes the blog during the verify (the request holds a lease)", async () => {
    const { handler, services, pause } = await tinyPool();
    const alice = new Browser(handler);
    const form = await (await alice.get("/admin/login")).text();
    const paused = pause();
    const signingIn = alice.post("/admin/login", {
      email: EMAIL,
      password: TEST_PASSWORD,
      csrf: hiddenField(form, "csrf"),
      next: "/admin",
    });
    await paused.started;
    // Another blog's admin takes the pool's only slot.
    expect((await new Browser(handler, "bob.localhost").get("/admin/login")).status).toBe(200);
    expect(services.pool.peek(parseTenantName("alice"))).toBeUndefined();
    paused.resume();
    const r = await signingIn;
    expect(r.status).toBe(303);
    expect((await alice.get("/admin")).status).toBe(200);
  }, 15_000);

  test("changing the password still works when the pool closes the blog during the verify", async () => {
    const { handler, services, pause } = await tinyPool();
    const alice = new Browser(handler);
    expect((await alice.signIn()).status).toBe(303);
    const csrf = await alice.csrf("/admin/settings");
    const paused = pause();
    const changing = alice.post("/admin/password", {
      csrf,
      current: TEST_PASSWORD,
      password: "a brand new password",
      confirm: "a brand new password",
    });
    await paused.started;
    expect((await new Browser(handler, "bob.localhost").get("/admin/login")).status).toBe(200);
    expect(services.pool.peek(parseTenantName("alice"))).toBeUndefined();
    paused.resume();
    expect((await changing).status).toBe(303);
    expect((await new Browser(handler).signIn(EMAIL, "a brand new password")).status).toBe(303);
  }, 15_000);
});
