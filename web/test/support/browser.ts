/**
 * Headless Chromium for the storefront's tests: Debian's `chromium` (installed by the harness when
 * missing and root, like the servers), driven by playwright-core — never a browser download.
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { ensureBinaries } from "../../../harness/install.js";

/** The flags this machine needs: no sandbox as root, and no calls to Google's hosts (no network here). */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-quic",
  "--disable-sync",
  "--no-first-run",
];

/** Launches headless Chromium, installing the Debian package first when it is missing (as root). */
export async function launchChromium(): Promise<Browser> {
  const bins = await ensureBinaries(["chromium"], { log: (line) => process.stderr.write(`web tests: ${line}\n`) });
  return chromium.launch({ executablePath: bins.chromium, headless: true, args: FLAGS });
}

/** A fresh browser profile (its own storage: a separate user) at a phone or desktop size. */
export async function newContext(browser: Browser, opts: { phone?: boolean } = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    viewport: opts.phone ? { width: 375, height: 740 } : { width: 1200, height: 900 },
    locale: "en-GB",
    timezoneId: "Europe/Lisbon",
  });
  ctx.setDefaultTimeout(10_000);
  return ctx;
}

/** Fails the test on any uncaught page error (a broken page must not pass as "element not found"). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}
