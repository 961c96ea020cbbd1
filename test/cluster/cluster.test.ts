// The scale-out scenario with real processes (scenario.ts), at a few tens of comments a second:
// part of `npm test` where Caddy and Litestream are present, skipped with a warning otherwise.
import { describe, expect, test } from "bun:test";
import { hasEngines, missingEngines } from "./engines.ts";
import { runScenario } from "./scenario.ts";

if (!hasEngines) console.warn(`cluster test skipped: ${missingEngines.join("; ")} missing`);

describe.skipIf(!hasEngines)("two nodes behind Caddy, replicated with Litestream", () => {
  test("a blog moves under load, a node killed with -9 loses nothing, a lost node's blogs come back from their replicas", async () => {
    const report = await runScenario({ rate: 20, log: (line) => console.log(`[cluster] ${line}`) });
    console.log(`[cluster] ${report.acknowledged} acknowledged comments, ${report.restores} restores, ${report.ms} ms`);
    expect(report.facts).toEqual(Object.fromEntries(Object.keys(report.facts).map((k) => [k, true])));
    expect(report.missing).toEqual([]);
    expect(report.duplicates).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.damagedRestores).toEqual([]);
    expect(report.checkOk).toBe(true);
    expect(report.acknowledged).toBeGreaterThan(50);
    expect(report.ms).toBeLessThan(120_000);
  }, 180_000);
});
