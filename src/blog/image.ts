// What an uploaded file is, read from its bytes alone (never from its name or a client's
// Content-Type): JPEG, PNG, GIF, WebP or AVIF, and its width and height, taken from the format's
// headers without decoding a pixel. Anything else (SVG above all, which can carry script) is
// refused, and so is a file cut short or one whose header declares absurd dimensions (a
// "decompression bomb" that would make every reader's browser allocate gigabytes).
//
// Each reader walks the format's structure as far as it needs and checks every length against the
// file's end, so a hostile file can make it throw but never read out of bounds or loop.
//
// Long because it holds one reader per format (five); each is a screen of bounds checks.

export type ImageType = "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/avif";

/** The file extension each type is served under (/media/<sha256>.<ext>). */
export const IMAGE_EXTENSIONS: Readonly<Record<ImageType, string>> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
  "image/avif": "avif",
};

const TYPE_NAMES: Readonly<Record<ImageType, string>> = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/gif": "GIF",
  "image/webp": "WebP",
  "image/avif": "AVIF",
};

export const ACCEPTED_TYPES = "JPEG, PNG, GIF, WebP or AVIF";

/** Largest declared size accepted: 20,000 pixels a side and 100 megapixels (~400 MB decoded). */
export const IMAGE_LIMITS = { side: 20_000, pixels: 100_000_000 } as const;

export interface ImageInfo {
  type: ImageType;
  width: number;
  height: number;
}

/** The file is not one of the accepted image types; `found` says what it looks like instead. */
export class UnsupportedImageError extends Error {
  override name = "UnsupportedImageError";
  constructor(readonly found: string) {
    super(`This file is ${found}, not an image WriteKit accepts; upload a ${ACCEPTED_TYPES} image.`);
  }
}

/** The file claims an accepted type but is damaged, cut short, or declares absurd dimensions. */
export class InvalidImageError extends Error {
  override name = "InvalidImageError";
}

/** The type and size of an image, or a typed error saying why it is not one WriteKit takes. */
export function inspectImage(bytes: Uint8Array): ImageInfo {
  const b = new Reader(bytes);
  let info: ImageInfo;
  if (b.startsWith([0xff, 0xd8, 0xff])) info = { type: "image/jpeg", ...jpegSize(b) };
  else if (b.startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) info = { type: "image/png", ...pngSize(b) };
  else if (b.ascii(0, 6) === "GIF87a" || b.ascii(0, 6) === "GIF89a") info = { type: "image/gif", ...gifSize(b) };
  else if (b.ascii(0, 4) === "RIFF" && b.ascii(8, 4) === "WEBP") info = { type: "image/webp", ...webpSize(b) };
  else if (b.ascii(4, 4) === "ftyp") info = { type: "image/avif", ...avifSize(b) };
  else throw new UnsupportedImageError(whatItLooksLike(bytes));
  const { width, height } = info;
  const name = TYPE_NAMES[info.type];
  if (width < 1 || height < 1)
    throw new InvalidImageError(
      `This ${name} does not say how large it is (${width} × ${height} pixels); it is damaged.`,
    );
  if (width > IMAGE_LIMITS.side || height > IMAGE_LIMITS.side || width * height > IMAGE_LIMITS.pixels) {
    throw new InvalidImageError(
      `This ${name} says it is ${width.toLocaleString("en")} × ${height.toLocaleString("en")} pixels; WriteKit accepts at most ${IMAGE_LIMITS.side.toLocaleString("en")} pixels a side and ${IMAGE_LIMITS.pixels / 1_000_000} megapixels. Scale it down and upload it again.`,
    );
  }
  return info;
}

/** For a refusal's message: what a file that is not an accepted image seems to be. */
function whatItLooksLike(bytes: Uint8Array): string {
  const head = new TextDecoder("utf-8", { fatal: false })
    .decode(bytes.subarray(0, 1024))
    .replace(/^\uFEFF/, "")
    .trimStart()
    .toLowerCase();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(!doctype svg|svg)\b/.test(head))
    return "an SVG image (SVG can carry scripts)";
  if (/^<(!doctype html|html|head|body|script|div|p|a|iframe)\b/.test(head)) return "an HTML page";
  if (head.startsWith("%pdf-")) return "a PDF document";
  const b = new Reader(bytes);
  if (b.ascii(0, 2) === "BM") return "a BMP image";
  if (b.startsWith([0x49, 0x49, 0x2a, 0x00]) || b.startsWith([0x4d, 0x4d, 0x00, 0x2a])) return "a TIFF image";
  if (b.startsWith([0x00, 0x00, 0x01, 0x00])) return "an icon file (ICO)";
  if (bytes.length === 0) return "empty";
  return "not an image";
}

