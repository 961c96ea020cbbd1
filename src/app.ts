// Assembles the Elysia app from the web/ plugins. No logic of its own.
import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { BadRequestError, errorResponse } from "./web/errors.tsx";
import { MAX_BODY_BYTES } from "./web/http.ts";
import { invalidateAfterWrite } from "./web/site.ts";
import { opsRoutes } from "./web/ops.ts";
import { adminRoutes } from "./web/admin/routes.tsx";
import { customCssRoutes } from "./web/customcss.ts";
import { readerRoutes } from "./web/reader/routes.tsx";
import { answerFromCache } from "./web/reader/cache.ts";
import { markRequestStart, markStatus, observeRequest, recordAnswer } from "./web/requests.ts";
import { FairScheduler } from "./web/fairness.ts";
import type { Services } from "./web/services.ts";
import type { TenantName } from "./tenants/names.ts";

export function createApp(services: Services) {
  return new Elysia()
    .use(html({ autoDoctype: false }))
    .onRequest((context) => {
      markRequestStart(context);
      // Refuse oversized bodies before reading them (Bun.serve enforces the same limit on the socket).
      const length = Number(context.request.headers.get("content-length") ?? 0);
      if (length > MAX_BODY_BYTES) {
        const response = errorResponse(services, context.request, 413, new BadRequestError(`The request body is ${length} bytes; the limit is ${MAX_BODY_BYTES}.`, 413));
        // An answer from onRequest skips onAfterResponse: observe it here.
        markStatus(context, response);
        observeRequest(services, context);
        return response;
      }
    })
    .onAfterHandle(({ request }) => invalidateAfterWrite(services, request))
    .onError((context) => {
      invalidateAfterWrite(services, context.request);
      const response = errorResponse(services, context.request, context.code, context.error);
      markStatus(context, response);
      return response;
    })
    .onAfterResponse((context) => observeRequest(services, context))
    .use(opsRoutes(services))
    .use(adminRoutes(services))
    .use(customCssRoutes(services))
    .use(readerRoutes(services));
}

export type App = ReturnType<typeof createApp>;

/**
 * What Bun.serve calls. A GET for a reader page already in the page cache is answered before
 * Elysia sees it (its per-request work is most of what such an answer costs); everything else,
 * and every first render, goes through the app and its routes. Both give the same answer.
 */
export function createFetch(services: Services, app: App): (request: Request) => Response | Promise<Response> {
  const answer = (request: Request, name: TenantName, host: string): Response | Promise<Response> => {
    const started = performance.now();
    const cached = answerFromCache(services, request, name, host);
    if (!cached) return app.fetch(request);
    recordAnswer(services, request, cached.status, performance.now() - started);
    return cached;
  };
  const fair = new FairScheduler();
  return (request) => {
    const host = request.headers.get("host");
    let site;
    try {
      site = services.sites.resolve(host);
    } catch {
      return app.fetch(request); // a bad Host: its error page, at once
    }
    if (site.kind !== "blog") return app.fetch(request);
    const name = site.name;
    // A deferred answer is a promise of a response (or of a promise of one): both resolve to it.
    return fair.run(name, performance.now(), () => answer(request, name, host!)) as Response | Promise<Response>;
  };
}
