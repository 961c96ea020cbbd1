// This node's view of the cluster while it serves: the placement in force (placement.ts), which of
// its blogs are draining and drained, the writes in flight per blog (a drain waits for them), and
// whether every blog placed here opens (what /readyz reports). The server fills it (server/
// cluster.ts); the front door asks it where each request's blog lives before anything opens it.
import { log } from "../log.ts";
import type { TenantName } from "./names.ts";
import { blogsOn, readPlacement, whereIs, type Placement, type Whereabouts } from "./placement.ts";

export type Readiness =
  { ready: true; blogs: number } | { ready: false; reason: string; failed?: Record<string, string> };

export class NodePlacement {
  /** The placement in force; null until one was read. */
  placement: Placement | null = null;
  /** Why the last read failed (the previous placement stays in force). */
  loadError: string | null = null;
  /** Writes that passed the front door and are not answered yet, per blog. */
  private readonly writes = new Map<TenantName, number>();
  /** Draining blogs whose writes, views and handle are done with, with the epoch they were drained at. */
  readonly drained = new Map<TenantName, number>();
  /** Blogs placed here that were checked and open, and those that did not (with why). */
  private checked = new Set<TenantName>();
  readonly failed = new Map<TenantName, string>();
  /** Blogs placed here still to be checked. */
  pending: TenantName[] = [];

  constructor(
    readonly file: string,
    readonly node: string,
  ) {}

  /** Reads the file; on failure keeps the placement in force and returns false. */
  load(): boolean {
    try {
      const next = readPlacement(this.file);
      if (!(this.node in next.nodes))
        throw new Error(`this node, "${this.node}", is not one of its nodes (${Object.keys(next.nodes).join(", ")})`);
      this.placement = next;
      this.loadError = null;
      for (const name of [...this.drained.keys()])
        if (this.where(name).kind !== "here" || next.blogs[name].state !== "draining") this.drained.delete(name);
      const local = new Set(blogsOn(next, this.node, ["active"]));
      this.checked = new Set([...this.checked].filter((n) => local.has(n)));
      for (const name of [...this.failed.keys()]) if (!local.has(name)) this.failed.delete(name);
      // Blogs that did not open are tried again too: a new placement often follows a fix.
      this.pending = [...local].filter((n) => !this.checked.has(n));
      return true;
    } catch (e) {
      this.loadError = e instanceof Error ? e.message : String(e);
      log.error(this.placement ? `${this.loadError}; the placement in force is kept` : this.loadError, {
        placement: this.file,
      });
      return false;
    }
  }

  /** Where the blog lives; "unplaced" also while no placement was ever read. */
  where(name: TenantName): Whereabouts {
    return this.placement ? whereIs(this.placement, this.node, name) : { kind: "unplaced" };
  }

  isDraining(name: TenantName): boolean {
    const w = this.where(name);
    return w.kind === "here" && w.state === "draining";
  }

  /** Draining blogs of this node not yet drained, with their epoch. */
  toDrain(): { name: TenantName; epoch: number }[] {
    if (!this.placement) return [];
    return blogsOn(this.placement, this.node, ["draining"])
      .filter((name) => this.drained.get(name) !== this.placement!.blogs[name].epoch)
      .map((name) => ({ name, epoch: this.placement!.blogs[name].epoch }));
  }

  writeStarted(name: TenantName): void {
    this.writes.set(name, (this.writes.get(name) ?? 0) + 1);
  }

  writeEnded(name: TenantName): void {
    const n = (this.writes.get(name) ?? 1) - 1;
    if (n > 0) this.writes.set(name, n);
    else this.writes.delete(name);
  }

  writesInFlight(name: TenantName): number {
    return this.writes.get(name) ?? 0;
  }

  /** Records the outcome of opening a blog placed here. */
  noteChecked(name: TenantName, error: string | null): void {
    if (error === null) {
      this.checked.add(name);
      this.failed.delete(name);
    } else {
      this.failed.set(name, error);
    }
  }

  readiness(): Readiness {
    if (!this.placement)
      return { ready: false, reason: `the placement is not loaded: ${this.loadError ?? "not read yet"}` };
    if (this.pending.length)
      return { ready: false, reason: `${this.pending.length} blog(s) placed here not checked yet` };
    if (this.failed.size)
      return {
        ready: false,
        reason: `${this.failed.size} blog(s) placed here do not open`,
        failed: Object.fromEntries(this.failed),
      };
    return { ready: true, blogs: this.checked.size };
  }
}
