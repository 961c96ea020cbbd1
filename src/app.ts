// Assembles the Elysia app from the web/ plugins, and puts the front door in front of it. No logic
// of its own.
import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { adminRoutes } from "./web/admin/routes.tsx";
import { customCssRoutes } from "./web/customcss.ts";
import { errorResponse } from "./web/errors.tsx";
import { createFrontDoor } from "./web/frontdoor.ts";
import { iconRoutes } from "./web/icon.ts";
import { mediaRoutes } from "./web/media.ts";
import { opsRoutes } from "./web/ops.ts";
import { readerRoutes } from "./web/reader/routes.tsx";
import type { Services } from "./web/services.ts";
import { visitOf } from "./web/visit.ts";

export function createApp(services: Services) {
  return new Elysia()
    .use(html({ autoDoctype: false }))
    .onError(({ request, code, error }) => errorResponse(services, visitOf(services, request), code, error))
    .use(opsRoutes(services))
    .use(adminRoutes(services))
    .use(customCssRoutes(services))
    .use(mediaRoutes(services))
    .use(iconRoutes(services))
    .use(readerRoutes(services));
}

/** What Bun.serve calls (and every HTTP test): the front door, then the app's routes. */
export function createHandler(services: Services) {
  return createFrontDoor(services, createApp(services));
}
