/**
 * Access-token verification for every Boxoffice service, and the signing half the auth service
 * reuses. The token contract (claims, reasons, rotation rules) is in tokens.ts.
 *
 * ```ts
 * const authenticate = createTokenVerifier({ jwks: jwksUrl, issuer, audience: DEFAULT_AUDIENCE, clock });
 * // → authenticationInterceptor(authenticate); authenticate.stats() for metrics
 * ```
 */

export { ServiceIdentity, type ServiceIdentityOptions } from "./identity.js";
export {
  JWKS_RETRY_MS,
  JWKS_STALE_MAX_AGE_MS,
  JWKS_TIMEOUT_MS,
  type JwksSource,
  type RemoteJwksOptions,
} from "./jwks.js";
export {
  generateSigningKey,
  publicJwks,
  type SigningKey,
  type SignOptions,
  signAccessToken,
  signServiceToken,
} from "./sign.js";
export * from "./tokens.js";
export {
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
  type TokenVerifierStats,
} from "./verify.js";
