// What readers see. Each route resolves its blog from the Host through site.ts.
import { Elysia } from "elysia";
import { listTenantNames } from "../../tenants/names.ts";
import { STYLESHEET, STYLESHEET_PATH } from "../assets.ts";
import { htmlResponse } from "../http.ts";
import type { Services } from "../services.ts";
import { blogOf, siteOf } from "../site.ts";
import { HomePage } from "./pages/HomePage.tsx";
import { InstancePage } from "./pages/InstancePage.tsx";

export function readerRoutes(services: Services) {
  return new Elysia({ name: "reader" })
    .get(STYLESHEET_PATH, () => new Response(STYLESHEET, { headers: { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=31536000, immutable" } }))
    .get("/", ({ request }) => {
      const site = siteOf(services, request);
      const blog = blogOf(services, request, site);
      if (!blog) {
        const port = new URL(request.url).port || (request.headers.get("host") ?? "").split(":")[1] || "";
        const page = <InstancePage blogCount={listTenantNames(services.config.dataDir).length} domain={services.config.domain} port={port} />;
        return htmlResponse(String(page));
      }
      return htmlResponse(String(<HomePage blog={blog.chrome} />));
    });
}
