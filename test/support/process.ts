import { startProcess, type RunningProcess, type ServiceModule } from "../../platform/app/index.js";
import { modules } from "../../cmd/modules.js";
import { serviceNames } from "../../platform/config/runtime.js";
import type { ServiceRegistration } from "../../platform/rpc/service.js";
import { echoService } from "./echo.js";

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
 * Starts a process like `boxoffice serve --services=all` on free ports. With `echo` (the default)
 * the test-only echo service is registered too.
 */
export async function startTestProcess(
  opts: { env?: Record<string, string>; echo?: boolean; modules?: ServiceModule[]; extraServices?: ServiceRegistration[] } = {},
): Promise<RunningProcess & { baseUrl: string; adminUrl: string }> {
  const proc = await startProcess({
    modules: opts.modules ?? serviceNames.map((n) => modules[n]),
    env: testEnv(opts.env),
    extraServices: [...(opts.echo === false ? [] : [echoService]), ...(opts.extraServices ?? [])],
  });
  return Object.assign(proc, {
    baseUrl: `http://127.0.0.1:${proc.server.port}`,
    adminUrl: `http://127.0.0.1:${proc.server.adminPort}`,
  });
}
