import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { serviceModule } from "../../platform/app/index.js";
import { servicePrincipal } from "../../platform/principal/index.js";
import { respond } from "../../platform/server/http.js";
import { authContracts } from "./access.js";
import { authSpec } from "./config.js";
import type { AuthDeps } from "./deps.js";
import { DummyHash } from "./domain/credentials.js";
import { authPublishes } from "./events/published.js";
import { PasswordHasher } from "./hashing.js";
import { loadKeyRing } from "./keys.js";
import { authServices } from "./rpc.js";
import { Throttle } from "./throttle.js";
import { ensureAdmin } from "./use-cases/ensure-admin.js";
import { pruneAccountTokens } from "./use-cases/prune-account-tokens.js";
import { pruneRefreshTokens } from "./use-cases/prune-refresh-tokens.js";

/** The path of the JWKS document on the service port (and what `boxoffice jwks` prints). */
export const jwksPath = "/.well-known/jwks.json";

/** auth: users, credentials, refresh tokens, roles, service identity. */
export const authModule = serviceModule({
  name: "auth",
  contracts: authContracts,
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  config: authSpec,
  publishes: authPublishes,
  async create(ctx) {
    const cfg = ctx.settings;
    const keys = await loadKeyRing(cfg.signingKeys, ctx.logger);
    if (cfg.refreshSecret === undefined)
      ctx.logger.warn("BOXOFFICE_AUTH_REFRESH_SECRET is not set: using an ephemeral secret (dev/test only)");
    const deps: AuthDeps = {
      db: ctx.database(),
      clock: ctx.clock,
      newId: ctx.newId,
      commands: ctx.commands(),
      keys,
      config: {
        ...cfg,
        issuer: ctx.config.jwtIssuer,
        audience: ctx.config.jwtAudience,
        refreshSecret: cfg.refreshSecret ?? randomBytes(32).toString("base64url"),
      },
      throttle: new Throttle(
        ctx.redis().commands,
        ctx.clock,
        {
          login: {
            perEmail: cfg.loginMaxPerEmail,
            perAddress: cfg.loginMaxPerAddress,
            windowMs: cfg.loginWindowSeconds * 1000,
          },
          register: {
            perEmail: cfg.registerMaxPerEmail,
            perAddress: cfg.registerMaxPerAddress,
            windowMs: cfg.registerWindowSeconds * 1000,
          },
          "account-email": {
            perEmail: cfg.accountEmailMaxPerEmail,
            perAddress: cfg.accountEmailMaxPerAddress,
            windowMs: cfg.accountEmailWindowSeconds * 1000,
          },
          "token-use": {
            perEmail: cfg.accountEmailMaxPerAddress,
            perAddress: cfg.accountEmailMaxPerAddress,
            windowMs: cfg.accountEmailWindowSeconds * 1000,
          },
        },
        ctx.logger,
      ),
      hasher: new PasswordHasher({ concurrency: cfg.hashConcurrency, queue: cfg.hashQueue }),
      dummyHash: new DummyHash(),
      serviceSecrets: ctx.config.serviceSecrets,
    };
    // The service acting on its own (not for a caller): its own principal, like a consumer or the CLI.
    const self = servicePrincipal("auth");
    if (cfg.bootstrapAdminEmail !== undefined && cfg.bootstrapAdminPassword !== undefined) {
      const outcome = await ensureAdmin(deps, self, {
        email: cfg.bootstrapAdminEmail,
        password: cfg.bootstrapAdminPassword,
      });
      ctx.logger.info({ outcome }, "bootstrap admin checked");
    }
    const sweeper = ctx.every({
      name: "refresh-token-pruning",
      everyMs: 3600_000,
      exclusive: true,
      run: async (signal) => {
        const deleted = await pruneRefreshTokens(deps, self, { signal });
        if (deleted > 0) ctx.logger.info({ deleted }, "expired refresh tokens pruned");
        const tokens = await pruneAccountTokens(deps, self, { signal });
        if (tokens > 0) ctx.logger.info({ deleted: tokens }, "expired reset and verification tokens pruned");
      },
    });
    const jwks = JSON.stringify(keys.jwks);
    return {
      services: authServices(deps),
      httpRoutes: {
        [jwksPath]: (_req, res) =>
          respond(res, 200, { "content-type": "application/json", "cache-control": "public, max-age=300" }, jwks),
      },
      /** For tests: the dummy hash (it must run for unknown users), the hasher, the use-cases' deps, the sweeper. */
      internals: { dummyHash: deps.dummyHash, hasher: deps.hasher, deps, sweeper },
    };
  },
});
