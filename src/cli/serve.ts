// `writekit serve`: serves every blog in the data directory until SIGTERM/SIGINT.
import { mkdirSync } from "node:fs";
import { ConfigError, loadConfig, serveOptions, type Config } from "../config.ts";
import { configureLog, log } from "../log.ts";
import { tenantsDir } from "../tenants/names.ts";
import { ListenError, startServer, type RunningServer } from "../server/server.ts";
import { describeTrust } from "../web/client.ts";
import { CliError, exitCodesHelp, out, parse, type Command } from "./command.ts";
import { noBlogsNotice } from "./datadir.ts";

const usage = `Usage: writekit serve [options]

Serves every blog in the data directory at http://<name>.<domain>:<port>/.
  --port N              port to listen on (env PORT; default 3000)
  --hostname ADDR       address to bind (default localhost)
  --domain DOMAIN       blogs answer at <name>.DOMAIN (env WRITEKIT_DOMAIN; default localhost)
  --max-open N          most blog databases kept open at once (default 50)
  --flush-interval MS   how often page views are written to the journal in DATA/views/
                        (default 1000); they reach the blogs' files every ten minutes
  --trusted-proxy ADDR  a proxy whose X-Forwarded-For and X-Forwarded-Proto are believed:
                        an address or a CIDR range such as 10.0.0.0/8 (repeatable; env
                        WRITEKIT_TRUSTED_PROXIES, comma-separated; default none)
  --public-scheme S     http or https: the scheme readers reach the blogs by, for absolute
                        links and Secure cookies, when no trusted proxy says it (env
                        WRITEKIT_PUBLIC_SCHEME; default: the request's, or a trusted proxy's
                        X-Forwarded-Proto); host names still come from each request
  --allow-parent-domain let blogs claim custom domains under the registrable domain of
                        --domain (example.com for blogs.example.com), still only with DNS
                        proof (env WRITEKIT_ALLOW_PARENT_DOMAIN=1; default: refused)
  --log-format F        text or json (env WRITEKIT_LOG_FORMAT; default text)
  --access-log          one log line per request (env WRITEKIT_ACCESS_LOG=1)
  --metrics-token T     also let /metrics answer "Authorization: Bearer T" from any
                        address, not only loopback (env WRITEKIT_METRICS_TOKEN; 16+ chars)
  --page-cache-mb N     most megabytes of rendered pages kept in memory, in front of the page
                        store (env WRITEKIT_PAGE_CACHE_MB; default 32)
  --page-store-mb N     most megabytes of rendered pages kept on disk in DATA/cache/, so a
                        restart starts warm (env WRITEKIT_PAGE_STORE_MB; default 1024; 0: none)
  --no-wal-index-cut    leave each closed blog's -shm file as SQLite left it, instead of
                        cutting it back at once (env WRITEKIT_WAL_INDEX_CUT=0)
  --replicated          the blogs are replicated by Litestream: SQLite settings it can follow
                        (no kept -wal, no automatic checkpoints: Litestream checkpoints; no
                        -shm cut, no exclusive reads) (env WRITEKIT_REPLICATED=1)
  --placement FILE      a node of a cluster: the placement file that says which blog lives on
                        which node, reloaded when it changes (env WRITEKIT_PLACEMENT); blogs of
                        other nodes get 421, draining blogs' writes 503; needs --node
  --node NAME           this node's name in the placement (env WRITEKIT_NODE)
  --data DIR            data directory (env WRITEKIT_DATA; default ./data), made when missing

${exitCodesHelp("it could not start (the port is taken, the data directory cannot be used)")}
A running server stops with code 0 on SIGTERM or SIGINT (1 on a second signal).`;

export const serveCommand: Command = {
  name: "serve",
  summary: "serve the blogs over HTTP",
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, serveOptions, "serve");
    if (values.help) return (out(usage), 0);
    if (positionals.length) throw new CliError(`serve takes no arguments, got: ${positionals.join(" ")}`, 2);
    let config: Config;
    try {
      config = loadConfig(values);
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError(e.message, 2);
      throw e;
    }
    configureLog({ format: config.logFormat });
    mkdirSync(tenantsDir(config.dataDir), { recursive: true });
    let server: RunningServer;
    try {
      server = startServer(config);
    } catch (e) {
      if (e instanceof ListenError) throw new CliError(e.message);
      throw e;
    }
    // No count of the blogs here: listing 10,000 files would delay the first answer.
    out(`WriteKit serving the blogs in ${tenantsDir(config.dataDir)}`);
    out(
      `  blogs:  http://<name>.${config.domain}:${server.port}/   health: http://${config.hostname}:${server.port}/healthz`,
    );
    out(`  ${describeTrust(config)}`);
    if (config.placementFile)
      out(
        `  node ${config.node} of the cluster in ${config.placementFile}; ready: http://${config.hostname}:${server.port}/readyz`,
      );
    if (config.replicated) out("  replicated: SQLite settings for Litestream (no kept -wal, no automatic checkpoints)");
    for (const line of noBlogsNotice(config.dataDir)) out(line);
    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          log.warn("second signal: exiting at once", { signal });
          process.exit(1);
        }
        stopping = true;
        void server.stop(signal).then(() => resolve(0));
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    });
  },
};
