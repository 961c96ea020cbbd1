// Instance-wide endpoints that answer on any Host: /healthz for load balancers and supervisors.
import { Elysia } from "elysia";
import { accessSync, constants, mkdirSync } from "node:fs";
import { listTenantNames, tenantsDir } from "../tenants/names.ts";
import { VERSION } from "../version.ts";
import type { Services } from "./services.ts";

export function opsRoutes(services: Services) {
  return new Elysia({ name: "ops" }).get("/healthz", () => {
    const dir = tenantsDir(services.config.dataDir);
    const body: Record<string, unknown> = { version: VERSION, open: services.pool.size, maxOpen: services.pool.maxOpen };
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.R_OK | constants.W_OK);
      body.status = "ok";
      body.blogs = listTenantNames(services.config.dataDir).length;
      return Response.json(body, { headers: { "cache-control": "no-store" } });
    } catch (e) {
      body.status = "unavailable";
      body.error = `the data directory ${dir} is not usable: ${e instanceof Error ? e.message : String(e)}`;
      return Response.json(body, { status: 503, headers: { "cache-control": "no-store" } });
    }
  });
}
