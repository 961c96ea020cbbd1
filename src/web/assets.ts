// The stylesheet, embedded in the binary and served under a content-hashed URL so it can be
// cached for a year: a new release changes the hash, and so the URL.
import css from "./style.css" with { type: "text" };

export const STYLESHEET = css;
export const STYLESHEET_PATH = `/assets/style-${Bun.hash(css).toString(36)}.css`;
