// What runs before routing, in one place. Every request passes here once: its Host names a blog (or
// the instance) once, and the answer is passed down to the routes as the request's Visit; bodies
// over their route's limit (http.ts) are refused before they are read; answers are kept fair across blogs
// (fairness.ts); a reader page already rendered is answered from the page cache without routing
// (reader/cache.ts); and every answer is observed once, on one path: the metrics, the access log,
// a post page's view, and a committed write's invalidation of its blog's cached pages.
import { log } from "../log.ts";
import type { TenantName } from "../tenants/names.ts";
import { isCrawler } from "./crawlers.ts";
import { BadRequestError, errorResponse } from "./errors.tsx";
import { FairScheduler } from "./fairness.ts";
import { bodyLimitOf, MAX_BODY_BYTES, tooLargeMessage, UPLOAD_MAX_BODY_BYTES } from "./http.ts";
import { isReadOnlyMethod, placementAnswer } from "./placement.tsx";
import { answerFromCache } from "./reader/cache.ts";
import type { Services } from "./services.ts";
import { startVisit, type Peer, type Visit } from "./visit.ts";

type Answer = Response | Promise<Response>;

/**
 * What Bun.serve calls, and what every HTTP test calls: the front door in front of the Elysia
 * `app`. A cached page and a routed answer are the same bytes.
 */
export function createFrontDoor(
  services: Services,
  app: { fetch(request: Request): Answer },
): (request: Request, server?: Peer) => Answer {
  const fair = new FairScheduler();
  const cluster = services.cluster;
  /** Writes counted in flight for their blog (a drain waits for them to be answered). */
  const writing = new WeakSet<Visit>();

  const finish = (visit: Visit, response: Response): Response => {
    const { request } = visit;
    const ms = performance.now() - visit.started;
    services.metrics.observeRequest(response.status, ms / 1000);
    if (services.config.accessLog) {
      // The path without its query: search terms and tokens stay out of the log.
      log.info("request", {
        method: request.method,
        host: request.headers.get("host") ?? "",
        path: new URL(request.url).pathname,
        status: response.status,
        ms: Math.round(ms * 100) / 100,
      });
    }
    const blog = visit.blogName;
    // A request that wrote to its blog (rows changed and committed) drops the blog's pages, so the
    // next read shows it; one that was refused, or wrote nothing, leaves them.
    const wrote = visit.releaseLeases();
    if (blog !== null) {
      if (writing.has(visit)) cluster!.writeEnded(blog);
      // A view is a reader's GET of a post page (a 304 to their browser included); not a HEAD, not
      // a crawler; not while the blog drains, since its views have been written for the move.
      if (
        visit.viewPostId !== undefined &&
        request.method === "GET" &&
        !isCrawler(request.headers.get("user-agent")) &&
        !cluster?.isDraining(blog)
      )
        services.views.record(blog, visit.viewPostId, services.now().getTime());
      if (wrote) services.pages.invalidate(blog);
    }
    return response;
  };

  const route = (visit: Visit): Answer => {
    const answer = app.fetch(visit.request);
    return answer instanceof Promise
      ? answer.then(
          (response) => finish(visit, response),
          (e) => finish(visit, failed(visit, e)),
        )
      : finish(visit, answer);
  };

  const failed = (visit: Visit, error: unknown): Response => errorResponse(services, visit, 500, error);

  const answerBlog = (visit: Visit, name: TenantName): Answer => {
    const cached = answerFromCache(services, visit, name);
    return cached ? finish(visit, cached) : route(visit);
  };

  const admit = (visit: Visit): Answer => {
    const name = visit.blogName;
    if (name === null) return route(visit);
    if (cluster) {
      // A blog held elsewhere, placed nowhere or draining is answered before anything opens it.
      const refused = placementAnswer(services, name, visit.request.method);
      if (refused) return finish(visit, refused);
      if (!isReadOnlyMethod(visit.request.method)) {
        cluster.writeStarted(name);
        writing.add(visit);
      }
    }
    // A deferred answer is a promise of a response (or of a promise of one): both resolve to it.
    return fair.run(name, visit.started, () => answerBlog(visit, name)) as Answer;
  };

  const tooLarge = (visit: Visit, limit: number, length?: number): Response =>
    finish(visit, errorResponse(services, visit, 413, new BadRequestError(tooLargeMessage(limit, length), 413)));

  return (request, server) => {
    const visit = startVisit(services, request, server);
    // Refuse oversized bodies before reading them. Bun.serve holds every body to the largest limit
    // of any route (an upload's, server.ts); each route's own limit is enforced here: by the
    // Content-Length, or for a chunked body, which has none, by reading a copy up to the limit.
    const length = Number(request.headers.get("content-length") ?? 0);
    if (length > MAX_BODY_BYTES) {
      const limit = bodyLimitOf(request);
      if (length > limit) return tooLarge(visit, limit, length);
    } else if (length === 0 && request.body !== null && request.headers.has("transfer-encoding")) {
      const limit = bodyLimitOf(request);
      if (limit < UPLOAD_MAX_BODY_BYTES)
        return isLonger(request, limit).then((over) => (over ? tooLarge(visit, limit) : admit(visit)));
    }
    return admit(visit);
  };
}

/** Whether a body without a Content-Length has more than `limit` bytes: a copy is read until it does (the request's own body stays unread). */
async function isLonger(request: Request, limit: number): Promise<boolean> {
  const reader = request.clone().body!.getReader();
  for (let read = 0; ;) {
    const { done, value } = await reader.read();
    if (done) return false;
    read += value.byteLength;
    if (read > limit) {
      await reader.cancel();
      return true;
    }
  }
}
