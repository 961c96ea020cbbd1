// What every load shape receives from bench/run.ts: the run's size and where to put its files.
import type { Fixture } from "./blogs.ts";
import type { MixFixture } from "./mixblog.ts";

export interface BenchContext {
  /** Seconds of measured load per HTTP run (wrk -d). */
  seconds: number;
  /** Runs per row; the table shows the median. */
  runs: number;
  /** Scratch directory: Lua scripts, captured pages, server logs. Removed at the end. */
  workDir: string;
  /** One blog alone, for the single-blog rows and start-up. */
  single: () => Fixture;
  /** Many copies of the same blog (10,000 unless --blogs), made on first use. */
  many: () => Fixture;
  /** The reader mix's realistic blog alone, and copied as many times as `many` (mixblog.ts). */
  mixOne: () => MixFixture;
  mix: () => MixFixture;
  /** --quick: shapes with fixed phases (the reader mix) shorten them. */
  quick: boolean;
  hasWrk: boolean;
  progress: (message: string) => void;
}
