// The blog's custom stylesheet, served as its own text/css resource (never inlined into a page).
// Pages link it as /custom.css?v=<hash of its text>, so the URL changes whenever the author saves
// new CSS and a browser may keep each version for a year.
import { Elysia, t } from "elysia";
import { cleanCustomCss, customCssPath } from "../blog/customcss.ts";
import { NotFoundError } from "./errors.tsx";
import type { Services } from "./services.ts";
import { readBlog } from "./site.ts";
import { visitContext } from "./visit.ts";

export function customCssRoutes(services: Services) {
  return new Elysia({ name: "custom-css" }).use(visitContext(services)).get(
    "/custom.css",
    ({ visit, query }) => {
      if (visit.site.kind !== "blog") throw new NotFoundError("Custom stylesheets belong to blogs.");
      // Cleaned when saved; cleaned again here in case the file was edited with sqlite3.
      const css = cleanCustomCss(readBlog(services, visit, (blog) => blog.settings.custom_css));
      if (!css) throw new NotFoundError("This blog has no custom stylesheet.");
      const current = customCssPath(css) === `/custom.css?v=${query.v ?? ""}`;
      return new Response(css, {
        headers: {
          "content-type": "text/css; charset=utf-8",
          "x-content-type-options": "nosniff",
          "cache-control": current ? "public, max-age=31536000, immutable" : "no-cache",
        },
      });
    },
    { query: t.Object({ v: t.Optional(t.String({ maxLength: 40 })) }) },
  );
}
