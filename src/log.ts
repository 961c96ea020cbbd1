// One line per event, as text or JSON (`--log-format`). Errors always name the blog they concern.
type Fields = Record<string, string | number | boolean | undefined>;
let format: "text" | "json" = "text";
let sink: (line: string) => void = (line) => process.stderr.write(line + "\n");

export function configureLog(options: { format?: "text" | "json"; sink?: (line: string) => void }): void {
  if (options.format) format = options.format;
  if (options.sink) sink = options.sink;
}

function write(level: "info" | "warn" | "error", message: string, fields: Fields = {}): void {
  const time = new Date().toISOString();
  if (format === "json") {
    sink(JSON.stringify({ time, level, msg: message, ...fields }));
  } else {
    const extra = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === "string" && /\s|"/.test(v) ? JSON.stringify(v) : v}`)
      .join(" ");
    sink(`${time} ${level.toUpperCase()} ${message}${extra ? " " + extra : ""}`);
  }
}

export const log = {
  info: (message: string, fields?: Fields) => write("info", message, fields),
  warn: (message: string, fields?: Fields) => write("warn", message, fields),
  error: (message: string, fields?: Fields) => write("error", message, fields),
};
