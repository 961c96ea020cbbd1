// Assembles the Elysia app from the web/ plugins. No logic of its own.
import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { errorResponse } from "./web/errors.tsx";
import { opsRoutes } from "./web/ops.ts";
import { readerRoutes } from "./web/reader/routes.tsx";
import type { Services } from "./web/services.ts";

export function createApp(services: Services) {
  return new Elysia()
    .use(html({ autoDoctype: false }))
    .onError(({ request, code, error }) => errorResponse(services, request, code, error))
    .use(opsRoutes(services))
    .use(readerRoutes(services));
}

export type App = ReturnType<typeof createApp>;