class Reader {
  readonly length: number;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.length = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  has(offset: number, n: number): boolean {
    return offset >= 0 && offset + n <= this.length;
  }
  startsWith(prefix: number[]): boolean {
    return this.has(0, prefix.length) && prefix.every((v, i) => this.bytes[i] === v);
  }
  ascii(offset: number, n: number): string {
    return this.has(offset, n) ? String.fromCharCode(...this.bytes.subarray(offset, offset + n)) : "";
  }
  u8(offset: number): number {
    return this.bytes[offset];
  }
  be16(offset: number): number {
    return this.view.getUint16(offset, false);
  }
  be32(offset: number): number {
    return this.view.getUint32(offset, false);
  }
  le16(offset: number): number {
    return this.view.getUint16(offset, true);
  }
  le24(offset: number): number {
    return this.bytes[offset] | (this.bytes[offset + 1] << 8) | (this.bytes[offset + 2] << 16);
  }
  le32(offset: number): number {
    return this.view.getUint32(offset, true);
  }
}

function cutShort(name: string, what: string): InvalidImageError {
  return new InvalidImageError(`This ${name} is damaged or cut short: ${what}. Upload the whole file again.`);
}

type Size = { width: number; height: number };

// JPEG (ITU T.81 B.1): markers FF xx, most followed by a 2-byte length. The size is in the frame
// header (SOF0–SOF15 but DHT, JPG and DAC); the image data starts at SOS and ends with EOI.
function jpegSize(b: Reader): Size {
  const cut = (what: string) => cutShort("JPEG", what);
  let size: Size | null = null;
  let i = 2;
  for (;;) {
    if (!b.has(i, 2))
      throw cut(size ? "it ends before its image data" : "it ends before its frame header (SOF marker)");
    if (b.u8(i) !== 0xff) throw new InvalidImageError("This JPEG is damaged: a marker is missing where one should be.");
    while (b.has(i, 1) && b.u8(i) === 0xff) i++; // fill bytes
    if (!b.has(i, 1)) throw cut("it ends in the middle of a marker");
    const marker = b.u8(i++);
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // markers without a length
    if (marker === 0xd9)
      throw size
        ? cut("it ends before its image data")
        : new InvalidImageError("This JPEG has no frame header (SOF marker), so it has no size; it is damaged.");
    if (!b.has(i, 2)) throw cut("it ends in the middle of a segment");
    const length = b.be16(i);
    if (length < 2 || !b.has(i, length)) throw cut("a segment runs past the end of the file");
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (length < 7) throw new InvalidImageError("This JPEG's frame header is too short; it is damaged.");
      size ??= { height: b.be16(i + 3), width: b.be16(i + 5) };
    }
    if (marker === 0xda) {
      if (!size)
        throw new InvalidImageError(
          "This JPEG has no frame header (SOF marker) before its image data, so it has no size; it is damaged.",
        );
      // Inside the image data FF is always followed by 00 or a restart marker, so FF D9 is its end.
      for (let j = b.length - 2; j >= i + length; j--) if (b.u8(j) === 0xff && b.u8(j + 1) === 0xd9) return size;
      throw cut("its image data has no end (EOI marker)");
    }
    i += length;
  }
}

// PNG (RFC 2083): the signature, then chunks of length, type, data and CRC; IHDR first, IEND last.
function pngSize(b: Reader): Size {
  const cut = (what: string) => cutShort("PNG", what);
  if (!b.has(8, 25) || b.ascii(12, 4) !== "IHDR" || b.be32(8) !== 13)
    throw new InvalidImageError("This PNG has no header (IHDR chunk) where the format puts it; it is damaged.");
  const size = { width: b.be32(16), height: b.be32(20) };
  let sawData = false;
  for (let i = 8; ;) {
    if (!b.has(i, 12)) throw cut("it has no end (IEND chunk)");
    const length = b.be32(i);
    const type = b.ascii(i + 4, 4);
    const next = i + 12 + length;
    if (next > b.length) throw cut(`its ${type} chunk runs past the end of the file`);
    if (type === "IDAT") sawData = true;
    if (type === "IEND") {
      if (!sawData) throw new InvalidImageError("This PNG has no image data (IDAT chunk); it is damaged.");
      return size;
    }
    i = next;
  }
}

