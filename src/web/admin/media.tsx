// The Media page: uploading an image (multipart, checked by its bytes), every image with where it
// is used, choosing the blog's icon, and deleting an image nothing uses (behind a confirmation).
import { Elysia, t } from "elysia";
import {
  deleteMedia,
  getMedia,
  listMedia,
  mediaMarkdown,
  mediaUrl,
  mediaUsage,
  MediaInUseError,
  sizeText,
} from "../../blog/media.ts";
import { updateSettings } from "../../blog/settings.ts";
import type { Services } from "../services.ts";
import { authorContext, type Admin } from "./author.tsx";
import { adminPage, adminRedirect, refusal } from "./context.tsx";
import { ConfirmPage } from "./pages/ConfirmPage.tsx";
import { MediaPage, type MediaPageProps } from "./pages/MediaPage.tsx";
import { parseForm, storeUpload, uploadFields } from "./upload.ts";

const csrf = t.Optional(t.String({ maxLength: 100 }));
const sha = t.String({ maxLength: 64 });

export function mediaRoutes(services: Services) {
  const page = (
    admin: Admin,
    props: Partial<Pick<MediaPageProps, "alt" | "refused" | "notice">> = {},
    status = 200,
  ) => {
    const db = admin.blog.db;
    return adminPage(
      <MediaPage
        chrome={admin.chrome}
        media={listMedia(db)}
        usage={mediaUsage(db)}
        icon={admin.blog.settings.icon}
        {...props}
      />,
      status,
    );
  };
  const noSuchImage = (admin: Admin) =>
    refusal(admin.blog, 404, "No such image", "This image does not exist (it may have been deleted).");
  const isIcon = (admin: Admin, sha256: string) => admin.blog.settings.icon === sha256;

  return new Elysia({ name: "admin-media" })
    .use(authorContext(services))
    .get(
      "/admin/media",
      ({ admin, query }) => {
        const uploaded = query.uploaded ? getMedia(admin.blog.db, query.uploaded) : null;
        let notice: MediaPageProps["notice"];
        if (uploaded)
          notice = {
            kind: "ok",
            text: query.again
              ? "This image was already here, so it is stored once. Paste this Markdown into a post:"
              : "Uploaded. Paste this Markdown into a post:",
            markdown: mediaMarkdown(uploaded),
          };
        else if (query.deleted) notice = { kind: "ok", text: "The image was deleted." };
        else if (query.icon === "set")
          notice = {
            kind: "ok",
            text: "The blog's icon is changed. Browsers that showed the old one may take a day to notice.",
          };
        else if (query.icon === "removed") notice = { kind: "ok", text: "The blog uses the default icon again." };
        return page(admin, { notice });
      },
      {
        author: true,
        query: t.Object({
          uploaded: t.Optional(sha),
          again: t.Optional(t.String({ maxLength: 5 })),
          deleted: t.Optional(t.String({ maxLength: 5 })),
          icon: t.Optional(t.String({ maxLength: 10 })),
        }),
      },
    )
    .post(
      "/admin/media",
      async ({ admin, body }) => {
        const result = await storeUpload(admin.blog.db, body.image, body.alt, services.now());
        if (result.refused) return page(admin, { alt: body.alt, refused: result.refused }, result.refused.status);
        const { media, created } = result.ok;
        return adminRedirect(`/admin/media?uploaded=${media.sha256}${created ? "" : "&again=1"}`);
      },
      { author: true, parse: parseForm, body: t.Object({ csrf, ...uploadFields }) },
    )
    .post(
      "/admin/media/icon",
      ({ admin, body }) => {
        if (body.sha256 === "") {
          updateSettings(admin.blog.db, { icon: "" });
          return adminRedirect("/admin/media?icon=removed");
        }
        if (!getMedia(admin.blog.db, body.sha256)) return noSuchImage(admin);
        updateSettings(admin.blog.db, { icon: body.sha256 });
        return adminRedirect("/admin/media?icon=set");
      },
      { author: true, body: t.Object({ csrf, sha256: sha }) },
    )
    .get(
      "/admin/media/:sha256/delete",
      ({ admin, params }) => {
        const media = getMedia(admin.blog.db, params.sha256);
        if (!media) return noSuchImage(admin);
        const url = mediaUrl(media);
        return adminPage(
          <ConfirmPage
            chrome={admin.chrome}
            section="media"
            heading="Delete this image?"
            action={`/admin/media/${media.sha256}/delete`}
            button="Delete for good"
            cancelHref="/admin/media"
            danger
          >
            <p>
              <img
                class="confirm-thumb"
                src={url}
                alt={media.alt}
                width={String(media.width)}
                height={String(media.height)}
              />
            </p>
            <p
              safe
            >{`The image (${sizeText(media.bytes)}, ${media.width} × ${media.height} pixels) is removed from the blog's file, and ${url} stops working. No post or page uses it. This cannot be undone.`}</p>
          </ConfirmPage>,
        );
      },
      { author: true, params: t.Object({ sha256: sha }) },
    )
    .post(
      "/admin/media/:sha256/delete",
      ({ admin, params }) => {
        if (isIcon(admin, params.sha256))
          return refusal(
            admin.blog,
            409,
            "This image is the blog's icon",
            "It was not deleted. Choose another icon, or stop using this one as the icon on the Media page, then delete it.",
          );
        try {
          if (!deleteMedia(admin.blog.db, params.sha256)) return noSuchImage(admin);
        } catch (e) {
          if (e instanceof MediaInUseError)
            return refusal(admin.blog, 409, "This image is in use", `It was not deleted. ${e.message}`);
          throw e;
        }
        return adminRedirect("/admin/media?deleted=1");
      },
      { author: true, params: t.Object({ sha256: sha }), body: t.Object({ csrf }) },
    );
}
