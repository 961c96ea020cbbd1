// The author's pages at /admin on every blog, one plugin per concept.
import { Elysia } from "elysia";
import type { Services } from "../services.ts";
import { loginRoutes } from "./login.tsx";
import { postRoutes } from "./posts.tsx";

export function adminRoutes(services: Services) {
  return new Elysia({ name: "admin" }).use(loginRoutes(services)).use(postRoutes(services));
}
