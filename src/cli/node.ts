// `writekit node drain|adopt|release NAME`: moving a blog between the nodes of a cluster, and
// taking the blogs of a lost node back from their replicas. Each changes the placement file
// (tenants/placement.ts) and, with --litestream-config, re-renders this node's Litestream config.
//
// Three subcommands, each a sequence of checked steps that an operator reads as one procedure.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFence } from "../blog/fence.ts";
import { getSettings } from "../blog/settings.ts";
import { LitestreamError, renderLitestream, writeLitestreamConfigs } from "../cluster/litestream.ts";
import { DamagedReplicaError, ReplicaError, restoreChecked } from "../cluster/replica.ts";
import { ConfigError, clusterOptions, loadClusterConfig, type ClusterConfig } from "../config.ts";
import { removeDatabaseFiles } from "../tenants/files.ts";
import { assertIsBlog, schemaVersion } from "../tenants/migrate.ts";
import { tenantPath, tenantsDir, type TenantName } from "../tenants/names.ts";
import { openBlogDatabase } from "../tenants/open.ts";
import { PlacementError, readPlacement, replicaUrl, updatePlacement, type Placement } from "../tenants/placement.ts";
import { removeLitestreamMeta } from "../tenants/replication.ts";
import { checkDatabase, placeFile, tempPathFor } from "../tenants/snapshot.ts";
import { isWalIndexInUse } from "../tenants/walindex.ts";
import { blogNameArg, CliError, err, out, parse, type Command } from "./command.ts";

const usage = `Usage:
  writekit node drain NAME [--timeout S]
  writekit node adopt NAME [--from-replica URL [--generation G] [--timestamp T]] [--force] [--timeout S]
  writekit node release NAME [--force]
Each takes --placement FILE (env WRITEKIT_PLACEMENT), --node NAME (env WRITEKIT_NODE: this node),
--data DIR, --litestream PATH (env WRITEKIT_LITESTREAM; default litestream) and
--litestream-config FILE (env WRITEKIT_LITESTREAM_CONFIG: this node's rendered Litestream config,
rendered again after adopt and release; restart Litestream afterwards, it has no reload).

drain    on the node that holds NAME: marks it draining (its writes get 503 + Retry-After, reads go
         on), waits for this node's server to write its page views and close it, writes a fence
         as its last write, and waits until its replica holds the fence: then the replica has
         every write the blog ever acknowledged.
adopt    on the node that takes NAME: restores it from its replica (--from-replica, the URL drain
         prints) into a temporary file, checks it (integrity_check, WriteKit's schema, the fence
         of the drain), moves it into place and places it here with its epoch + 1, so its new
         replica is a new path. A blog still active on its node is refused unless that node is
         lost (--force: what it acknowledged in the last seconds may be missing). Without
         --from-replica, places a blog whose file is already here (made with tenant create or
         import).
release  on the node NAME left: renders this node's Litestream config without it, then removes
         its files and Litestream's state for it once nothing has it open (restart Litestream
         and run release again when it says so). Refused while the placement puts NAME on this
         node (--force to delete it anyway).
  --timeout S   how long drain waits for the server and the replica, and adopt for the fence
                (default 60)`;

const options = {
  ...clusterOptions,
  timeout: { type: "string" },
  "from-replica": { type: "string" },
  generation: { type: "string" },
  timestamp: { type: "string" },
  force: { type: "boolean" },
} as const;

