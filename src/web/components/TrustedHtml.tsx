// The one place stored HTML is inserted unescaped. Only HTML that was sanitised when it was saved
// (renderMarkdown, renderCommentText, search snippets escaped in blog/search.ts) may come here.
export function TrustedHtml({
  safeHtml,
  tag = "div",
  class: className,
}: {
  safeHtml: string;
  tag?: "div" | "span" | "p";
  class?: string;
}): JSX.Element {
  if (tag === "span") return <span class={className}>{safeHtml}</span>;
  if (tag === "p") return <p class={className}>{safeHtml}</p>;
  return <div class={className}>{safeHtml}</div>;
}
