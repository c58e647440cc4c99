import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { ServiceModule } from "../../platform/app/index.js";
import { createRedis } from "../../platform/redis/index.js";
import { respond } from "../../platform/server/http.js";
import { authContracts } from "./access.js";
import { loadAuthConfig } from "./config.js";
import { DummyHash } from "./domain/credentials.js";
import { loadKeyRing } from "./keys.js";
import { authServices } from "./rpc.js";
import { LoginThrottle } from "./throttle.js";
import { ensureAdmin } from "./use-cases/accounts.js";

/** The path of the JWKS document on the service port (and what `boxoffice jwks` prints). */
export const jwksPath = "/.well-known/jwks.json";

/** auth: users, credentials, refresh tokens, roles, service identity. */
export const authModule: ServiceModule = {
  name: "auth",
  contracts: authContracts,
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  async create(ctx) {
    const cfg = loadAuthConfig(ctx.env);
    const keys = await loadKeyRing(cfg.signingKeys, ctx.logger);
    if (cfg.refreshSecret === undefined)
      ctx.logger.warn("BOXOFFICE_AUTH_REFRESH_SECRET is not set: using an ephemeral secret (dev/test only)");
    const db = ctx.database();
    const outbox = await ctx.outbox();
    const redis = createRedis(ctx.config.redisUrl, ctx.names);
    redis.on("error", () => undefined); // reconnects by itself; the throttle logs when it fails open
    const idempotency = ctx.idempotency();
    const deps = {
      db,
      clock: ctx.clock,
      newId: ctx.newId,
      idempotency,
      outbox,
      keys,
      config: {
        ...cfg,
        issuer: ctx.config.jwtIssuer,
        audience: ctx.config.jwtAudience,
        refreshSecret: cfg.refreshSecret ?? randomBytes(32).toString("base64url"),
      },
      throttle: new LoginThrottle(
        redis,
        ctx.clock,
        { perEmail: cfg.loginMaxPerEmail, perAddress: cfg.loginMaxPerAddress, windowMs: cfg.loginWindowSeconds * 1000 },
        ctx.logger,
      ),
      dummyHash: new DummyHash(),
      serviceSecrets: ctx.config.serviceSecrets,
    };
    if (cfg.bootstrapAdminEmail !== undefined && cfg.bootstrapAdminPassword !== undefined) {
      const outcome = await ensureAdmin(deps, cfg.bootstrapAdminEmail, cfg.bootstrapAdminPassword);
      ctx.logger.info({ outcome }, "bootstrap admin checked");
    }
    const jwks = JSON.stringify(keys.jwks);
    return {
      services: authServices(deps),
      httpRoutes: {
        [jwksPath]: (_req, res) =>
          respond(res, 200, { "content-type": "application/json", "cache-control": "public, max-age=300" }, jwks),
      },
      /** Exposed for tests (the dummy hash must run for unknown users). */
      internals: { dummyHash: deps.dummyHash },
      async close() {
        redis.disconnect();
      },
    };
  },
};
