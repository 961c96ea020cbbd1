// `npm run cluster-soak`: the scale-out scenario of test/cluster (two nodes, Caddy, Litestream per
// node; a move under load, kill -9, a lost node adopted from its replicas) again and again at a high
// write rate, reporting what matters: restores that fail integrity_check, and acknowledged comments
// that are missing (goal: 0 and 0). Every other run loses node 2 under live load instead of after its
// replicas caught up, and reports what that lost (the loss window of asynchronous replication).
//   --runs N          how many runs (default 5)
//   --rate R          comments per second offered, over the three blogs (default 800)
//   --seconds S       seconds of writing between steps (default 3)
import { parseArgs } from "node:util";
import { hasEngines, missingEngines } from "../test/cluster/engines.ts";
import { runScenario, type ScenarioReport } from "../test/cluster/scenario.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    rate: { type: "string" },
    seconds: { type: "string" },
    verbose: { type: "boolean" },
  },
});
if (!hasEngines) {
  console.error(`cluster-soak needs ${missingEngines.join(" and ")}`);
  process.exit(2);
}
const runs = Number(values.runs ?? 5);
const rate = Number(values.rate ?? 800);
const settleS = Number(values.seconds ?? 3);
/** The loss window the README documents for a node lost under load: its last one to two seconds, with room for an overloaded machine. */
const WINDOW_MS = 3000;

const rows: { run: number; underLoad: boolean; report?: ScenarioReport; error?: string }[] = [];
for (let run = 1; run <= runs; run++) {
  const underLoad = run % 2 === 0;
  process.stdout.write(`run ${run}/${runs}${underLoad ? " (node 2 lost under load)" : ""}: `);
  try {
    const report = await runScenario({
      rate,
      concurrency: 64,
      settleS,
      loseUnderLoad: underLoad,
      log: values.verbose ? (l) => console.log(`  ${l}`) : undefined,
    });
    rows.push({ run, underLoad, report });
    const failedFacts = Object.entries(report.facts)
      .filter(([, ok]) => !ok)
      .map(([f]) => f);
    console.log(
      `${report.acknowledged} acknowledged (${Math.round(report.acknowledged / (report.ms / 1000))}/s over ${Math.round(report.ms / 1000)} s), ` +
        `${report.missing.length} missing, ${report.duplicates.length} twice, ${report.damagedRestores.length}/${report.restores} restores damaged, check ${report.checkOk ? "ok" : "FAILED"}` +
        (report.lostUnderLoad
          ? `, lost under load: ${report.lostUnderLoad.tokens} (oldest acknowledged ${report.lostUnderLoad.oldestMs} ms before the kill)`
          : "") +
        (failedFacts.length ? `; FAILED: ${failedFacts.join("; ")}` : ""),
    );
    for (const d of report.damagedRestores) console.log(`    damaged: ${d}`);
  } catch (e) {
    const error = e instanceof Error ? e.message.split("\n").slice(0, 6).join(" / ") : String(e);
    rows.push({ run, underLoad, error });
    console.log(`FAILED: ${error}`);
  }
}

const done = rows.filter((r) => r.report).map((r) => r.report!);
const restores = done.reduce((n, r) => n + r.restores, 0);
const damaged =
  done.reduce((n, r) => n + r.damagedRestores.length, 0) + rows.filter((r) => r.error?.includes("is damaged")).length;
const missing = done.reduce((n, r) => n + r.missing.length, 0);
const twice = done.reduce((n, r) => n + r.duplicates.length, 0);
const lost = done.filter((r) => r.lostUnderLoad).map((r) => r.lostUnderLoad!);
console.log("");
console.log(`${runs} runs at ${rate} comments/s offered: ${rows.filter((r) => r.error).length} failed to finish`);
console.log(`damaged restores: ${damaged} of ${restores}`);
console.log(
  `acknowledged comments missing: ${missing} (of ${done.reduce((n, r) => n + r.acknowledged, 0)}); found twice: ${twice}`,
);
const outside = lost.filter((l) => l.oldestMs > WINDOW_MS).length;
if (lost.length)
  console.log(
    `node 2 lost under load: ${lost.map((l) => `${l.tokens} lost (oldest ${l.oldestMs} ms)`).join(", ")}; ${outside} run(s) lost writes older than the documented window (${WINDOW_MS} ms)`,
  );
process.exit(damaged || missing || twice || outside || rows.some((r) => r.error) ? 1 : 0);
