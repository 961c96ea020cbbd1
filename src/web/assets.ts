// The stylesheet, embedded in the binary and served under a content-hashed URL so it can be
// cached for a year: a new release changes the hash, and so the URL.
import css from "./style.css" with { type: "text" };

export const STYLESHEET = css;
export const STYLESHEET_PATH = `/assets/style-${Bun.hash(css).toString(36)}.css`;

/**
 * The icon of a blog that has not chosen one (and of the instance), so no browser gets a 404 for
 * /favicon.ico: a 32×32 PNG, a white "W" on the stylesheet's accent colour, drawn once by a script.
 */
export const DEFAULT_ICON = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAnElEQVR42u2XSw6AIAxE5yaexht7P02MLMTUlqEWMEzCCug8oPyAS9u67FEFuSLNHxAtzG8QE6AlwAkhVSTVGmhx8NapFsISp0+AvLMHAJ0DXQBIASx1NIA2As3AOoMTAMw2ksRsYzCZXAJAH8VSME2fApQuiQsAs+YlB9i4AEybcQGsmc1cYOMAJAOPNjTAfJb/6nvW9IMKTZGmBx0idCm+/0aIAAAAAElFTkSuQmCC",
  "base64",
);
