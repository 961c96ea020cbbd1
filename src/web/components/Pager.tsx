// Newer/older links for paginated lists; `base` already carries any other query parameters.
export function Pager({ page, pages, base }: { page: number; pages: number; base: string }): JSX.Element {
  if (pages <= 1) return "";
  const sep = base.includes("?") ? "&" : "?";
  const href = (n: number) => (n === 1 ? base : `${base}${sep}page=${n}`);
  return (
    <nav class="pager" aria-label="Pages">
      <span>
        {page > 1 ? (
          <a href={href(page - 1)} rel="prev">
            ← Newer posts
          </a>
        ) : (
          ""
        )}
      </span>
      <span class="meta" safe>{`Page ${page} of ${pages}`}</span>
      <span>
        {page < pages ? (
          <a href={href(page + 1)} rel="next">
            Older posts →
          </a>
        ) : (
          ""
        )}
      </span>
    </nav>
  );
}
