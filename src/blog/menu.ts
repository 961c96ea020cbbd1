// The menu on every reader page: an ordered list of links (to a page, a tag or any URL), stored as
// JSON in the setting `menu`, so an author's export shows it in `settings` and no table is needed.
import type { Database } from "bun:sqlite";
import { isSafeUrl } from "./markdown.ts";

export interface MenuItem {
  label: string;
  url: string;
}

export const MENU_LIMITS = { items: 20, label: 60, url: 500 } as const;

/** A menu that cannot be saved, with a message for the author. */
export class MenuError extends Error {
  override name = "MenuError";
}

/** Checks and tidies a menu an author typed: labels and URLs trimmed, only safe URLs. */
export function checkMenu(items: readonly MenuItem[]): MenuItem[] {
  if (items.length > MENU_LIMITS.items)
    throw new MenuError(`A menu has at most ${MENU_LIMITS.items} links; this one has ${items.length}.`);
  return items.map((item, i) => {
    const label = item.label.trim();
    const url = item.url.trim();
    const which = `Link ${i + 1}`;
    if (!label) throw new MenuError(`${which} needs a label.`);
    if (label.length > MENU_LIMITS.label)
      throw new MenuError(`${which}'s label is ${label.length} characters long; the limit is ${MENU_LIMITS.label}.`);
    if (!url) throw new MenuError(`${which} ("${label}") needs a URL, like /about or https://example.com.`);
    if (url.length > MENU_LIMITS.url)
      throw new MenuError(`${which}'s URL is ${url.length} characters long; the limit is ${MENU_LIMITS.url}.`);
    if (!isSafeUrl(url) || /[\s<>"]/.test(url))
      throw new MenuError(`${which}'s URL must be a path like /about, or an http, https or mailto address.`);
    return { label, url };
  });
}

/** The blog's menu. A setting edited by hand in sqlite3 is read as far as it is valid: a link that is not is left out. */
export function getMenu(db: Database): MenuItem[] {
  const row = db.query("SELECT value FROM settings WHERE key = 'menu'").get() as { value: string } | null;
  return parseMenu(row?.value ?? "");
}

/** The menu setting's text (JSON) as links, as far as it is valid (see getMenu). */
export function parseMenu(text: string): MenuItem[] {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : [];
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const menu: MenuItem[] = [];
  for (const item of parsed.slice(0, MENU_LIMITS.items)) {
    if (typeof item?.label !== "string" || typeof item?.url !== "string") continue;
    try {
      menu.push(...checkMenu([{ label: item.label, url: item.url }]));
    } catch {}
  }
  return menu;
}

export function setMenu(db: Database, items: readonly MenuItem[]): MenuItem[] {
  const menu = checkMenu(items);
  db.query(
    "INSERT INTO settings (key, value) VALUES ('menu', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  ).run(JSON.stringify(menu));
  return menu;
}
