// What a request is, as the front door found it: the site its Host names (resolved once), its
// client, and what its answer must record once it is ready (a post page's view, the leases on
// blogs it used). Routes receive it as Elysia's `visit` (see app.ts).
import type { Server } from "bun";
import { Elysia } from "elysia";
import type { TenantName } from "../tenants/names.ts";
import { totalChangesOf } from "../tenants/changes.ts";
import type { HandleLease } from "../tenants/registry.ts";
import type { Site } from "../tenants/resolve.ts";
import { clientAddress, clientKey, requestOrigin } from "./client.ts";
import { NotFoundError } from "./errors.tsx";
import type { Services } from "./services.ts";

export type Peer = Server<unknown> | null | undefined;

/** What the front door learned about a request, handed to every route (Elysia's `visit`). */
export class Visit {
  /** performance.now() when the request arrived. */
  readonly started = performance.now();
  /** Set by a post page's answer: a 200 (or 304) to it counts one view of this post. */
  viewPostId: number | undefined;
  /** The front door looked for this page in the page cache already (and it was not there). */
  pageLooked = false;
  /** Leases on blogs this request uses, with each connection's change count when it was taken. */
  private readonly leases: { lease: HandleLease; changes: number }[] = [];
  private peerAddress: string | null | undefined;
  private originText: string | undefined;

  constructor(
    private readonly services: Services,
    readonly request: Request,
    private readonly server: Peer,
    /** What the Host names, or why it names nothing (thrown by `site`). */
    private readonly resolved: Site | Error,
  ) {}

  /** The instance or the blog the Host names; throws BadHostError (400) or NoSuchSiteError (404). */
  get site(): Site {
    if (this.resolved instanceof Error) throw this.resolved;
    return this.resolved;
  }

  /** The blog's name, or null for the instance itself or a Host that names nothing. */
  get blogName(): TenantName | null {
    return this.resolved instanceof Error || this.resolved.kind !== "blog" ? null : this.resolved.name;
  }

  /** The blog's name; on the instance's own host, a 404 saying that this is a blog's page. */
  get blog(): TenantName {
    const site = this.site;
    if (site.kind !== "blog")
      throw new NotFoundError("This address belongs to a blog; the server itself has no such page.");
    return site.name;
  }

  /**
   * Holds a lease on a blog until the request is answered, so a handle stays open across an await
   * even if the pool lets the blog go meanwhile.
   */
  hold(lease: HandleLease): void {
    this.leases.push({ lease, changes: totalChangesOf(lease.db) });
  }

  /** Releases the leases; true when a connection of one of them changed rows meanwhile (a write committed). */
  releaseLeases(): boolean {
    let wrote = false;
    for (const { lease, changes } of this.leases) {
      try {
        wrote ||= totalChangesOf(lease.db) !== changes;
      } catch {
        wrote = true;
      }
      lease.release();
    }
    this.leases.length = 0;
    return wrote;
  }

  /** The socket peer's address. */
  get peer(): string | null {
    if (this.peerAddress === undefined) this.peerAddress = this.services.peer(this.request, this.server);
    return this.peerAddress;
  }

  /** The client's address, believing X-Forwarded-For only from a trusted proxy. */
  get client(): string {
    return clientAddress(this.services.config, this.request, this.peer);
  }

  /** The client as rate limits count it: its address, or its /64 for IPv6 (one household, one key). */
  get clientKey(): string {
    return clientKey(this.client);
  }

  /**
   * Where readers reached the blog, e.g. "https://alice.example.com": what absolute links are built
   * from and what cached pages are kept under, by one rule (client.ts requestOrigin).
   */
  get origin(): string {
    return (this.originText ??= requestOrigin(this.services.config, this.request, () => this.peer));
  }

  /** Whether the request came over HTTPS (directly, from a trusted proxy saying so, or by --public-scheme). */
  get isHttps(): boolean {
    return this.origin.startsWith("https:");
  }
}

const visits = new WeakMap<Request, Visit>();

/** Called by the front door for each request it sees. */
export function startVisit(services: Services, request: Request, server: Peer): Visit {
  const visit = new Visit(services, request, server, resolveHost(services, request));
  visits.set(request, visit);
  return visit;
}

function resolveHost(services: Services, request: Request): Site | Error {
  try {
    return services.sites.resolve(request.headers.get("host"));
  } catch (e) {
    if (e instanceof Error) return e;
    throw e;
  }
}

/** The request's Visit; one the front door did not see (a bare app.handle) gets one here. */
export function visitOf(services: Services, request: Request): Visit {
  let visit = visits.get(request);
  if (!visit) visits.set(request, (visit = new Visit(services, request, undefined, resolveHost(services, request))));
  return visit;
}

/** The Elysia plugin that gives every route its request's `visit` (one WeakMap read). */
export function visitContext(services: Services) {
  return new Elysia({ name: "visit" }).derive({ as: "global" }, ({ request }) => ({
    visit: visitOf(services, request),
  }));
}
