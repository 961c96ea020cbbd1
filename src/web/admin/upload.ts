// Uploading an image, shared by the Media page and the editor: the form is read by a parser of our
// own (Elysia's multipart parser turns any field that looks like JSON, such as alt text "[1]",
// into an object), the file is stored by its bytes alone (storeMedia: its name and the browser's
// Content-Type are never used), and each refusal becomes a status and a message for the page.
import type { Database } from "bun:sqlite";
import { t } from "elysia";
import {
  ACCEPTED_TYPES,
  InvalidImageError,
  MEDIA_LIMITS,
  MediaAltError,
  MediaQuotaError,
  MediaTooLargeError,
  storeMedia,
  UnsupportedImageError,
  type Media,
} from "../../blog/media.ts";

/** The form fields, each once (the first wins); a file stays a File. Undefined for a body that is not a form (Elysia then answers 400). */
export async function parseForm({ request }: { request: Request }): Promise<Record<string, string | File> | undefined> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(type)) return undefined;
  const fields: Record<string, string | File> = Object.create(null);
  (await request.formData()).forEach((value, key) => {
    if (!Object.hasOwn(fields, key)) fields[key] = value;
  });
  return fields;
}

/** The upload's own fields: the file (a string when none was chosen in a form sent without one) and its alt text. */
export const uploadFields = {
  image: t.Optional(t.Union([t.File(), t.String({ maxLength: 1000 })])),
  alt: t.Optional(t.String({ maxLength: MEDIA_LIMITS.alt * 4 })),
};

export type Uploaded =
  { ok: { media: Media; created: boolean }; refused?: undefined } | { ok?: undefined; refused: Refusal };

/** Why an upload was refused, and which field the message goes beside. */
export interface Refusal {
  status: number;
  field: "image" | "alt";
  message: string;
}

/** Stores the uploaded image, or says why not (nothing is stored then). */
export async function storeUpload(
  db: Database,
  image: File | string | undefined,
  alt: string | undefined,
  now: Date,
): Promise<Uploaded> {
  if (typeof image !== "object" || image.size === 0)
    return { refused: { status: 400, field: "image", message: `Choose an image file first (${ACCEPTED_TYPES}).` } };
  // Refused before the bytes are copied out of the form; storeMedia checks the same limit.
  if (image.size > MEDIA_LIMITS.fileBytes)
    return { refused: { status: 413, field: "image", message: new MediaTooLargeError(image.size).message } };
  try {
    return { ok: storeMedia(db, new Uint8Array(await image.arrayBuffer()), { alt: alt ?? "", now }) };
  } catch (e) {
    if (e instanceof MediaTooLargeError || e instanceof MediaQuotaError)
      return { refused: { status: 413, field: "image", message: e.message } };
    if (e instanceof UnsupportedImageError) return { refused: { status: 415, field: "image", message: e.message } };
    if (e instanceof InvalidImageError)
      return {
        refused: { status: 415, field: "image", message: `${e.message} WriteKit accepts ${ACCEPTED_TYPES} images.` },
      };
    if (e instanceof MediaAltError) return { refused: { status: 400, field: "alt", message: e.message } };
    throw e;
  }
}