function clusterConfig(
  values: Record<string, string | boolean | undefined>,
): ClusterConfig & { placementFile: string; node: string } {
  let cfg: ClusterConfig;
  try {
    cfg = loadClusterConfig(values);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
  if (!cfg.placementFile) throw new CliError("no placement file: give --placement FILE (env WRITEKIT_PLACEMENT)", 2);
  if (!cfg.node) throw new CliError("which node is this? give --node NAME (env WRITEKIT_NODE)", 2);
  return cfg as ClusterConfig & { placementFile: string; node: string };
}

function placementOf(file: string): Placement {
  try {
    return readPlacement(file);
  } catch (e) {
    if (e instanceof PlacementError) throw new CliError(e.message);
    throw e;
  }
}

function update<T>(file: string, change: (p: Placement) => T): T {
  try {
    return updatePlacement(file, change);
  } catch (e) {
    if (e instanceof PlacementError) throw new CliError(e.message);
    throw e;
  }
}

function seconds(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new CliError(`--timeout must be a whole number of seconds, got "${value}"`, 2);
  return Number(value);
}

function randomHex(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("hex");
}

/** Renders this node's Litestream config again when it is known (--litestream-config); says what to do next. */
export function refreshLitestream(cfg: ClusterConfig, placement: Placement): void {
  if (!cfg.node) return;
  if (!cfg.litestreamConfig) {
    out(`  then: writekit placement render --litestream ${cfg.node} FILE, and restart Litestream on this node`);
    return;
  }
  const files = writeLitestreamConfigs(renderLitestream(placement, cfg.node, cfg.dataDir, cfg.litestreamConfig));
  out(
    `  Litestream config rendered again: ${files.join(", ")}; restart Litestream on this node now (it reads its config only at start)`,
  );
}

/** The blog was deleted on this node (`tenant delete`): its placement entry and Litestream state go too. */
export function forgetDeletedBlog(cfg: ClusterConfig, name: TenantName): void {
  removeLitestreamMeta(tenantPath(cfg.dataDir, name));
  if (!cfg.placementFile || !cfg.node) return;
  const node = cfg.node;
  const removed = update(cfg.placementFile, (p) => {
    if (p.blogs[name]?.node !== node) return false;
    delete p.blogs[name];
    return true;
  });
  if (!removed) return;
  out(
    `  removed from the placement ${cfg.placementFile}; its replica is kept (delete it from the replica storage if you want it gone)`,
  );
  refreshLitestream(cfg, placementOf(cfg.placementFile));
}

/** Says on stderr that a restore was damaged (and refused); null: try again. */
function noteDamaged(url: string, e: DamagedReplicaError): null {
  err(`note: a restore of ${url} was damaged and is not used (${e.message.split("\n")[0]}); trying again`);
  return null;
}

async function until<T>(limitS: number, what: () => string, attempt: () => Promise<T | null>): Promise<T> {
  const end = performance.now() + limitS * 1000;
  for (;;) {
    const result = await attempt();
    if (result !== null) return result;
    if (performance.now() > end) throw new CliError(`gave up after ${limitS} s waiting for ${what()}`);
    await Bun.sleep(250);
  }
}

async function drain(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, options);
  if (values.help) return (out(usage), 0);
  const name = oneName(positionals, "drain");
  const cfg = clusterConfig(values);
  const timeout = seconds(values.timeout, 60);
  const node = cfg.node;
  const path = tenantPath(cfg.dataDir, name);
  if (!existsSync(path)) throw new CliError(`there is no blog named "${name}" in ${cfg.dataDir}`);
  const epoch = update(cfg.placementFile, (p) => {
    const blog = p.blogs[name];
    if (!blog)
      throw new CliError(
        `"${name}" is not in the placement; nothing to drain (place it with: writekit node adopt ${name})`,
      );
    if (blog.node !== node)
      throw new CliError(`"${name}" is placed on ${blog.node}, not on this node (${node}): run the drain there`);
    if (blog.state !== "draining") {
      blog.state = "draining";
      delete blog.fence;
    }
    return blog.epoch;
  });
  out(`${name}: draining on ${node} (epoch ${epoch}); its writes now get 503`);
  // The server refuses writes, waits for those in flight, writes the blog's page views, closes it.
  const url = `${placementOf(cfg.placementFile).nodes[node].url}/readyz`;
  let lastError = "";
  await until(
    timeout,
    () =>
      `the server at ${url} to report "${name}" drained (is \`writekit serve --placement ${cfg.placementFile} --node ${node}\` running?${lastError ? ` last: ${lastError}` : ""})`,
    async () => {
      try {
        const body = (await (await fetch(url, { signal: AbortSignal.timeout(2000) })).json()) as {
          drained?: Record<string, number>;
        };
        return body.drained?.[name] === epoch ? true : null;
      } catch (e) {
        lastError = e instanceof Error ? e.message : String(e);
        return null;
      }
    },
  );
  out(`${name}: the server refuses its writes, wrote its page views and closed it`);
  // The fence: the blog's last write on this node. Its replica holds every write once it holds this.
  const fence = `${epoch}:${randomHex()}`;
  const db = openBlogDatabase(path, { replicated: true });
  try {
    writeFence(db, fence);
  } finally {
    db.close();
  }
  update(cfg.placementFile, (p) => {
    const blog = p.blogs[name];
    if (blog?.node !== node || blog.state !== "draining" || blog.epoch !== epoch)
      throw new CliError(`the placement of "${name}" changed while it drained; run the drain again`);
    blog.fence = fence;
  });
  const replica = replicaUrl(placementOf(cfg.placementFile), name, epoch);
  await until(
    timeout,
    () =>
      `the replica ${replica} to hold the fence (is Litestream running on this node with a config rendered from the placement?)`,
    async () => {
      const temp = tempPathFor(join(tenantsDir(cfg.dataDir), `${name}.db`), "fence-check");
      try {
        const restored = await restoreChecked(cfg.litestream, replica, temp);
        return restored.fence === fence ? true : null;
      } catch (e) {
        if (e instanceof LitestreamError) return null; // no generation yet, a sync in progress
        // A restore of a replica Litestream is writing may be damaged; the next one is tried.
        if (e instanceof DamagedReplicaError) return noteDamaged(replica, e);
        if (e instanceof ReplicaError) throw new CliError(e.message);
        throw e;
      } finally {
        removeDatabaseFiles(temp);
      }
    },
  );
  out(`${name}: drained; its replica holds every write (fence ${fence}, checked with integrity_check)`);
  out(`  next, on the node that takes it: writekit node adopt ${name} --from-replica ${replica}`);
  return 0;
}

