// A blog's settings: one row per key in the `settings` table, with defaults for missing keys.
// The reader menu is the key `menu` too, read and written by menu.ts since its value is a list.
import type { Database } from "bun:sqlite";

export type CommentPolicy = "moderate" | "approve" | "off";

export interface Settings {
  title: string;
  description: string;
  author_name: string;
  posts_per_page: number;
  comment_policy: CommentPolicy;
  custom_css: string;
  time_zone: string;
  /** The custom domain the blog claims: live once proven (domain_proven), pending until then. */
  custom_domain: string;
  /** The value the domain's `_writekit.<domain>` TXT record must have (made at the first claim). */
  domain_token: string;
  /** The domain whose DNS proved the claim; the claim is live when it equals custom_domain. */
  domain_proven: string;
  /** The most bytes of images the blog may hold (media.ts refuses an upload past it). */
  media_quota_bytes: number;
  /** The sha256 of the uploaded image that is the blog's icon (favicon), or "" for the default. */
  icon: string;
  /** The reader menu as stored (JSON text, read with menu.ts parseMenu), so a render needs one query for both. */
  menu: string;
}

/** 500 MiB: room for a thousand photos of half a megabyte, a fraction of a typical disk. */
export const DEFAULT_MEDIA_QUOTA_BYTES = 500 * 1024 * 1024;

export const DEFAULT_SETTINGS: Settings = {
  title: "",
  description: "",
  author_name: "",
  posts_per_page: 10,
  comment_policy: "moderate",
  custom_css: "",
  time_zone: "UTC",
  custom_domain: "",
  domain_token: "",
  domain_proven: "",
  media_quota_bytes: DEFAULT_MEDIA_QUOTA_BYTES,
  icon: "",
  menu: "",
};

/** The longest text settings, in characters (the settings form says the same). */
export const SETTING_LIMITS = { title: 200, description: 500, author_name: 100 } as const;

export function getSettings(db: Database): Settings {
  const rows = db.query("SELECT key, value FROM settings").all() as { key: string; value: string }[];
  const s: Settings = { ...DEFAULT_SETTINGS };
  for (const { key, value } of rows) {
    switch (key) {
      case "posts_per_page": {
        const n = Number(value);
        if (Number.isInteger(n) && n >= 1 && n <= 100) s.posts_per_page = n;
        break;
      }
      case "media_quota_bytes": {
        const n = Number(value);
        if (Number.isSafeInteger(n) && n >= 0) s.media_quota_bytes = n;
        break;
      }
      case "icon":
        if (/^[0-9a-f]{64}$/.test(value)) s.icon = value;
        break;
      case "comment_policy":
        if (value === "moderate" || value === "approve" || value === "off") s.comment_policy = value;
        break;
      case "title":
      case "description":
      case "author_name":
      case "custom_css":
      case "time_zone":
      case "custom_domain":
      case "domain_token":
      case "domain_proven":
      case "menu":
        s[key] = value;
        break;
    }
  }
  return s;
}

export function updateSettings(db: Database, changes: Partial<Settings>): void {
  const put = db.query(
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );
  db.transaction(() => {
    for (const [key, value] of Object.entries(changes)) {
      if (value !== undefined) put.run(key, String(value));
    }
  })();
}
