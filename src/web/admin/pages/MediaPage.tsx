// The blog's images: an upload form (no JavaScript: a multipart form with the session's token),
// every image with its thumbnail, size, dimensions, Markdown and where it is used, the choice of
// the blog's icon, and the way to delete one nothing uses.
import {
  ACCEPTED_TYPES,
  MEDIA_LIMITS,
  mediaMarkdown,
  mediaUrl,
  sizeText,
  type Media,
  type MediaUse,
} from "../../../blog/media.ts";
import type { Refusal } from "../upload.ts";
import { AdminLayout, CsrfField, FieldError, Notice, type Chrome } from "./AdminLayout.tsx";

export interface MediaPageProps {
  chrome: Chrome;
  media: (Media & { usedBy: MediaUse[] })[];
  usage: { used: number; quota: number; count: number };
  /** The sha256 of the blog's icon, or "". */
  icon: string;
  /** The alt text typed (kept when an upload is refused). */
  alt?: string;
  refused?: Refusal;
  notice?: { kind: "ok" | "bad"; text: string; markdown?: string };
}

/** The browser's file picker offers these; the server decides by the bytes alone. */
export const IMAGE_ACCEPT = "image/jpeg,image/png,image/gif,image/webp,image/avif";

export function MediaPage({ chrome, media, usage, icon, alt = "", refused, notice }: MediaPageProps): JSX.Element {
  return (
    <AdminLayout title="Media" chrome={chrome} section="media">
      <div class="page-head">
        <h1>Media</h1>
      </div>
      {notice ? (
        <Notice kind={notice.kind}>
          <span safe>{notice.text}</span>
          {notice.markdown ? (
            <>
              {" "}
              <code class="markdown" safe>
                {notice.markdown}
              </code>
            </>
          ) : (
            ""
          )}
        </Notice>
      ) : (
        ""
      )}
      {refused ? (
        <Notice kind="bad">
          <span safe>{`Nothing was stored: ${refused.message}`}</span>
        </Notice>
      ) : (
        ""
      )}
      <section class="card" id="upload">
        <h2>Upload an image</h2>
        <form class="stack" method="post" action="/admin/media" enctype="multipart/form-data">
          <CsrfField token={chrome.csrf} />
          <div class={refused?.field === "image" ? "field invalid" : "field"}>
            <label for="image">Image</label>
            <input
              type="file"
              id="image"
              name="image"
              accept={IMAGE_ACCEPT}
              aria-invalid={refused?.field === "image" ? "true" : undefined}
              aria-describedby={refused?.field === "image" ? "image-hint image-error" : "image-hint"}
            />
            <p
              class="hint"
              id="image-hint"
              safe
            >{`${ACCEPTED_TYPES}, at most ${sizeText(MEDIA_LIMITS.fileBytes)}. The same file uploaded twice is stored once.`}</p>
            <FieldError id="image" message={refused?.field === "image" ? refused.message : undefined} />
          </div>
          <div class={refused?.field === "alt" ? "field invalid" : "field"}>
            <label for="alt">Alt text</label>
            <input
              type="text"
              id="alt"
              name="alt"
              value={alt}
              maxlength={String(MEDIA_LIMITS.alt)}
              aria-invalid={refused?.field === "alt" ? "true" : undefined}
              aria-describedby="alt-hint"
            />
            <p class="hint" id="alt-hint">
              What the image shows, for readers who cannot see it.
            </p>
            <FieldError id="alt" message={refused?.field === "alt" ? refused.message : undefined} />
          </div>
          <div>
            <button type="submit">Upload</button>
          </div>
        </form>
      </section>
      <p
        class="meta"
        safe
      >{`${usage.count} image${usage.count === 1 ? "" : "s"}, ${sizeText(usage.used)} of this blog's ${sizeText(usage.quota)}.`}</p>
      {media.length === 0 ? (
        <div class="empty">
          <p>No images yet. Upload one here or from the editor.</p>
        </div>
      ) : (
        <ul class="media-list">
          {media.map((m) => (
            <MediaItem chrome={chrome} media={m} isIcon={m.sha256 === icon} />
          ))}
        </ul>
      )}
    </AdminLayout>
  );
}

function MediaItem({
  chrome,
  media,
  isIcon,
}: {
  chrome: Chrome;
  media: Media & { usedBy: MediaUse[] };
  isIcon: boolean;
}): JSX.Element {
  const url = mediaUrl(media);
  const id = media.sha256.slice(0, 12);
  return (
    <li class="media-item" id={`m-${id}`}>
      <a class="thumb" href={url}>
        <img src={url} alt={media.alt} width={String(media.width)} height={String(media.height)} loading="lazy" />
      </a>
      <div class="media-facts">
        <label for={`md-${id}`}>Markdown</label>
        <input type="text" id={`md-${id}`} readonly value={mediaMarkdown(media)} spellcheck="false" />
        <dl class="facts">
          <dt>Size</dt>
          <dd safe>{sizeText(media.bytes)}</dd>
          <dt>Dimensions</dt>
          <dd safe>{`${media.width} × ${media.height} pixels, ${media.type.slice(6).toUpperCase()}`}</dd>
          <dt>Alt text</dt>
          <dd safe>{media.alt || "(none)"}</dd>
          <dt>Used in</dt>
          <dd>
            {media.usedBy.length === 0
              ? "Nothing yet"
              : media.usedBy.map((use, i) => (
                  <>
                    {i > 0 ? ", " : ""}
                    <a href={`/admin/posts/${use.id}`} safe>
                      {use.kind === "page" ? `${use.title} (page)` : use.title}
                    </a>
                  </>
                ))}
          </dd>
        </dl>
        <div class="side-actions">
          <form method="post" action="/admin/media/icon" class="inline">
            <CsrfField token={chrome.csrf} />
            <input type="hidden" name="sha256" value={isIcon ? "" : media.sha256} />
            {isIcon ? (
              <>
                <span class="status published">The blog's icon</span>{" "}
                <button type="submit" class="link">
                  Stop using it as the icon
                </button>
              </>
            ) : (
              <button type="submit" class="link">
                Use as the blog's icon
              </button>
            )}
          </form>
          {media.usedBy.length === 0 && !isIcon ? (
            <a class="danger-link" href={`/admin/media/${media.sha256}/delete`}>
              Delete…
            </a>
          ) : (
            ""
          )}
        </div>
      </div>
    </li>
  );
}
