/** A closed-loop load generator: `concurrency` workers call `fn` back to back for `durationMs`. */
export interface LoadResult {
  ops: number;
  errors: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

export async function measure(
  concurrency: number,
  durationMs: number,
  fn: (worker: number, i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        try {
          await fn(w, i);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarise(latencies, errors, started);
}

export function row(name: string, r: LoadResult): string {
  return `${name.padEnd(44)} ${r.perSec.toFixed(0).padStart(8)}/s   p50 ${r.p50Ms.toFixed(2).padStart(7)} ms   p99 ${r.p99Ms.toFixed(2).padStart(7)} ms   (${r.ops} ok, ${r.errors} errors)`;
}

/** Runs `fn` once per item with `concurrency` workers; the rate is items over the whole run. */
export async function measureEach<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < items.length; i = next++) {
        const t = performance.now();
        try {
          await fn(items[i]!);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarise(latencies, errors, started);
}

function summarise(latencies: number[], errors: number, started: number): LoadResult {
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { ops: latencies.length, errors, perSec: latencies.length / elapsed, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}
