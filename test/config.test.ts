import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../src/config.ts";
import { createServices } from "../src/server/services.ts";
import { tempDir, testConfig } from "./helpers.ts";

describe("--trusted-proxy and WRITEKIT_TRUSTED_PROXIES", () => {
  test("no proxy is trusted by default", () => {
    expect(loadConfig({}, {}).trustedProxies).toEqual([]);
  });

  test("exact addresses and CIDR ranges, IPv4 and IPv6, from repeated or comma-separated flags or the environment", () => {
    expect(
      loadConfig({ "trusted-proxy": ["127.0.0.1", "10.0.0.0/8,fd00::/8", "::FFFF:192.0.2.1", "::1"] }, {})
        .trustedProxies,
    ).toEqual(["127.0.0.1", "10.0.0.0/8", "fd00::/8", "192.0.2.1", "::1"]);
    expect(loadConfig({}, { WRITEKIT_TRUSTED_PROXIES: " 10.0.0.0/8, ::1  172.16.0.0/12 " }).trustedProxies).toEqual([
      "10.0.0.0/8",
      "::1",
      "172.16.0.0/12",
    ]);
    // The flag wins over the environment.
    expect(loadConfig({ "trusted-proxy": ["::1"] }, { WRITEKIT_TRUSTED_PROXIES: "10.0.0.1" }).trustedProxies).toEqual([
      "::1",
    ]);
  });

  test("a bad value is refused with what is wrong and what to write", () => {
    const cases: [Record<string, string[]>, Record<string, string>, string][] = [
      [
        { "trusted-proxy": ["proxy.internal"] },
        {},
        '--trusted-proxy: "proxy.internal" is not an IP address or CIDR range; give one like 10.0.0.5, 10.0.0.0/8, ::1 or fd00::/8 (host names are not looked up)',
      ],
      [
        { "trusted-proxy": ["10.0.0.0/33"] },
        {},
        '--trusted-proxy: "10.0.0.0/33" has the prefix length "33"; an IPv4 range\'s is a whole number from 0 to 32',
      ],
      [
        { "trusted-proxy": ["fd00::/129"] },
        {},
        '--trusted-proxy: "fd00::/129" has the prefix length "129"; an IPv6 range\'s is a whole number from 0 to 128',
      ],
      [{ "trusted-proxy": ["10.0.0.0/"] }, {}, 'has the prefix length ""'],
      [{ "trusted-proxy": ["10.0.0.0/8/8"] }, {}, "is not an IP address or CIDR range"],
      [{ "trusted-proxy": ["300.1.1.1"] }, {}, "is not an IP address or CIDR range"],
      [{ "trusted-proxy": [""] }, {}, "--trusted-proxy must not be empty"],
      [
        {},
        { WRITEKIT_TRUSTED_PROXIES: "10.0.0.1, *" },
        'WRITEKIT_TRUSTED_PROXIES: "*" is not an IP address or CIDR range',
      ],
    ];
    for (const [values, env, message] of cases) {
      expect(() => loadConfig(values, env)).toThrow(ConfigError);
      expect(() => loadConfig(values, env)).toThrow(message);
    }
  });
});

describe("--page-cache-mb and WRITEKIT_PAGE_CACHE_MB", () => {
  test("32 MB by default; the flag wins over the environment; the page cache gets that budget", () => {
    expect(loadConfig({}, {}).pageCacheMb).toBe(32);
    expect(loadConfig({}, { WRITEKIT_PAGE_CACHE_MB: "128" }).pageCacheMb).toBe(128);
    expect(loadConfig({ "page-cache-mb": "8" }, { WRITEKIT_PAGE_CACHE_MB: "128" }).pageCacheMb).toBe(8);
    const services = createServices(testConfig(tempDir(), { pageCacheMb: 8 }));
    expect(services.pages.budgetBytes).toBe(8 * 1024 * 1024);
  });

  test("a value that is not a whole number of megabytes, 1 or more, is refused", () => {
    for (const [raw, message] of [
      ["0", "--page-cache-mb must be between 1 and 1000000, got 0"],
      ["-5", '--page-cache-mb must be a whole number, got "-5"'],
      ["64MB", '--page-cache-mb must be a whole number, got "64MB"'],
      ["", '--page-cache-mb must be a whole number, got ""'],
    ]) {
      expect(() => loadConfig({ "page-cache-mb": raw }, {})).toThrow(ConfigError);
      expect(() => loadConfig({}, { WRITEKIT_PAGE_CACHE_MB: raw || " " })).toThrow(ConfigError);
      expect(() => loadConfig({ "page-cache-mb": raw }, {})).toThrow(message);
    }
  });
});
