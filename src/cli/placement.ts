// `writekit placement render --caddy FILE | --litestream NODE FILE`: the engines' configs, made from
// the placement file, so Caddy routes each blog to the node that holds it and each node's
// Litestream replicates exactly the blogs placed on it.
import { renderCaddyfile } from "../cluster/caddy.ts";
import { renderLitestream, writeLitestreamConfigs } from "../cluster/litestream.ts";
import { ConfigError, clusterOptions, loadClusterConfig } from "../config.ts";
import { writeFileAtomically } from "../tenants/files.ts";
import { PlacementError, readPlacement } from "../tenants/placement.ts";
import { resolve } from "node:path";
import { CliError, out, parse, type Command } from "./command.ts";

const usage = `Usage:
  writekit placement render --caddy FILE [--placement FILE]
  writekit placement render --litestream NODE FILE [--blogs-per-process N] [--data DIR] [--placement FILE]

--caddy FILE            the Caddyfile for the whole cluster: one Host matcher per node with its
                        blogs' <name>.<domain> and custom domains, health checks on /readyz,
                        on-demand TLS asked of a node's /tls-check (any node answers for the whole
                        placement). Apply it with: caddy reload --config FILE
--litestream NODE FILE  the Litestream 0.3 config of NODE (run it there, with that node's --data):
                        its active and draining blogs, each to <replica url>/<name>/<epoch>. Past
                        --blogs-per-process blogs (or the placement's litestream.blogsPerProcess;
                        default 1000) it writes FILE-2, FILE-3, ...: run one Litestream process
                        per file, and restart them all after each render (stop all, then start).
The placement file is --placement FILE (env WRITEKIT_PLACEMENT).`;

const options = {
  ...clusterOptions,
  caddy: { type: "string" },
  "blogs-per-process": { type: "string" },
} as const;

async function render(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...options, litestream: { type: "string" } });
  if (values.help) return (out(usage), 0);
  let cfg;
  try {
    cfg = loadClusterConfig({ data: values.data, placement: values.placement });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
  if (!cfg.placementFile) throw new CliError("no placement file: give --placement FILE (env WRITEKIT_PLACEMENT)", 2);
  if (values.caddy === undefined && values.litestream === undefined)
    throw new CliError(`render what? --caddy FILE or --litestream NODE FILE\n\n${usage}`, 2);
  if (values.litestream !== undefined && positionals.length !== 1)
    throw new CliError("--litestream NODE FILE: give the node, then the file", 2);
  if (values.litestream === undefined && positionals.length)
    throw new CliError(`unexpected arguments: ${positionals.join(" ")}`, 2);
  let placement;
  try {
    placement = readPlacement(cfg.placementFile);
  } catch (e) {
    if (e instanceof PlacementError) throw new CliError(e.message);
    throw e;
  }
  if (values.caddy !== undefined) {
    const file = resolve(values.caddy);
    writeFileAtomically(file, renderCaddyfile(placement, cfg.placementFile));
    out(
      `Caddyfile for ${Object.keys(placement.blogs).length} blog(s) on ${Object.keys(placement.nodes).length} node(s) written to ${file}; apply it with: caddy reload --config ${file}`,
    );
  }
  if (values.litestream !== undefined) {
    const node = values.litestream;
    if (!(node in placement.nodes))
      throw new CliError(`"${node}" is not one of the placement's nodes (${Object.keys(placement.nodes).join(", ")})`);
    const raw = values["blogs-per-process"];
    if (raw !== undefined && (!/^\d+$/.test(raw) || Number(raw) < 1))
      throw new CliError(`--blogs-per-process must be a whole number of at least 1, got "${raw}"`, 2);
    const configs = renderLitestream(
      placement,
      node,
      cfg.dataDir,
      resolve(positionals[0]),
      raw === undefined ? undefined : Number(raw),
    );
    writeLitestreamConfigs(configs);
    for (const c of configs) out(`${c.file}: ${c.blogs.length} blog(s)`);
    if (!configs.some((c) => c.blogs.length))
      out(`  no blog is placed on ${node}: Litestream will say "no databases specified" until one is`);
    out(
      `Restart Litestream on ${node} (litestream replicate -config FILE, one process per file): it reads its config only at start.`,
    );
  }
  return 0;
}

export const placementCommand: Command = {
  name: "placement",
  summary: "render Caddy's and Litestream's configs from the placement file",
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case "render":
        return render(rest);
      case "--help":
      case "-h":
        return (out(usage), 0);
      case undefined:
        throw new CliError(`placement needs a command: render\n\n${usage}`, 2);
      default:
        throw new CliError(`unknown placement command "${sub}"\n\n${usage}`, 2);
    }
  },
};
