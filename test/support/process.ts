import type { Logger } from "pino";
import { modules } from "../../cmd/modules.js";
import { migrateServices, type RunningProcess, type ServiceModule, startProcess } from "../../platform/app/index.js";
import type { Clock } from "../../platform/clock/index.js";
import { serviceNames } from "../../platform/config/runtime.js";
import type { ServiceRegistration } from "../../platform/rpc/service.js";
import { echoService } from "./echo.js";
import { dropPrefix, prefixedEnv, testPrefix } from "./infra.js";

/** Environment for an in-test process: loopback, free ports, quiet logs (BOXOFFICE_TEST_LOG_LEVEL to see them). */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    BOXOFFICE_HOST: "127.0.0.1",
    BOXOFFICE_PORT: "0",
    BOXOFFICE_ADMIN_PORT: "0",
    BOXOFFICE_LOG_LEVEL: process.env.BOXOFFICE_TEST_LOG_LEVEL ?? "silent",
    ...extra,
  };
}

/**
 * Starts a process like `boxoffice serve --services=all` on free ports, under a fresh prefix on the
 * test infrastructure (migrated first; its databases are dropped by stop()). With `echo` (the
 * default) the test-only echo service is registered too.
 */
export async function startTestProcess(
  opts: {
    env?: Record<string, string>;
    echo?: boolean;
    modules?: ServiceModule[];
    extraServices?: ServiceRegistration[];
    clock?: Clock;
    logger?: Logger;
    /** Serve this built web app at `/` (the storefront's browser tests). */
    webRoot?: string;
  } = {},
): Promise<RunningProcess & { baseUrl: string; adminUrl: string; prefix: string; env: Record<string, string> }> {
  const prefix = opts.env?.BOXOFFICE_PREFIX ?? testPrefix();
  const env = testEnv({ ...prefixedEnv(prefix), ...opts.env });
  const chosen = opts.modules ?? serviceNames.map((n) => modules[n]);
  await migrateServices(chosen, env);
  const proc = await startProcess({
    modules: chosen,
    env,
    extraServices: [...(opts.echo === false ? [] : [echoService]), ...(opts.extraServices ?? [])],
    clock: opts.clock,
    logger: opts.logger,
    webRoot: opts.webRoot,
  });
  const stop = proc.stop;
  return Object.assign(proc, {
    baseUrl: `http://127.0.0.1:${proc.server.port}`,
    adminUrl: `http://127.0.0.1:${proc.server.adminPort}`,
    prefix,
    env,
    stop: async () => {
      const result = await stop();
      await dropPrefix(prefix);
      return result;
    },
  });
}
