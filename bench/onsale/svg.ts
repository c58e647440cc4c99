/**
 * Line charts as standalone SVG (no script, no CDN, no fonts to fetch): inlined in the HTML report
 * and written as .svg files the docs can show (or rsvg-convert can turn into PNG).
 */

export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Horizontal reference lines (targets, ceilings). */
  marks?: ReadonlyArray<{ y: number; label: string; color?: string }>;
}

const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

/** XML-escapes text. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A "nice" tick step (1, 2 or 5 × 10^n) giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(2)}`);

/** One SVG line chart with axes, ticks, a legend and optional reference lines. */
export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 720;
  const H = o.height ?? 280;
  const m = { l: 64, r: 16, t: 34, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1e-9, ...all.map((p) => p[0]));
  const yTop = Math.max(1e-9, ...all.map((p) => p[1]), ...(o.marks ?? []).map((k) => k.y));
  const xStep = niceStep(xMax, 8);
  const yStep = niceStep(yTop * 1.05, 5);
  const xEnd = Math.ceil(xMax / xStep) * xStep;
  const yEnd = Math.ceil((yTop * 1.05) / yStep) * yStep;
  const X = (x: number) => m.l + (x / xEnd) * pw;
  const Y = (y: number) => m.t + ph - (y / yEnd) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(o.title)}</text>`,
  ];
  for (let y = 0; y <= yEnd + 1e-9; y += yStep) {
    parts.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${Y(y).toFixed(1)}" y2="${Y(y).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${m.l - 6}" y="${(Y(y) + 4).toFixed(1)}" text-anchor="end" fill="#444">${fmt(y)}</text>`,
    );
  }
  for (let x = 0; x <= xEnd + 1e-9; x += xStep) {
    parts.push(
      `<line x1="${X(x).toFixed(1)}" x2="${X(x).toFixed(1)}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#444"/>`,
      `<text x="${X(x).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle" fill="#444">${fmt(x)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#444"/>`,
    `<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#444"/>`,
    `<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle" fill="#222">${esc(o.xLabel)}</text>`,
    `<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(o.yLabel)}</text>`,
  );
  for (const k of o.marks ?? []) {
    const y = Y(k.y).toFixed(1);
    const c = k.color ?? "#888";
    parts.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="${c}" stroke-dasharray="6 4"/>`,
      `<text x="${m.l + pw - 4}" y="${Number(y) - 4}" text-anchor="end" fill="${c}">${esc(k.label)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const c = s.color ?? palette[i % palette.length];
    if (s.points.length > 0) {
      const d = s.points.map((p, j) => `${j === 0 ? "M" : "L"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join("");
      parts.push(
        `<path d="${d}" fill="none" stroke="${c}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="4 3"' : ""}/>`,
      );
    }
    const lx = m.l + 8 + i * 150;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${m.t + 8}" y2="${m.t + 8}" stroke="${c}" stroke-width="2.5"/>`,
      `<text x="${lx + 22}" y="${m.t + 12}" fill="#222">${esc(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
