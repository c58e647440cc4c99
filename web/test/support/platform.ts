/**
 * The platform under test for the browser suites: every service on one port (as `make dev`) with
 * the built storefront served at `/`, real MariaDB/Redis/NATS from the global fixture, and users
 * made through the auth service (organisers are granted their role by the bootstrap admin).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { startTestProcess } from "../../../test/support/process.js";
import { newUsersConfig, Users, usersEnv } from "../../../test/support/users.js";

export const WEB_ROOT = resolve(import.meta.dirname, "../../dist");

export async function startPlatform(env: Record<string, string> = {}) {
  if (!existsSync(resolve(WEB_ROOT, "index.html"))) throw new Error(`no storefront build in ${WEB_ROOT}: run make web`);
  const cfg = newUsersConfig();
  const proc = await startTestProcess({ env: { ...usersEnv(cfg), ...env }, echo: false, webRoot: WEB_ROOT });
  return { proc, users: new Users(proc.baseUrl, cfg), baseUrl: proc.baseUrl };
}