// GIF (89a spec): header, logical screen (the size), optional colour table, then blocks: extensions
// (0x21) and images (0x2C), each with data sub-blocks ending in a 0 length, and the trailer (0x3B).
function gifSize(b: Reader): Size {
  const cut = (what: string) => cutShort("GIF", what);
  if (!b.has(0, 13)) throw cut("it ends inside its header");
  const size = { width: b.le16(6), height: b.le16(8) };
  const table = (flags: number) => (flags & 0x80 ? 3 * (1 << ((flags & 0x07) + 1)) : 0);
  const skipSubBlocks = (i: number): number => {
    for (;;) {
      if (!b.has(i, 1)) throw cut("it ends inside a block");
      const n = b.u8(i);
      i += 1 + n;
      if (n === 0) return i;
    }
  };
  let frames = 0;
  for (let i = 13 + table(b.u8(10)); ;) {
    if (!b.has(i, 1)) throw cut("it has no end (trailer)");
    const block = b.u8(i);
    if (block === 0x3b) {
      if (!frames) throw new InvalidImageError("This GIF has no image in it; it is damaged.");
      return size;
    } else if (block === 0x21) {
      i = skipSubBlocks(i + 2);
    } else if (block === 0x2c) {
      if (!b.has(i, 11)) throw cut("it ends inside an image header");
      i = skipSubBlocks(i + 10 + table(b.u8(i + 9)) + 1);
      frames++;
    } else {
      throw new InvalidImageError("This GIF is damaged: it holds a block the format does not have.");
    }
  }
}

