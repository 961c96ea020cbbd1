// Times are stored as ISO 8601 UTC text with second precision ("2026-11-25T09:30:00Z"): they sort
// as text, compare in SQL, and read well in sqlite3.

export function isoTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Parses a stored or user-given time; null when it is not a real date. */
export function parseTime(text: string): Date | null {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}
