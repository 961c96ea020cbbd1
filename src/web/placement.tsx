// The front door's answer for a blog this node does not serve as asked, decided from the placement
// before anything opens the blog: held by another node (421, saying which), placed nowhere (404),
// or draining (writes 503 with Retry-After; reads are still served).
import type { TenantName } from "../tenants/names.ts";
import { ErrorPage } from "./errors.tsx";
import { htmlResponse } from "./http.ts";
import type { Services } from "./services.ts";

/** How long a writer is told to wait while its blog moves (a drain and an adopt take seconds). */
const MOVING_RETRY_AFTER_S = 10;

/** Methods that only read: everything else may write, and is refused while a blog drains. */
export function isReadOnlyMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

function page(status: number, heading: string, message: string, headers: Record<string, string> = {}): Response {
  return htmlResponse(String(<ErrorPage status={status} heading={heading} message={message} />), status, {
    "cache-control": "no-store",
    ...headers,
  });
}

/** Null when this node serves the request; otherwise the answer. */
export function placementAnswer(services: Services, name: TenantName, method: string): Response | null {
  const cluster = services.cluster;
  if (!cluster) return null;
  const where = cluster.where(name);
  switch (where.kind) {
    case "here":
      if (where.state === "draining" && !isReadOnlyMethod(method)) {
        return page(
          503,
          "This blog is moving",
          `The blog ${name} is moving to another server right now, so nothing was saved. Reading it still works; please try again in a few seconds.`,
          { "retry-after": String(MOVING_RETRY_AFTER_S) },
        );
      }
      return null;
    case "elsewhere":
      // 421 Misdirected Request (RFC 9110, 15.5.20): the proxy sent it to the wrong node.
      return page(
        421,
        "Wrong server",
        `The blog ${name} is served by the node ${where.node} (${where.url}), not by this one.`,
        { "writekit-node": where.node },
      );
    case "unplaced":
      return page(404, "No blog here", `There is no blog named ${name} on this cluster.`);
  }
}
