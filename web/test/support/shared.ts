/**
 * One platform and one headless Chromium for every browser spec of a mocha run: starting them is
 * most of a spec's cost, and each test isolates itself anyway (its own users, events and browser
 * contexts). Loaded as a root hook plugin (web/test/mocharc.json `require`), so the last spec's end
 * stops them; a spec only asks for them with {@link sharedStorefront}.
 */
import type { Browser } from "playwright-core";
import { launchChromium } from "./browser.js";
import { startPlatform } from "./platform.js";

export interface SharedStorefront {
  readonly browser: Browser;
  readonly platform: Awaited<ReturnType<typeof startPlatform>>;
}

let shared: Promise<SharedStorefront> | undefined;

/**
 * The run's platform and browser, started on first use. The platform's per-email sign-in limit is
 * low (4) so throttling (RESOURCE_EXHAUSTED + RetryInfo) is reachable from the sign-in form; every
 * other user signs in fewer times than that.
 */
export function sharedStorefront(): Promise<SharedStorefront> {
  shared ??= Promise.all([launchChromium(), startPlatform({ BOXOFFICE_AUTH_LOGIN_MAX_PER_EMAIL: "4" })]).then(
    ([browser, platform]) => ({ browser, platform }),
  );
  return shared;
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    const s = await shared?.catch(() => undefined);
    shared = undefined;
    await s?.browser.close();
    await s?.platform.proc.stop();
  },
};
