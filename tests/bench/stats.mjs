// Summary statistics shared by the benchmarks in tests/bench.

/** The median of a list of numbers (the mean of the two middle values for an even count). */
export function median(values) {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
