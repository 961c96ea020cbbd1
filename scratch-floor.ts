import { Database, constants } from "bun:sqlite";
import { existsSync, mkdirSync, copyFileSync, statSync } from "node:fs";
import { spawnSync } from "bun";
import { makeBlogs } from "./bench/blogs.ts";
import { listTenantNames, tenantPath, type TenantName } from "./src/tenants/names.ts";
import { openBlogDatabase } from "./src/tenants/open.ts";
import { migrate } from "./src/tenants/migrate.ts";
import { getSettings } from "./src/blog/settings.ts";
import { getVisiblePost, listVisiblePosts, nextScheduledTime, listVisiblePostsFull } from "./src/blog/posts.ts";
import { listApprovedComments } from "./src/blog/comments.ts";
import { PostPage } from "./src/web/reader/pages/PostPage.tsx";
import { HomePage } from "./src/web/reader/pages/HomePage.tsx";
import { atomFeed } from "./src/blog/feed.ts";
import { trimWalIndex } from "./src/tenants/walindex.ts";
import { dataVersionOf, fileFingerprint } from "./src/tenants/changes.ts";

const dir = "/tmp/floor-data";
let names: TenantName[];
if (!existsSync(dir + "/tenants")) {
  const f = makeBlogs(3000, "/tmp");
  spawnSync(["mv", f.dataDir, dir]);
}
names = listTenantNames(dir);
// prime -wal/-shm
for (const n of names.slice(0, 3000)) { const db = openBlogDatabase(tenantPath(dir, n)); db.query("SELECT 1 FROM settings").all(); db.close(); trimWalIndex(tenantPath(dir, n)); }
const slug = (new Database(tenantPath(dir, names[0]), { readonly: true }).query("SELECT slug FROM posts ORDER BY id DESC LIMIT 1").get() as any).slug;
const now = new Date("2026-12-01T00:00:00Z");
type Step = [string, (s: any) => void];
function run(label: string, steps: Step[], sample: TenantName[]) {
  spawnSync(["sync"]);
  const times = new Map<string, number[]>(steps.map(([n]) => [n, []]));
  const totals: number[] = [];
  for (const name of sample) {
    const s: any = { path: tenantPath(dir, name) };
    const t0 = performance.now();
    for (const [n, f] of steps) { const t = performance.now(); f(s); times.get(n)!.push(performance.now() - t); }
    totals.push(performance.now() - t0);
  }
  const med = (a: number[]) => { const b = [...a].sort((x, y) => x - y); return b[Math.floor(b.length / 2)]; };
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  console.log(`${label}: total median ${(med(totals) * 1000).toFixed(0)}µs mean ${(mean(totals) * 1000).toFixed(0)}µs | ` + [...times].map(([n, t]) => `${n} ${(mean(t) * 1000).toFixed(0)}`).join(", "));
}
const post: Step[] = [
  ["settings", (s) => (s.settings = getSettings(s.db))],
  ["post+tags", (s) => (s.post = getVisiblePost(s.db, slug, now))],
  ["comments", (s) => (s.comments = listApprovedComments(s.db, s.post.id))],
  ["next", (s) => nextScheduledTime(s.db, now)],
  ["jsx", (s) => (s.html = String(PostPage({ blog: { title: s.settings.title, description: s.settings.description, origin: "http://x.localhost" }, post: s.post, comments: s.comments, policy: "moderate", timeZone: "UTC" } as any)))],
];
const current: Step[] = [
  ["stat", (s) => statSync(s.path)],
  ["open+pragmas", (s) => (s.db = openBlogDatabase(s.path, { busyTimeoutMs: 250 }))],
  ["migrate", (s) => migrate(s.db)],
  ["dataversion", (s) => dataVersionOf(s.db)],
  ...post,
  ["close", (s) => s.db.close(true)],
  ["cut", (s) => trimWalIndex(s.path)],
  ["fingerprint", (s) => fileFingerprint(s.path)],
];
const lean: Step[] = [
  ["open", (s) => (s.db = new Database(s.path, { readwrite: true, strict: true }))],
  ["pragmas1", (s) => s.db.run("PRAGMA busy_timeout=250; ")],
  ["first", (s) => s.db.query("PRAGMA user_version").get()],
  ...post,
  ["close", (s) => s.db.close(true)],
  ["cut", (s) => trimWalIndex(s.path)],
];
const excl: Step[] = [
  ["open", (s) => (s.db = new Database(s.path, { readwrite: true, strict: true }))],
  ["pragmas", (s) => { s.db.run("PRAGMA busy_timeout=250"); s.db.run("PRAGMA locking_mode=EXCLUSIVE"); }],
  ["first", (s) => s.db.query("PRAGMA user_version").get()],
  ...post,
  ["close", (s) => s.db.close(true)],
];
const ro: Step[] = [
  ["open", (s) => (s.db = new Database(s.path, { readonly: true, strict: true }))],
  ["first", (s) => s.db.query("PRAGMA user_version").get()],
  ...post,
  ["close", (s) => s.db.close(true)],
];
const which = process.argv[2] ?? "all";
const sample = (k: number) => names.slice(k * 600, k * 600 + 600);
if (which === "all" || which === "current") run("current", current, sample(0));
if (which === "all" || which === "lean") run("lean", lean, sample(1));
if (which === "all" || which === "excl") run("exclusive", excl, sample(2));
if (which === "all" || which === "ro") run("readonly", ro, sample(3));
if (which === "all" || which === "current") run("current again", current, sample(4));
