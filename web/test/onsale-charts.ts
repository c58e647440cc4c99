/**
 * The on-sale bench report's charts as PNG for the docs: opens a `make bench-onsale` report.html
 * in headless Chromium (playwright-core, Debian's chromium, as the storefront's tests do) and
 * screenshots its three charts in order (throughput, latency, in flight).
 *
 *   node --import tsx web/test/onsale-charts.ts <report.html> <out-dir> <name-prefix>
 *   → <out-dir>/<prefix>-throughput.png, <prefix>-latency.png, <prefix>-inflight.png
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium } from "./support/browser.js";

const [report, outDir, prefix] = process.argv.slice(2);
if (report === undefined || outDir === undefined || prefix === undefined) {
  process.stderr.write("usage: onsale-charts.ts <report.html> <out-dir> <name-prefix>\n");
  process.exit(2);
}
const names = ["throughput", "latency", "inflight"];
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(resolve(report)).href);
  const charts = page.locator("h2:text('Charts') ~ svg");
  const n = await charts.count();
  if (n !== names.length) throw new Error(`expected ${names.length} charts in ${report}, found ${n}`);
  mkdirSync(outDir, { recursive: true });
  for (const [i, name] of names.entries()) {
    const file = join(outDir, `${prefix}-${name}.png`);
    await charts.nth(i).screenshot({ path: file });
    process.stdout.write(`wrote ${file}\n`);
  }
} finally {
  await browser.close();
}
