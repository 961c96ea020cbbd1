// The page-view journal, DATA/views/. Every second the server appends what readers viewed since
// the last append to the current segment (one write, then fdatasync, off the server's thread), so
// a crash loses at most the last second, and a stop appends the rest and exits at once. Segments
// are closed every few minutes and their views added to the blogs (flusher.ts); a segment's file
// is removed once every blog in it has them.
//   DATA/views/journal-id     a random id; each blog records the last segment of it that it took
//   DATA/views/next-segment   the number the next segment gets (numbers are never reused)
//   DATA/views/<n>.log        one line per append: a JSON array of [blog, day, post id, views]
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  write,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import type { JournalRow } from "../blog/views.ts";
import { log } from "../log.ts";
import { writeFileAtomically } from "../tenants/files.ts";
import { isTenantName } from "../tenants/names.ts";

export function journalDir(dataDir: string): string {
  return join(resolve(dataDir), "views");
}

const SEGMENT_FILE = /^(\d{1,15})\.log$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isRow(row: unknown): row is JournalRow {
  if (!Array.isArray(row) || row.length !== 4) return false;
  const [blog, day, postId, count] = row;
  return (
    typeof blog === "string" &&
    isTenantName(blog) &&
    typeof day === "string" &&
    DAY.test(day) &&
    Number.isSafeInteger(postId) &&
    postId > 0 &&
    Number.isSafeInteger(count) &&
    count > 0
  );
}

/**
 * The rows of a segment file. A line cut short by a crash (the last one) is skipped: its views
 * were never acknowledged to anyone. Rows that are not well-formed are skipped and counted.
 */
export function parseSegment(text: string): { rows: JournalRow[]; skipped: number } {
  const rows: JournalRow[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (!line) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (!Array.isArray(parsed)) {
      skipped++;
      continue;
    }
    for (const row of parsed) {
      if (isRow(row)) rows.push(row);
      else skipped++;
    }
  }
  return { rows, skipped };
}

const encoder = new TextEncoder();

export class ViewJournal {
  readonly dir: string;
  private journalId = "";
  private segment = 0;
  private fd: number | null = null;

  constructor(dataDir: string) {
    this.dir = journalDir(dataDir);
  }

  /** The id blogs record the segments they took under. */
  get id(): string {
    return this.journalId;
  }

  /** The segment appends go to now. */
  get current(): number {
    return this.segment;
  }

  /**
   * Opens the journal and starts a new segment. Returns the segments a previous run left (closed,
   * their views not yet in every blog), oldest first, with their rows.
   */
  open(): { segment: number; rows: JournalRow[] }[] {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const idFile = join(this.dir, "journal-id");
    try {
      this.journalId = readFileSync(idFile, "utf8").trim();
    } catch {}
    if (!/^[0-9a-f]{32}$/.test(this.journalId)) {
      this.journalId = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
      writeFileAtomically(idFile, this.journalId + "\n");
    }
    const left: { segment: number; rows: JournalRow[] }[] = [];
    for (const segment of this.segments()) {
      const { rows, skipped } = parseSegment(readFileSync(this.pathOf(segment), "utf8"));
      if (skipped) log.warn("page-view journal: skipped rows that could not be read", { segment, skipped });
      left.push({ segment, rows });
    }
    let next = 1;
    try {
      next = Math.max(next, Number(readFileSync(join(this.dir, "next-segment"), "utf8").trim()) || 1);
    } catch {}
    if (left.length) next = Math.max(next, left[left.length - 1].segment + 1);
    this.start(next);
    return left;
  }

  /** Closes the current segment and starts the next; returns the number of the one closed. */
  rotate(): number {
    const closed = this.segment;
    this.closeFile();
    this.start(closed + 1);
    return closed;
  }

  /** Appends rows to the current segment and waits until they are on disk; resolves with its number. */
  append(rows: JournalRow[]): Promise<number> {
    const fd = this.fd!;
    const segment = this.segment;
    const bytes = encoder.encode(JSON.stringify(rows) + "\n");
    return new Promise((done, fail) =>
      write(fd, bytes, (error) => {
        if (error) return fail(error);
        fdatasync(fd, (synced) => (synced ? fail(synced) : done(segment)));
      }),
    );
  }

  /** The same, on this thread: at shutdown, when nothing else waits. */
  appendSync(rows: JournalRow[]): number {
    writeSync(this.fd!, encoder.encode(JSON.stringify(rows) + "\n"));
    fdatasyncSync(this.fd!);
    return this.segment;
  }

  /** Replaces a closed segment's file with only the rows still to be taken (atomically). */
  rewrite(segment: number, rows: JournalRow[]): void {
    writeFileAtomically(this.pathOf(segment), rows.length ? JSON.stringify(rows) + "\n" : "");
  }

  remove(segment: number): void {
    rmSync(this.pathOf(segment), { force: true });
  }

  close(): void {
    this.closeFile();
  }

  /** Segment files present, oldest first (the current one included once started). */
  segments(): number[] {
    return readdirSync(this.dir)
      .map((f) => SEGMENT_FILE.exec(f)?.[1])
      .filter((n) => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private start(segment: number): void {
    writeFileAtomically(join(this.dir, "next-segment"), `${segment + 1}\n`);
    this.segment = segment;
    this.fd = openSync(this.pathOf(segment), "a", 0o600);
  }

  private closeFile(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private pathOf(segment: number): string {
    return join(this.dir, `${segment}.log`);
  }
}
