// What a node of a cluster does while it serves (`serve --placement FILE --node NAME`): it loads
// the placement and reloads it when the file is replaced; it checks that every blog placed here
// opens (/readyz says so), a few per tick so the event loop keeps answering; and it drains each blog
// the placement marks `draining`: once its writes in flight are answered (the front door refuses
// new ones), its page views are written into its file and its handle is closed, and /readyz lists
// it as drained, which `writekit node drain` waits for before it writes the fence.
import { log } from "../log.ts";
import type { NodePlacement } from "../tenants/cluster.ts";
import { watchPlacement } from "../tenants/placement.ts";
import type { TenantName } from "../tenants/names.ts";
import type { Services } from "../web/services.ts";
import type { ViewFlusher } from "./flusher.ts";

/** Blogs opened per readiness tick, and how often blogs that did not open are tried again. */
const CHECKS_PER_TICK = 20;
const RECHECK_FAILED_MS = 5000;
/** How long a drain waits for the blog's writes in flight (a request body being sent slowly). */
const WRITES_WAIT_MS = 10_000;

export class ClusterNode {
  private stopWatching: (() => void) | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private recheck: ReturnType<typeof setInterval> | null = null;
  private readonly draining = new Set<TenantName>();
  private stopped = false;

  constructor(
    private readonly services: Services,
    private readonly cluster: NodePlacement,
    private readonly flusher: ViewFlusher,
  ) {}

  start(): void {
    this.stopWatching = watchPlacement(this.cluster.file, () => {
      if (this.cluster.load()) this.changed();
    });
    this.recheck = setInterval(() => {
      for (const name of this.cluster.failed.keys())
        if (!this.cluster.pending.includes(name)) this.cluster.pending.push(name);
      this.scheduleChecks();
    }, RECHECK_FAILED_MS);
    this.recheck.unref?.();
    // The file may have been replaced between createServices' load and the watch.
    if (this.cluster.load()) this.changed();
  }

  stop(): void {
    this.stopped = true;
    this.stopWatching?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.recheck) clearInterval(this.recheck);
  }

  private changed(): void {
    // A blog now placed elsewhere may still be open here: let go of it (its pages are not served).
    for (const name of this.services.pool.names())
      if (this.cluster.where(name).kind !== "here") this.services.pool.close(name);
    this.scheduleChecks();
    for (const { name, epoch } of this.cluster.toDrain()) void this.drain(name, epoch);
  }

  private scheduleChecks(): void {
    if (this.timer || this.stopped || !this.cluster.pending.length) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      for (const name of this.cluster.pending.splice(0, CHECKS_PER_TICK)) this.check(name);
      this.scheduleChecks();
    }, 0);
  }

  private check(name: TenantName): void {
    try {
      this.services.registry.read(name, (tenant) => tenant.db.query("SELECT count(*) FROM posts").get());
      this.cluster.noteChecked(name, null);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      if (this.cluster.failed.get(name) !== reason)
        log.error("a blog placed on this node does not open", { blog: name, error: reason });
      this.cluster.noteChecked(name, reason);
    }
  }

  private async drain(name: TenantName, epoch: number): Promise<void> {
    if (this.draining.has(name)) return;
    this.draining.add(name);
    try {
      const started = performance.now();
      while (this.cluster.writesInFlight(name) > 0 && performance.now() - started < WRITES_WAIT_MS) await Bun.sleep(10);
      if (this.cluster.writesInFlight(name) > 0)
        log.warn("a drained blog still has writes in flight; they may fail", {
          blog: name,
          writes: this.cluster.writesInFlight(name),
        });
      const unwritten = await this.flusher.settleBlogs([name]);
      if (unwritten)
        log.error("page views of a draining blog could not be written; they are lost to the move", {
          blog: name,
          views: unwritten,
        });
      this.services.pool.close(name);
      // Still draining at this epoch? (The placement may have changed while it waited.)
      if (
        this.cluster.isDraining(name) &&
        this.cluster.where(name).kind === "here" &&
        this.cluster.placement?.blogs[name]?.epoch === epoch
      ) {
        this.cluster.drained.set(name, epoch);
        log.info("blog drained: writes refused, page views written, handle closed", {
          blog: name,
          epoch,
          ms: Math.round(performance.now() - started),
        });
      }
    } catch (e) {
      log.error("draining a blog failed", { blog: name, error: e instanceof Error ? e.message : String(e) });
    } finally {
      this.draining.delete(name);
      // Marked draining again at another epoch while this drain ran: drain that one too.
      const again = this.stopped ? undefined : this.cluster.toDrain().find((d) => d.name === name && d.epoch !== epoch);
      if (again) void this.drain(name, again.epoch);
    }
  }
}
