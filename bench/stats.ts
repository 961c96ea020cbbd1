// Order statistics for the benchmark: every figure in the table is a median over runs, and every
// ratio is the median of ratios taken within one round, so a machine that drifts between rounds
// (this one is shared) moves both sides of a ratio together.

/** The value below which `p` percent of `sorted` lies (nearest rank); `sorted` is ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/** A deterministic generator (mulberry32), so every run draws the same request sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates, in place. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * A sampler of ranks 0..n-1 under Zipf(s): P(rank k) ∝ 1/(k+1)^s. Inverse-CDF sampling with a
 * binary search over the cumulative weights.
 */
export function zipfSampler(n: number, s: number): (random: () => number) => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / Math.pow(k + 1, s);
  return (random) => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** `count` draws of ranks 0..n-1 under Zipf(s) (see zipfSampler). */
export function zipfSequence(n: number, s: number, count: number, random: () => number): Uint32Array {
  const draw = zipfSampler(n, s);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = draw(random);
  return out;
}

export function uniformSequence(n: number, count: number, random: () => number): Uint32Array {
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(random() * n);
  return out;
}
