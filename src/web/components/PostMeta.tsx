// Date and tags under a post's title, in the blog's time zone.
const formats = new Map<string, Intl.DateTimeFormat>();

export function formatDate(iso: string | null, timeZone: string): string {
  if (!iso) return "";
  let f = formats.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeZone });
    } catch {
      f = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeZone: "UTC" });
    }
    formats.set(timeZone, f);
  }
  return f.format(new Date(iso));
}

export function tagHref(tag: string): string {
  return `/tags/${encodeURIComponent(tag)}`;
}

export function PostMeta({
  publishedAt,
  tags,
  timeZone,
}: {
  publishedAt: string | null;
  tags: string[];
  timeZone: string;
}): JSX.Element {
  return (
    <p class="meta">
      {publishedAt ? (
        <time datetime={publishedAt} safe>
          {formatDate(publishedAt, timeZone)}
        </time>
      ) : (
        ""
      )}
      {tags.length ? (
        <span class="tags">
          {" · "}
          {tags.map((t) => (
            <a href={tagHref(t)} rel="tag" safe>
              {t}
            </a>
          ))}
        </span>
      ) : (
        ""
      )}
    </p>
  );
}
