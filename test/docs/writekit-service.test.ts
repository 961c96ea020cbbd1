// docs/writekit.service, the systemd unit the README shows: systemd itself must find nothing wrong
// with it, and the README must show exactly this file.
import { describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, tempDir } from "../helpers.ts";

const UNIT = join(REPO, "docs", "writekit.service");
const systemdAnalyze = Bun.which("systemd-analyze");
if (!systemdAnalyze) console.warn("systemd unit test skipped: systemd-analyze is missing (apt-get install -y systemd)");

describe("the systemd unit", () => {
  const unit = readFileSync(UNIT, "utf8");

  test("runs the server as its own user on WRITEKIT_DATA, with room to stop and the hardening the README promises", () => {
    for (const line of [
      "User=writekit",
      "Environment=WRITEKIT_DATA=/var/lib/writekit",
      "ExecStart=/usr/local/bin/writekit serve --hostname 127.0.0.1",
      "TimeoutStopSec=120",
      "ProtectSystem=strict",
      "ReadWritePaths=/var/lib/writekit",
      "NoNewPrivileges=yes",
      "PrivateTmp=yes",
      "UMask=0077",
    ]) expect(unit.split("\n")).toContain(line);
  });

  test("is the one the README shows", () => {
    expect(readFileSync(join(REPO, "README.md"), "utf8")).toContain("```ini\n" + unit + "```");
  });

  test.skipIf(!systemdAnalyze)("passes systemd-analyze verify without a warning", async () => {
    // verify wants ExecStart's program to exist: a stand-in at a temporary path, nothing else changed.
    const dir = tempDir();
    const program = join(dir, "writekit");
    writeFileSync(program, "#!/bin/sh\n");
    chmodSync(program, 0o755);
    const copy = join(dir, "writekit.service");
    writeFileSync(copy, unit.replaceAll("/usr/local/bin/writekit", program));
    const proc = Bun.spawn([systemdAnalyze!, "verify", "--man=no", copy], { stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    // verify exits 0 even for an unknown key or a bad value, and only says so on stderr.
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: "", stderr: "" });
  }, 30_000);
});
