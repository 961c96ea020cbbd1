// Every answered request, observed once: its status class and latency go to the metrics and, with
// --access-log, one log line. The start time rides on Elysia's per-request context object, which
// the hooks share, so nothing is allocated for it.
import { log } from "../log.ts";
import type { Services } from "./services.ts";

/** The fields of Elysia's context these hooks use (the same object in every hook of a request). */
interface Observed {
  request: Request;
  path: string;
  set: { status?: number | string };
  responseValue?: unknown;
  /** performance.now() when the request arrived. */
  writekitStartedAt?: number;
  /** The status onError answered with (Elysia's `set.status` does not reflect it). */
  writekitErrorStatus?: number;
}

export function markRequestStart(context: object): void {
  (context as Observed).writekitStartedAt = performance.now();
}

/** The status of an answer made outside the routes (onError, or onRequest answering early). */
export function markStatus(context: object, response: Response): void {
  (context as Observed).writekitErrorStatus = response.status;
}

function statusOf(context: Observed): number {
  if (context.writekitErrorStatus !== undefined) return context.writekitErrorStatus;
  if (context.responseValue instanceof Response) return context.responseValue.status;
  return typeof context.set.status === "number" ? context.set.status : 200;
}

export function observeRequest(services: Services, context: object): void {
  const c = context as Observed;
  if (c.writekitStartedAt === undefined) return;
  recordAnswer(services, c.request, statusOf(c), performance.now() - c.writekitStartedAt, c.path);
}

/** Counts one answer in the metrics and, with --access-log, logs it. */
export function recordAnswer(services: Services, request: Request, status: number, ms: number, path?: string): void {
  services.metrics.observeRequest(status, ms / 1000);
  if (services.config.accessLog) {
    // The path without its query: search terms and tokens stay out of the log.
    log.info("request", { method: request.method, host: request.headers.get("host") ?? "", path: path ?? new URL(request.url).pathname, status, ms: Math.round(ms * 100) / 100 });
  }
}
