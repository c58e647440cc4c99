import { createHash, timingSafeEqual } from "node:crypto";
import { signServiceToken } from "../../../platform/auth/sign.js";
import { UnauthenticatedError } from "../../../platform/errors/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import type { AuthDeps } from "../deps.js";

/** Exchanges a service's secret for a short-lived service token (constant-time comparison). */
export async function issueServiceToken(
  d: AuthDeps,
  _principal: Principal | undefined,
  req: { serviceName: string; serviceSecret: string },
): Promise<{ token: string; expireMs: number }> {
  const expected = d.serviceSecrets[req.serviceName];
  const digest = (s: string) => createHash("sha256").update(s).digest();
  const matches = expected !== undefined && timingSafeEqual(digest(expected), digest(req.serviceSecret));
  if (!matches) throw new UnauthenticatedError("unknown service or wrong secret", "INVALID_SERVICE_CREDENTIALS");
  const now = d.clock.now();
  const token = await signServiceToken({
    key: d.keys.signer,
    issuer: d.config.issuer,
    audience: d.config.audience,
    ttlSeconds: d.config.serviceTokenTtlSeconds,
    clock: d.clock,
    service: req.serviceName,
  });
  return { token, expireMs: Math.floor(now / 1000) * 1000 + d.config.serviceTokenTtlSeconds * 1000 };
}
