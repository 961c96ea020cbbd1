// Keeps cached pages, open handles and the custom domain map true to the files while the server
// runs: the CLI importing or migrating, an author's sqlite3 session, `writekit domains rebuild`.
// inotify reports each write to a blog's .db or -wal without any work on the request path; the
// registry tells this server's own writes, opens and closes from someone else's change.
import { existsSync } from "node:fs";
import { log } from "../log.ts";
import { DomainError, reloadDomains, watchDomains } from "../tenants/domains.ts";
import { tenantPath, type TenantName } from "../tenants/names.ts";
import { watchTenants } from "../tenants/watch.ts";
import type { Services } from "../web/services.ts";

/** When an event is looked at again (ms after it). */
const SETTLE_MS = [50, 250, 1000, 3000];

interface Settling {
  step: number;
  changed: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

export class BlogWatcher {
  /** One follow-up per blog, restarted by each new event (a write raises several). */
  private readonly settling = new Map<TenantName, Settling>();
  private stops: (() => void)[] = [];

  constructor(private readonly services: Services) {}

  start(): void {
    const { config } = this.services;
    this.stops.push(watchTenants(config.dataDir, (name) => this.changed(name)));
    // `writekit domains rebuild` replaced DATA/domains.json: a bad file keeps the map in use.
    this.stops.push(
      watchDomains(config.dataDir, () => {
        try {
          for (const problem of reloadDomains(config.dataDir, this.services.customDomains, {
            instanceDomain: config.domain,
            allowParentDomain: config.allowParentDomain,
          }))
            log.warn(problem);
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          log.error(`${e.message}; the custom domains in use are kept`);
        }
      }),
    );
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    for (const { timer } of this.settling.values()) if (timer) clearTimeout(timer);
    this.settling.clear();
  }

  /**
   * A blog's files changed. An event can arrive before the change is visible: SQLite writes a
   * transaction's frames to the -wal (the event) and only then publishes them in the -shm index,
   * through memory that raises no event. So each event is looked at again shortly after; and a
   * change seen at once drops the blog's pages again then, in case a reader re-rendered from the
   * old snapshot in between.
   */
  changed(name: TenantName): void {
    const { pool, pages, registry, config } = this.services;
    // A blog deleted by `writekit tenant delete`: drop its pages and let go of its handle.
    if (!existsSync(tenantPath(config.dataDir, name))) {
      pool.close(name);
      registry.forget(name);
      pages.invalidate(name);
      this.services.views.drop(name);
      return;
    }
    const changed = registry.changedElsewhere(name);
    if (changed) pages.invalidate(name);
    // A closed blog whose files are as this server left them was not written (the event is one of
    // its own brief reads closing the -wal): there is nothing that could become visible later.
    if (!changed && !registry.peek(name) && !this.settling.has(name)) return;
    this.settleLater(name, changed);
  }

  private settleLater(name: TenantName, changed: boolean): void {
    const previous = this.settling.get(name);
    if (previous?.timer) clearTimeout(previous.timer);
    const state: Settling = { step: 0, changed: changed || (previous?.changed ?? false) };
    const next = () => {
      if (state.step >= SETTLE_MS.length) {
        this.settling.delete(name);
        return;
      }
      const wait = SETTLE_MS[state.step] - (state.step ? SETTLE_MS[state.step - 1] : 0);
      state.timer = setTimeout(() => {
        if (this.services.registry.changedElsewhere(name) || state.changed) this.services.pages.invalidate(name);
        state.step++;
        next();
      }, wait);
      state.timer.unref?.();
    };
    this.settling.set(name, state);
    next();
  }
}
