// Assembles the Elysia app from the web/ plugins. No logic of its own.
import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { BadRequestError, errorResponse } from "./web/errors.tsx";
import { MAX_BODY_BYTES } from "./web/http.ts";
import { invalidateAfterWrite } from "./web/site.ts";
import { opsRoutes } from "./web/ops.ts";
import { readerRoutes } from "./web/reader/routes.tsx";
import type { Services } from "./web/services.ts";

export function createApp(services: Services) {
  return new Elysia()
    .use(html({ autoDoctype: false }))
    .onRequest(({ request }) => {
      // Refuse oversized bodies before reading them (Bun.serve enforces the same limit on the socket).
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > MAX_BODY_BYTES) return errorResponse(services, request, 413, new BadRequestError(`The request body is ${length} bytes; the limit is ${MAX_BODY_BYTES}.`, 413));
    })
    .onAfterHandle(({ request }) => invalidateAfterWrite(services, request))
    .onError(({ request, code, error }) => {
      invalidateAfterWrite(services, request);
      return errorResponse(services, request, code, error);
    })
    .use(opsRoutes(services))
    .use(readerRoutes(services));
}

export type App = ReturnType<typeof createApp>;