async function adopt(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, options);
  if (values.help) return (out(usage), 0);
  const name = oneName(positionals, "adopt");
  const cfg = clusterConfig(values);
  const node = cfg.node;
  const path = tenantPath(cfg.dataDir, name);
  const before = placementOf(cfg.placementFile);
  if (!(node in before.nodes))
    throw new CliError(
      `this node, "${node}", is not in the placement's nodes (${Object.keys(before.nodes).join(", ")})`,
    );
  const entry = before.blogs[name];
  const from = values["from-replica"];
  if (entry && entry.node === node && entry.state === "active")
    throw new CliError(`"${name}" is already active on this node (${node})`);
  if (entry && entry.node !== node && entry.state === "active" && !values.force) {
    throw new CliError(
      `"${name}" is active on ${entry.node}: drain it there first (writekit node drain ${name}), or, if ${entry.node} is lost for good, adopt with --force; writes ${entry.node} acknowledged in its last seconds may then be missing (README: "What a lost node loses")`,
    );
  }
  if (entry?.state === "draining" && !entry.fence && !values.force)
    throw new CliError(
      `"${name}" is still draining on ${entry.node}: wait for \`writekit node drain ${name}\` to finish there (or --force if ${entry.node} is lost)`,
    );
  let customDomain: string;
  if (from === undefined) {
    if (values.generation || values.timestamp)
      throw new CliError("--generation and --timestamp go with --from-replica", 2);
    if (!existsSync(path))
      throw new CliError(
        `there is no blog named "${name}" in ${cfg.dataDir}; to take it from its replica, give --from-replica URL`,
      );
    const db = openBlogDatabase(path, { readonly: true });
    try {
      assertIsBlog(db);
      const problems = checkDatabase(db, "quick_check");
      if (problems.length) throw new CliError(`${path} is damaged (${problems.slice(0, 3).join("; ")}); not placed`);
      customDomain = getSettings(db).custom_domain.trim();
    } finally {
      db.close();
    }
  } else {
    if (existsSync(path))
      throw new CliError(
        `a blog named "${name}" is already in ${cfg.dataDir}; if it is an old copy, remove it with: writekit node release ${name}`,
      );
    // With a drain's fence, wait until the replica holds it; otherwise the replica's latest state.
    const fence = entry?.fence;
    const timeout = seconds(values.timeout, 60);
    const temp = tempPathFor(path, "adopting");
    try {
      const restored = await until(
        timeout,
        () => `the replica ${from} to hold the fence of the drain (${fence})`,
        async () => {
          removeDatabaseFiles(temp);
          try {
            const r = await restoreChecked(cfg.litestream, from, temp, {
              generation: values.generation,
              timestamp: values.timestamp,
            });
            if (fence && r.fence !== fence && !values.force) return null;
            return r;
          } catch (e) {
            // While the drained node's Litestream still writes the replica, a damaged restore is tried
            // again; a lost node's replica no longer changes, so its damage is final.
            if (e instanceof DamagedReplicaError && fence && !values.force && !values.generation && !values.timestamp)
              return noteDamaged(from, e);
            if (e instanceof ReplicaError || e instanceof LitestreamError) throw new CliError(e.message);
            throw e;
          }
        },
      );
      customDomain = restored.customDomain;
      placeFile(
        temp,
        path,
        () => new CliError(`a blog named "${name}" appeared in ${cfg.dataDir} meanwhile; nothing was adopted`),
      );
    } finally {
      removeDatabaseFiles(temp);
    }
    out(`${name}: restored from ${from}, integrity_check ok, schema version ${schemaVersionOf(path)}`);
  }
  const placed = update(cfg.placementFile, (p) => {
    const now = p.blogs[name];
    if (JSON.stringify(now) !== JSON.stringify(entry)) {
      if (from !== undefined) removeDatabaseFiles(path);
      throw new CliError(`the placement of "${name}" changed while it was adopted; nothing was adopted, run it again`);
    }
    const blog = {
      node,
      epoch: (entry?.epoch ?? 0) + 1,
      state: "active" as const,
      domains: customDomain ? [customDomain] : [],
    };
    p.blogs[name] = blog;
    return blog;
  });
  out(
    `${name}: active on ${node}, epoch ${placed.epoch}; its replica is now ${replicaUrl(placementOf(cfg.placementFile), name, placed.epoch)}`,
  );
  refreshLitestream(cfg, placementOf(cfg.placementFile));
  out(
    `  then: writekit placement render --caddy FILE && caddy reload --config FILE${entry && entry.node !== node ? `; and on ${entry.node}, if it is still there: writekit node release ${name}` : ""}`,
  );
  return 0;
}

