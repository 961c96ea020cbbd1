// The placement file: which blog lives on which node of a cluster, one JSON file for the whole
// cluster (path by --placement / WRITEKIT_PLACEMENT). Every node loads it at start and reloads it
// when it changes, as it does domains.json; the CLI (`writekit node …`) changes it, always by
// replacing the whole file atomically. Caddy's routes and each node's Litestream config are
// rendered from it (cluster/caddy.ts, cluster/litestream.ts).
//
//   { "domain": "blogs.example.com",
//     "replica": { "url": "file:///srv/writekit-replicas" },
//     "nodes": { "n1": { "url": "http://10.0.0.1:3000" } },
//     "blogs": { "alice": { "node": "n1", "epoch": 1, "state": "active" } } }
//
// A blog's epoch goes up by one each time a node adopts it, and its replica's path ends with the
// epoch (`<replica url>/<name>/<epoch>`), so two nodes never write one Litestream generation.
import { existsSync, readFileSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { parseDomain } from "./domains.ts";
import { writeFileAtomically } from "./files.ts";
import { isTenantName, type TenantName } from "./names.ts";

export class PlacementError extends Error {
  override name = "PlacementError";
}

export type BlogState = "active" | "draining";

export interface PlacedBlog {
  node: string;
  epoch: number;
  state: BlogState;
  /** Custom domains the blog answers to, for Caddy's routes (recorded by `node adopt`). */
  domains?: string[];
  /** Written into the blog by `node drain` as its last write; an adopt waits for its replica to hold it. */
  fence?: string;
}

export interface PlacedNode {
  /** Where Caddy and the CLI reach its `writekit serve`: http://host:port. */
  url: string;
  /** The address its Litestream serves metrics on (host:port; the next ports for further processes). */
  litestreamAddr?: string;
}

export interface Placement {
  /** Blogs answer at `<name>.<domain>`. */
  domain: string;
  /** Where replicas go: a Litestream replica URL (file:///…, s3://bucket/prefix), and extra replica settings. */
  replica: { url: string; [setting: string]: string };
  litestream?: { blogsPerProcess?: number; syncInterval?: string };
  caddy?: { site?: string; admin?: string; trustedProxies?: string[]; healthInterval?: string };
  nodes: Record<string, PlacedNode>;
  blogs: Record<string, PlacedBlog>;
}

/** Where a node finds a blog. */
export type Whereabouts =
  | { kind: "here"; state: BlogState; epoch: number }
  | { kind: "elsewhere"; node: string; url: string }
  | { kind: "unplaced" };

const NODE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const FENCE = /^[0-9]+:[0-9a-f]{16,64}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nodeUrl(value: unknown, where: string): string {
  if (typeof value !== "string") throw new PlacementError(`${where}: "url" must be a string like http://10.0.0.1:3000`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PlacementError(
      `${where}: "url" ${JSON.stringify(value)} is not a URL; write it like http://10.0.0.1:3000`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new PlacementError(`${where}: "url" must be http:// or https://`);
  if (url.pathname !== "/" || url.search || url.hash || url.username)
    throw new PlacementError(`${where}: "url" is the node's address only (scheme, host, port), without a path`);
  return url.origin;
}

function hostPort(value: unknown, where: string): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/.test(value))
    throw new PlacementError(`${where} must be host:port, like 127.0.0.1:9090`);
  return value;
}

function text(value: unknown, where: string, pattern: RegExp, what: string): string {
  if (typeof value !== "string" || !pattern.test(value)) throw new PlacementError(`${where} must be ${what}`);
  return value;
}

/** Checks a parsed placement file; throws PlacementError saying what is wrong and where. */
export function parsePlacement(data: unknown, file = "the placement file"): Placement {
  if (!isObject(data)) throw new PlacementError(`${file} must hold a JSON object`);
  const domain = data.domain;
  if (typeof domain !== "string" || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain))
    throw new PlacementError(`${file}: "domain" must be the blogs' domain, like blogs.example.com`);
  if (!isObject(data.replica) || typeof data.replica.url !== "string")
    throw new PlacementError(
      `${file}: "replica" must be an object with a "url" (file:///srv/replicas or s3://bucket/prefix)`,
    );
  const replica: Placement["replica"] = { url: "" };
  for (const [key, value] of Object.entries(data.replica)) {
    if (typeof value !== "string" || !/^[a-z][a-z0-9-]*$/.test(key) || /[\n\r]/.test(value))
      throw new PlacementError(
        `${file}: "replica.${key}" must be a string (Litestream's replica settings, passed on as they are)`,
      );
    replica[key] = value;
  }
  if (!/^(file|s3|gcs|abs|sftp):\/\/\S+$/.test(replica.url))
    throw new PlacementError(
      `${file}: "replica.url" must be a Litestream replica URL (file:///srv/replicas, s3://bucket/prefix)`,
    );
  replica.url = replica.url.replace(/\/+$/, "");
  const placement: Placement = { domain, replica, nodes: {}, blogs: {} };
  if (data.litestream !== undefined) {
    if (!isObject(data.litestream)) throw new PlacementError(`${file}: "litestream" must be an object`);
    const { blogsPerProcess, syncInterval } = data.litestream;
    if (blogsPerProcess !== undefined && (!Number.isSafeInteger(blogsPerProcess) || (blogsPerProcess as number) < 1))
      throw new PlacementError(`${file}: "litestream.blogsPerProcess" must be a whole number of at least 1`);
    placement.litestream = {
      blogsPerProcess: blogsPerProcess as number | undefined,
      syncInterval:
        syncInterval === undefined
          ? undefined
          : text(syncInterval, `${file}: "litestream.syncInterval"`, /^\d+(ms|s|m)$/, "a duration like 1s"),
    };
  }
  if (data.caddy !== undefined) {
    if (!isObject(data.caddy)) throw new PlacementError(`${file}: "caddy" must be an object`);
    const c = data.caddy;
    placement.caddy = {
      site:
        c.site === undefined
          ? undefined
          : text(
              c.site,
              `${file}: "caddy.site"`,
              /^(https?:\/\/)?[A-Za-z0-9.*\-]*(:\d{1,5})?$/,
              "a Caddy site address like https:// or http://:8080",
            ),
      admin: c.admin === undefined ? undefined : hostPort(c.admin, `${file}: "caddy.admin"`),
      trustedProxies:
        c.trustedProxies === undefined
          ? undefined
          : (Array.isArray(c.trustedProxies) ? c.trustedProxies : [null]).map((p) =>
              text(
                p,
                `${file}: "caddy.trustedProxies"`,
                /^[0-9a-fA-F.:]+(\/\d{1,3})?$/,
                "a list of addresses or CIDR ranges",
              ),
            ),
      healthInterval:
        c.healthInterval === undefined
          ? undefined
          : text(c.healthInterval, `${file}: "caddy.healthInterval"`, /^\d+(ms|s|m)$/, "a duration like 2s"),
    };
  }
  if (!isObject(data.nodes) || Object.keys(data.nodes).length === 0)
    throw new PlacementError(
      `${file}: "nodes" must name at least one node: { "n1": { "url": "http://10.0.0.1:3000" } }`,
    );
  for (const [name, node] of Object.entries(data.nodes)) {
    if (!NODE_NAME.test(name))
      throw new PlacementError(
        `${file}: node "${name}" is not a node name: 1-63 lower-case letters, digits and hyphens`,
      );
    if (!isObject(node)) throw new PlacementError(`${file}: node "${name}" must be an object with a "url"`);
    placement.nodes[name] = { url: nodeUrl(node.url, `${file}: node "${name}"`) };
    if (node.litestreamAddr !== undefined)
      placement.nodes[name].litestreamAddr = hostPort(node.litestreamAddr, `${file}: node "${name}": "litestreamAddr"`);
  }
  if (data.blogs !== undefined && !isObject(data.blogs)) throw new PlacementError(`${file}: "blogs" must be an object`);
  for (const [name, blog] of Object.entries((data.blogs ?? {}) as Record<string, unknown>)) {
    const where = `${file}: blog "${name}"`;
    if (!isTenantName(name)) throw new PlacementError(`${where} is not a valid blog name`);
    if (!isObject(blog)) throw new PlacementError(`${where} must be an object with "node", "epoch" and "state"`);
    if (typeof blog.node !== "string" || !(blog.node in placement.nodes))
      throw new PlacementError(
        `${where}: "node" must be one of the nodes (${Object.keys(placement.nodes).join(", ")})`,
      );
    if (!Number.isSafeInteger(blog.epoch) || (blog.epoch as number) < 1)
      throw new PlacementError(`${where}: "epoch" must be a whole number of at least 1`);
    if (blog.state !== "active" && blog.state !== "draining")
      throw new PlacementError(`${where}: "state" must be "active" or "draining"`);
    const placed: PlacedBlog = { node: blog.node, epoch: blog.epoch as number, state: blog.state };
    if (blog.domains !== undefined) {
      if (!Array.isArray(blog.domains)) throw new PlacementError(`${where}: "domains" must be a list`);
      placed.domains = blog.domains.map((d) => {
        try {
          return parseDomain(String(d), { instanceDomain: domain, allowParentDomain: true });
        } catch (e) {
          throw new PlacementError(`${where}: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
    }
    if (blog.fence !== undefined)
      placed.fence = text(blog.fence, `${where}: "fence"`, FENCE, "a fence written by writekit node drain");
    placement.blogs[name] = placed;
  }
  return placement;
}

/** Reads and checks the placement file; a missing or malformed one is a PlacementError. */
export function readPlacement(file: string): Placement {
  if (!existsSync(file)) throw new PlacementError(`the placement file ${file} does not exist`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new PlacementError(
      `the placement file ${file} cannot be read: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return parsePlacement(data, file);
}

/** Replaces the file atomically (blogs in name order, so a diff shows what changed). */
export function writePlacement(file: string, placement: Placement): void {
  parsePlacement(JSON.parse(JSON.stringify(placement)), file); // never write what cannot be read back
  const blogs = Object.fromEntries(Object.entries(placement.blogs).sort(([a], [b]) => a.localeCompare(b)));
  writeFileAtomically(file, JSON.stringify({ ...placement, blogs }, null, 2) + "\n");
}

/**
 * Reads the file, lets `change` edit it, and writes it back, unless the file changed meanwhile
 * (another `writekit node` command): then it reads and edits again, a few times at most.
 */
export function updatePlacement<T>(file: string, change: (placement: Placement) => T): T {
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = readFileSync(file, "utf8");
    const placement = parsePlacement(JSON.parse(before), file);
    const result = change(placement);
    if (readFileSync(file, "utf8") !== before) continue;
    writePlacement(file, placement);
    return result;
  }
  throw new PlacementError(`the placement file ${file} kept changing while it was being updated; try again`);
}

/** Where `name` lives, as seen from `node`. */
export function whereIs(placement: Placement, node: string, name: TenantName): Whereabouts {
  const blog = placement.blogs[name];
  if (!blog) return { kind: "unplaced" };
  if (blog.node === node) return { kind: "here", state: blog.state, epoch: blog.epoch };
  return { kind: "elsewhere", node: blog.node, url: placement.nodes[blog.node].url };
}

/** The replica URL of a blog at an epoch: `<replica url>/<name>/<epoch>`. */
export function replicaUrl(placement: Placement, name: TenantName, epoch: number): string {
  return `${placement.replica.url}/${name}/${epoch}`;
}

/** The blogs placed on `node`, in name order. */
export function blogsOn(
  placement: Placement,
  node: string,
  states: readonly BlogState[] = ["active", "draining"],
): TenantName[] {
  return Object.entries(placement.blogs)
    .filter(([, b]) => b.node === node && states.includes(b.state))
    .map(([name]) => name as TenantName)
    .sort();
}

/**
 * The blog a host name belongs to anywhere in the cluster (`<name>.<domain>` or a recorded custom
 * domain), for the on-demand TLS `ask`, which one node cannot answer from its own files.
 */
export function placedBlogOfHost(placement: Placement, host: string): TenantName | null {
  for (const [name, blog] of Object.entries(placement.blogs))
    if (blog.domains?.includes(host)) return name as TenantName;
  if (!host.endsWith("." + placement.domain)) return null;
  const label = host.slice(0, -(placement.domain.length + 1));
  return label in placement.blogs ? (label as TenantName) : null;
}

/** Calls `onChange` when the placement file is replaced (the directory is watched: writes are renames). */
export function watchPlacement(file: string, onChange: () => void): () => void {
  try {
    const watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed && String(changed) === basename(file)) onChange();
    });
    watcher.on("error", () => {});
    return () => watcher.close();
  } catch {
    return () => {};
  }
}
