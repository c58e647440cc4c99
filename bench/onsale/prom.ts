/**
 * Reading the services' /metrics while the on-sale runs: a small parser of Prometheus' text format
 * (only what prom-client writes: `name{label="v",…} value`), and a sampler that tracks the peak
 * consumer lag over time and the cache counters at the end, summed over every process.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Samples of a Prometheus text exposition (comments and blank lines skipped). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    if (raw === "" || raw.startsWith("#")) continue;
    const m = line.exec(raw);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? "").matchAll(label))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    const value = Number(m[4]);
    if (!Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sum(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

/** The cache's reads that did not go to MariaDB, over all reads (cache_requests_total by result). */
export function cacheHitRatio(samples: readonly Sample[]): { hits: number; reads: number; ratio: number } {
  const reads = sum(samples, "cache_requests_total");
  const misses =
    sum(samples, "cache_requests_total", { result: "miss" }) +
    sum(samples, "cache_requests_total", { result: "error" });
  return { hits: reads - misses, reads, ratio: reads === 0 ? 0 : (reads - misses) / reads };
}

export interface LagPoint {
  tMs: number;
  /** The largest bus_consumer_lag of any consumer in any process. */
  maxLag: number;
  /** Which consumer had it. */
  consumer: string;
}

/** Polls every URL's /metrics; keeps the lag series and the last scrape of each process. */
export class MetricsSampler {
  readonly lag: LagPoint[] = [];
  readonly last = new Map<string, Sample[]>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(
    private readonly urls: () => readonly string[],
    private readonly everyMs = 1_000,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.scrape(), this.everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.scrape();
  }

  async scrape(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      let max = 0;
      let consumer = "";
      await Promise.all(
        this.urls().map(async (url) => {
          const text = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
            (r) => (r.ok ? r.text() : undefined),
            () => undefined,
          );
          if (text === undefined) return; // a process down (the fault suite): its last scrape stays
          const samples = parsePrometheus(text);
          this.last.set(url, samples);
          for (const s of samples) {
            if (s.name === "bus_consumer_lag" && s.value > max) {
              max = s.value;
              consumer = s.labels.consumer ?? "";
            }
          }
        }),
      );
      this.lag.push({ tMs: Date.now(), maxLag: max, consumer });
    } finally {
      this.#busy = false;
    }
  }

  /** Every process's last scrape, concatenated. */
  samples(): Sample[] {
    return [...this.last.values()].flat();
  }

  peakLag(): LagPoint {
    return this.lag.reduce((a, b) => (b.maxLag > a.maxLag ? b : a), { tMs: 0, maxLag: 0, consumer: "" });
  }
}