function schemaVersionOf(path: string): number {
  const db = openBlogDatabase(path, { readonly: true });
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}

async function release(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, options);
  if (values.help) return (out(usage), 0);
  const name = oneName(positionals, "release");
  const cfg = clusterConfig(values);
  const node = cfg.node;
  const placement = placementOf(cfg.placementFile);
  const entry = placement.blogs[name];
  if (entry?.node === node && !values.force) {
    throw new CliError(
      `"${name}" is placed on this node (${node}, ${entry.state}): releasing it would delete its live copy. Move it first (writekit node drain ${name} here, writekit node adopt ${name} on the other node), or delete it with writekit tenant delete`,
    );
  }
  const path = tenantPath(cfg.dataDir, name);
  refreshLitestream(cfg, placement);
  // Litestream still listing the blog would fail its final sync at its next stop (the -wal gone):
  // its config no longer lists it, so restart it first, then release.
  if (existsSync(path) && isWalIndexInUse(path) && !values.force) {
    throw new CliError(
      `"${name}" is still open here (by Litestream, whose config listed it): restart Litestream on this node, then run writekit node release ${name} again`,
    );
  }
  const had = existsSync(path);
  removeDatabaseFiles(path);
  removeLitestreamMeta(path);
  out(
    had
      ? `${name}: its files on ${node} are removed${entry ? ` (it lives on ${entry.node})` : ""}`
      : `${name}: no files here; nothing to remove`,
  );
  return 0;
}

function oneName(positionals: string[], sub: string): TenantName {
  if (positionals.length !== 1)
    throw new CliError(
      `node ${sub} takes one blog NAME${positionals.length ? `, got ${positionals.length}: ${positionals.join(" ")}` : ""}\n\n${usage}`,
      2,
    );
  return blogNameArg(positionals[0]);
}

export const nodeCommand: Command = {
  name: "node",
  summary: "move blogs between the nodes of a cluster (drain, adopt, release)",
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case "drain":
        return drain(rest);
      case "adopt":
        return adopt(rest);
      case "release":
        return release(rest);
      case "--help":
      case "-h":
        return (out(usage), 0);
      case undefined:
        throw new CliError(`node needs a command: drain, adopt or release\n\n${usage}`, 2);
      default:
        throw new CliError(`unknown node command "${sub}"\n\n${usage}`, 2);
    }
  },
};
