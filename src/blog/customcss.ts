// The author's own stylesheet. It is served as a separate text/css resource (never inlined into a
// page), so it cannot become markup; "<" has no use in CSS and is removed anyway, so even a
// browser sniffing the file or a copy pasted into a <style> element cannot be closed early.

/** Largest custom stylesheet accepted, in characters. */
export const CUSTOM_CSS_LIMIT = 50_000;

export function cleanCustomCss(css: string): string {
  return css.replace(/\r\n?/g, "\n").replace(/</g, "").trim();
}

/** The URL of a blog's custom stylesheet, versioned by its content so it can be cached for a year. */
export function customCssPath(css: string): string | undefined {
  return css ? `/custom.css?v=${Bun.hash(css).toString(36)}` : undefined;
}
