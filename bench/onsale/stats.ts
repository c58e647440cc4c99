/** Figures from the buyers' results: percentiles, rates, and per-window series for the charts. */

/** The p-quantile (0…1) of `values` (nearest rank); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/**
 * The sustained rate of events at `times` (ms): events between the 10th and 90th percentile times
 * over that span, so the ramp-up at the start and the stragglers at the end do not dilute it.
 * With fewer than 10 events, all of them over their whole span.
 */
export function sustainedRate(times: readonly number[]): number {
  if (times.length < 2) return 0;
  const t = [...times].sort((a, b) => a - b);
  if (t.length < 10) return (t.length - 1) / Math.max(0.001, (t[t.length - 1]! - t[0]!) / 1000);
  const lo = Math.floor(t.length * 0.1);
  const hi = Math.ceil(t.length * 0.9) - 1;
  return (hi - lo) / Math.max(0.001, (t[hi]! - t[lo]!) / 1000);
}

/** Events per second in windows of `windowMs` from `t0` to `t1`. */
export function rateSeries(
  times: readonly number[],
  t0: number,
  t1: number,
  windowMs: number,
): Array<[number, number]> {
  const n = Math.max(1, Math.ceil((t1 - t0) / windowMs));
  const counts = new Array<number>(n).fill(0);
  for (const t of times) {
    const i = Math.floor((t - t0) / windowMs);
    if (i >= 0 && i < n) counts[i]!++;
  }
  return counts.map((c, i) => [(i * windowMs) / 1000, c / (windowMs / 1000)]);
}

/** Percentiles of the latencies of events ending in each window (x: window start, s). */
export function latencySeries(
  points: ReadonlyArray<{ endMs: number; latencyMs: number }>,
  t0: number,
  t1: number,
  windowMs: number,
  ps: readonly number[],
): Array<Array<[number, number]>> {
  const n = Math.max(1, Math.ceil((t1 - t0) / windowMs));
  const buckets: number[][] = Array.from({ length: n }, () => []);
  for (const p of points) {
    const i = Math.floor((p.endMs - t0) / windowMs);
    if (i >= 0 && i < n) buckets[i]!.push(p.latencyMs);
  }
  return ps.map((q) =>
    buckets.flatMap(
      (b, i): Array<[number, number]> => (b.length === 0 ? [] : [[(i * windowMs) / 1000, percentile(b, q)]]),
    ),
  );
}

/** How many intervals [start, end) cover each sampling instant from t0 to t1 (in-flight buyers). */
export function concurrencySeries(
  intervals: ReadonlyArray<{ startMs: number; endMs: number }>,
  t0: number,
  t1: number,
  stepMs: number,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const starts = intervals.map((i) => i.startMs).sort((a, b) => a - b);
  const ends = intervals.map((i) => i.endMs).sort((a, b) => a - b);
  let s = 0;
  let e = 0;
  for (let t = t0; t <= t1; t += stepMs) {
    while (s < starts.length && starts[s]! <= t) s++;
    while (e < ends.length && ends[e]! <= t) e++;
    out.push([(t - t0) / 1000, s - e]);
  }
  return out;
}
