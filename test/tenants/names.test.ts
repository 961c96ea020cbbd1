import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isTenantName, parseTenantName, tenantPath, TenantNameError } from "../../src/tenants/names.ts";
import { tempDir } from "../helpers.ts";

describe("blog names", () => {
  test.each(["alice", "a", "bob-2", "0day", "a".repeat(63), "my-long-blog-name"])("accepts %p", (name) => {
    expect(parseTenantName(name)).toBe(name as any);
  });

  const refusals: [string, RegExp][] = [
    ["", /must not be empty/],
    ["Alice", /upper-case/],
    ["../etc", /path/],
    ["a/b", /path/],
    ["a\\b", /path/],
    ["..", /path/],
    ["alice.db", /other than lower-case/],
    ["a.b", /other than lower-case/],
    ["my blog", /spaces/],
    ["alice%2f..", /%/],
    ["%2e%2e", /%/],
    ["café", /non-ASCII/],
    ["аlice", /non-ASCII/], // Cyrillic а
    ["a\u0000b", /control/],
    ["-alice", /hyphen/],
    ["alice-", /hyphen/],
    ["xn--caf-dma", /xn--/],
    ["admin", /reserved/],
    ["www", /reserved/],
    ["api", /reserved/],
    ["static", /reserved/],
    ["mail", /reserved/],
    ["a".repeat(64), /at most 63/],
    ["under_score", /other than lower-case/],
  ];
  test.each(refusals)("refuses %p, saying which rule it breaks", (name, rule) => {
    expect(() => parseTenantName(name)).toThrow(TenantNameError);
    expect(() => parseTenantName(name)).toThrow(rule);
    expect(isTenantName(name)).toBe(false);
  });

  test.each(["con", "prn", "aux", "nul", "com1", "com9", "lpt1", "lpt9", "com0", "lpt0"])(
    "refuses the Windows device name %p, so the data directory copies to any system",
    (name) => {
      expect(() => parseTenantName(name)).toThrow(/reserved name \(a device name on Windows/);
      expect(() => parseTenantName(name.toUpperCase())).toThrow(TenantNameError);
      expect(isTenantName(name)).toBe(false);
    },
  );

  test.each(["con1", "console", "com10", "lpt", "nul-blog", "auxiliary"])(
    "accepts %p, which only looks like a device name",
    (name) => {
      expect(parseTenantName(name)).toBe(name as any);
    },
  );

  test("a name becomes a path inside DATA/tenants and nothing is created", () => {
    const data = tempDir();
    const path = tenantPath(data, parseTenantName("alice"));
    expect(path).toBe(join(data, "tenants", "alice.db"));
    expect(existsSync(join(data, "tenants"))).toBe(false);
  });
});
