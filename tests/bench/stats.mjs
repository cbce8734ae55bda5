// Summary statistics shared by the benchmarks in tests/bench.

/** The median of a list of numbers (the mean of the two middle values for an even count). */
export function median(values) {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The nearest-rank p-th percentile (the smallest value with at least p % of them at or below it); null if none. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const s = [...values].sort((x, y) => x - y);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

/**
 * {median, min, max, runs} of one figure over a benchmark's runs: the statistics over the runs
 * that have the figure (finite), null when none has; runs is the list as given.
 */
export function summary(runs) {
  const list = runs.filter(Number.isFinite);
  if (list.length === 0) return { median: null, min: null, max: null, runs };
  return { median: median(list), min: Math.min(...list), max: Math.max(...list), runs };
}
