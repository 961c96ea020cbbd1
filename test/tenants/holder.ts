// A child process holding a blog open, for tests of what the server may do to a blog's files while
// another process uses it.
import { spawn } from "bun";

/** A child process that opens the blog, says "ready", and holds the connection until stdin closes. */
export function holder(path: string) {
  const child = spawn({
    cmd: [
      process.execPath,
      "-e",
      `
      const { Database, constants } = require("bun:sqlite");
      const db = new Database(${JSON.stringify(path)});
      db.run("PRAGMA busy_timeout = 5000");
      db.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1); // as the server's connections do
      db.query("SELECT count(*) FROM posts").get();
      console.log("ready");
      for await (const _ of Bun.stdin.stream()) {}
      db.run("INSERT INTO settings (key, value) VALUES ('holder', 'still writing')");
      db.close();
    `,
    ],
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const ready = (async () => {
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("holder exited before it was ready");
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
  })();
  return { ready, stop: async () => (child.stdin.end(), await child.exited) };
}
