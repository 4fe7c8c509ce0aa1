// Small numeric helpers shared by the benchmarks.

/** Nearest-rank percentile of unsorted samples (p in 0..100). */
export function percentile(samples, p) {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function summarize(samples) {
  if (samples.length === 0) return { count: 0 };
  let sum = 0;
  let max = -Infinity;
  let min = Infinity;
  for (const s of samples) {
    sum += s;
    if (s > max) max = s;
    if (s < min) min = s;
  }
  return {
    count: samples.length,
    min: round(min),
    mean: round(sum / samples.length),
    p50: round(percentile(samples, 50)),
    p90: round(percentile(samples, 90)),
    p99: round(percentile(samples, 99)),
    max: round(max),
  };
}

export const round = (n, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);

export const nowMs = () => performance.now();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** "12,345" */
export const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n);
