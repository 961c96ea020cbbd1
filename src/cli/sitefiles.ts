// Reading the files of a site being imported (its Markdown and its images) without being led
// outside it: a link is resolved and must stay inside the folder given, only regular files are
// opened (never a named pipe that would block or a device), and what was opened is what is checked.
import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  openSync,
  readFileSync,
  realpathSync,
  type Stats,
  statSync,
} from "node:fs";
import { resolve, sep } from "node:path";

/** A file that is not read, with a message for the person importing it. */
export class SiteFileError extends Error {
  override name = "SiteFileError";
}

/** Why a file system call failed, in words. */
export function fileErrorMessage(e: unknown): string {
  const code = (e as { code?: string })?.code;
  if (code === "ENOENT") return "no such file or folder (or a link to nothing)";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a folder";
  if (code === "ELOOP") return "it is a loop of symbolic links that never reaches a file";
  if (code === "ENOTDIR") return "a part of its path is a file, not a folder";
  return e instanceof Error ? e.message : String(e);
}

/** What a directory entry or a file is, when it is not a regular file. */
export function kindOf(
  entry: Pick<Dirent, "isDirectory" | "isFIFO" | "isSocket" | "isCharacterDevice" | "isBlockDevice">,
): string {
  if (entry.isDirectory()) return "a folder";
  if (entry.isFIFO()) return "a named pipe (FIFO)";
  if (entry.isSocket()) return "a socket";
  if (entry.isCharacterDevice()) return "a character device";
  if (entry.isBlockDevice()) return "a block device";
  return "not a file";
}

export function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The bytes of the regular file at `path`, refused (SiteFileError) when its real path lies in
 * none of `roots`, when it is not a regular file, or when it is larger than `maxBytes`
 * (`tooBig` words that). The link is resolved first and the file opened without following links
 * and without blocking; what was opened is checked again, so a file swapped meanwhile is refused.
 */
export function readSiteFile(
  path: string,
  roots: string[],
  maxBytes: number,
  tooBig: (size: number) => string,
): { bytes: Buffer; modifiedAt: Date } {
  const real = realpathSync(path);
  if (!roots.some((root) => isInside(real, root))) {
    throw new SiteFileError(
      `it is a link to ${real}, outside ${roots.join(" and ")}; only files inside the folder being imported are read`,
    );
  }
  const notRegular = (stats: Stats) =>
    new SiteFileError(
      `it is ${kindOf(stats)}, not a regular file${real === resolve(path) ? "" : ` (through the link to ${real})`}`,
    );
  // Checked before opening too: opening a device can do something by itself.
  const before = statSync(real);
  if (!before.isFile()) throw notRegular(before);
  const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(stats);
    if (stats.size > maxBytes) throw new SiteFileError(tooBig(stats.size));
    return { bytes: readFileSync(fd), modifiedAt: stats.mtime };
  } finally {
    closeSync(fd);
  }
}
