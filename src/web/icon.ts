// /favicon.ico and /apple-touch-icon.png, on every host: the blog's icon, an image it uploaded and
// chose in the admin, served as it was stored with its own type (browsers take PNG, JPEG, GIF and
// WebP icons at this address); else a small default, so no browser's implicit request is a 404.
// The address stays while the icon changes, so browsers keep it a day, not a year; reader pages
// link the chosen icon by its immutable /media/ URL (layout.tsx).
import { Elysia } from "elysia";
import { getMedia, readMedia, readMediaRange } from "../blog/media.ts";
import { getSettings } from "../blog/settings.ts";
import { DEFAULT_ICON } from "./assets.ts";
import { serveImage, type ServedImage } from "./media.ts";
import type { Services } from "./services.ts";
import { visitContext, type Visit } from "./visit.ts";

const ICON_CACHE = "public, max-age=86400";
const DEFAULT: ServedImage = {
  sha256: `writekit-icon-${Bun.hash(DEFAULT_ICON).toString(36)}`,
  type: "image/png",
  bytes: DEFAULT_ICON.length,
};

export function iconRoutes(services: Services) {
  const answer = ({ visit }: { visit: Visit }): Response => {
    if (visit.site.kind === "blog") {
      const chosen = services.pool.read(visit.blog, (tenant) => {
        const sha = getSettings(tenant.db).icon;
        const media = sha ? getMedia(tenant.db, sha) : null;
        return media
          ? serveImage(visit.request, media, ICON_CACHE, {
              all: () => readMedia(tenant.db, sha),
              range: (start, length) => readMediaRange(tenant.db, sha, start, length),
            })
          : null;
      });
      if (chosen) return chosen;
    }
    return serveImage(visit.request, DEFAULT, ICON_CACHE, {
      all: () => DEFAULT_ICON,
      range: (start, length) => DEFAULT_ICON.subarray(start, start + length),
    });
  };
  const app = new Elysia({ name: "icon" }).use(visitContext(services));
  for (const path of ["/favicon.ico", "/apple-touch-icon.png"]) app.get(path, answer).head(path, answer);
  return app;
}
