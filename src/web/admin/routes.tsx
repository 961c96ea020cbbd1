// The author's pages at /admin on every blog, one plugin per concept.
import { Elysia } from "elysia";
import type { Services } from "../services.ts";
import { commentRoutes } from "./comments.tsx";
import { exportRoutes } from "./export.ts";
import { loginRoutes } from "./login.tsx";
import { mediaRoutes } from "./media.tsx";
import { postRoutes } from "./posts.tsx";
import { settingsRoutes } from "./settings.tsx";
import { statsRoutes } from "./stats.tsx";

export function adminRoutes(services: Services) {
  return new Elysia({ name: "admin" })
    .use(loginRoutes(services))
    .use(postRoutes(services))
    .use(mediaRoutes(services))
    .use(commentRoutes(services))
    .use(settingsRoutes(services))
    .use(statsRoutes(services))
    .use(exportRoutes(services));
}