// WebP (RIFF container): VP8 (lossy), VP8L (lossless) or VP8X (extended: canvas size, then the
// image in VP8/VP8L chunks, or ANMF frames when animated).
function webpSize(b: Reader): Size {
  const cut = (what: string) => cutShort("WebP", what);
  const end = 8 + b.le32(4);
  if (end > b.length) throw cut("the file is shorter than its header says");
  let canvas: Size | null = null;
  let image: Size | null = null;
  let sawFrames = false;
  for (let i = 12; i < end;) {
    if (i + 8 > end) throw cut("it ends inside a chunk header");
    const type = b.ascii(i, 4);
    const length = b.le32(i + 4);
    const data = i + 8;
    if (data + length > end) throw cut(`its ${type.trim()} chunk runs past the end of the file`);
    if (type === "VP8X" && length >= 10) canvas = { width: 1 + b.le24(data + 4), height: 1 + b.le24(data + 7) };
    else if (type === "VP8 " && length >= 10) {
      if (b.u8(data + 3) !== 0x9d || b.u8(data + 4) !== 0x01 || b.u8(data + 5) !== 0x2a)
        throw new InvalidImageError("This WebP's image data does not start as the format says; it is damaged.");
      image ??= { width: b.le16(data + 6) & 0x3fff, height: b.le16(data + 8) & 0x3fff };
    } else if (type === "VP8L" && length >= 5) {
      if (b.u8(data) !== 0x2f)
        throw new InvalidImageError(
          "This WebP's lossless image data does not start as the format says; it is damaged.",
        );
      const bits = b.le32(data + 1);
      image ??= { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    } else if (type === "ANMF") sawFrames = true;
    i = data + length + (length & 1);
  }
  if (!image && !sawFrames) throw cut("it has no image data");
  return canvas ?? image!;
}

// AVIF (ISO BMFF / HEIF): boxes of size and type. `ftyp` names the brand; `meta` holds `pitm` (the
// primary item), `iprp` → `ipco` (properties, among them `ispe`: width and height, and `irot`) and
// `ipma` (which properties belong to which item); the coded image is in `mdat` (or `idat`).
function avifSize(b: Reader): Size {
  const cut = (what: string) => cutShort("AVIF", what);
  const boxes = (start: number, end: number) => {
    const found: { type: string; start: number; end: number }[] = [];
    for (let i = start; i < end;) {
      if (i + 8 > end) throw cut("it ends inside a box header");
      let size = b.be32(i);
      let header = 8;
      if (size === 1) {
        if (i + 16 > end) throw cut("it ends inside a box header");
        if (b.be32(i + 8) !== 0) throw cut("a box is larger than the file");
        size = b.be32(i + 12);
        header = 16;
      } else if (size === 0) size = end - i;
      if (size < header || i + size > end) throw cut(`its ${b.ascii(i + 4, 4)} box runs past the end of the file`);
      found.push({ type: b.ascii(i + 4, 4), start: i + header, end: i + size });
      i += size;
    }
    return found;
  };
  const top = boxes(0, b.length);
  const ftyp = top[0];
  const brands = [b.ascii(ftyp.start, 4)];
  for (let i = ftyp.start + 8; i + 4 <= ftyp.end; i += 4) brands.push(b.ascii(i, 4));
  if (!brands.includes("avif") && !brands.includes("avis")) {
    throw new UnsupportedImageError(
      brands.some((x) => /^hei[cxms]$|^hev[cx]$/.test(x)) ? "a HEIC image" : "a video or another ISO media file",
    );
  }
  const meta = top.find((box) => box.type === "meta");
  if (!meta) throw cut("it has no description of its image (meta box)");
  const inMeta = boxes(meta.start + 4, meta.end); // a full box: version and flags first
  const iprp = inMeta.find((box) => box.type === "iprp");
  const ipco = iprp && boxes(iprp.start, iprp.end).find((box) => box.type === "ipco");
  if (!ipco)
    throw new InvalidImageError("This AVIF has no image properties (ipco box), so it has no size; it is damaged.");
  if (!top.some((box) => box.type === "mdat") && !inMeta.some((box) => box.type === "idat"))
    throw cut("it has no image data");
  const properties = boxes(ipco.start, ipco.end);
  const wanted = primaryProperties(b, inMeta, iprp!, boxes);
  const chosen = wanted ? wanted.map((n) => properties[n - 1]).filter(Boolean) : properties;
  const ispe = chosen.find((box) => box.type === "ispe");
  if (!ispe || ispe.end - ispe.start < 12)
    throw new InvalidImageError("This AVIF does not say how large its image is (no ispe property); it is damaged.");
  const size = { width: b.be32(ispe.start + 4), height: b.be32(ispe.start + 8) };
  const irot = chosen.find((box) => box.type === "irot");
  // A quarter or three-quarter turn swaps what the reader sees.
  if (irot && irot.end > irot.start && (b.u8(irot.start) & 1) === 1) return { width: size.height, height: size.width };
  return size;
}

type Box = { type: string; start: number; end: number };

/** The 1-based ipco indexes of the primary item's properties, or null when the file does not say. */
function primaryProperties(
  b: Reader,
  inMeta: Box[],
  iprp: Box,
  boxes: (start: number, end: number) => Box[],
): number[] | null {
  const pitm = inMeta.find((box) => box.type === "pitm");
  const ipma = boxes(iprp.start, iprp.end).find((box) => box.type === "ipma");
  if (!pitm || !ipma || pitm.end - pitm.start < 6 || ipma.end - ipma.start < 8) return null;
  const primary = b.u8(pitm.start) === 0 ? b.be16(pitm.start + 4) : b.be32(pitm.start + 4);
  const version = b.u8(ipma.start);
  const wide = (b.be32(ipma.start) & 1) === 1; // flags bit 0: 15-bit property indexes
  const count = b.be32(ipma.start + 4);
  let i = ipma.start + 8;
  for (let e = 0; e < count; e++) {
    const idBytes = version < 1 ? 2 : 4;
    if (i + idBytes + 1 > ipma.end) return null;
    const item = idBytes === 2 ? b.be16(i) : b.be32(i);
    const associations = b.u8(i + idBytes);
    i += idBytes + 1;
    const indexes: number[] = [];
    for (let a = 0; a < associations; a++) {
      if (i + (wide ? 2 : 1) > ipma.end) return null;
      indexes.push(wide ? b.be16(i) & 0x7fff : b.u8(i) & 0x7f);
      i += wide ? 2 : 1;
    }
    if (item === primary) return indexes;
  }
  return null;
}
