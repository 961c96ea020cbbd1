// Images and hostile files for the upload and serving tests, made from the small real images in
// test/fixtures/media (see its README).
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const fixture = (name: string): Uint8Array<ArrayBuffer> =>
  new Uint8Array(readFileSync(join(import.meta.dir, "fixtures", "media", name)));
export const sha256 = (bytes: Uint8Array): string => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/** A real PNG with an ancillary chunk of `padding` bytes before its end: a valid image of any size. */
export function pngOfSize(total: number): Uint8Array<ArrayBuffer> {
  const png = fixture("photo.png");
  const end = png.length - 12; // the IEND chunk
  const padding = total - png.length - 12;
  const out = new Uint8Array(total);
  out.set(png.subarray(0, end));
  const view = new DataView(out.buffer);
  view.setUint32(end, padding);
  out.set(new TextEncoder().encode("wkPd"), end + 4);
  out.set(png.subarray(end), end + 12 + padding);
  return out;
}

/** A copy of the PNG with its header declaring another width and height (a "decompression bomb"). */
export function pngDeclaring(width: number, height: number): Uint8Array<ArrayBuffer> {
  const png = fixture("photo.png").slice();
  const view = new DataView(png.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return png;
}

export const HOSTILE = {
  svgWithScript: new TextEncoder().encode(
    '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>',
  ),
  htmlRenamedPng: new TextEncoder().encode("<!doctype html><html><body><script>alert(1)</script></body></html>"),
  truncatedJpeg: fixture("photo.jpg").slice(0, 120),
  hugePng: pngDeclaring(100_000, 100_000),
};
