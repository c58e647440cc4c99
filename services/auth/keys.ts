import type { JWK } from "jose";
import type { Logger } from "pino";
import { generateSigningKey, publicJwks } from "../../platform/auth/sign.js";

/** The signing keys of this auth instance: all are published, the newest (last) signs. */
export interface KeyRing {
  readonly signer: JWK;
  readonly jwks: ReturnType<typeof publicJwks>;
}

/**
 * Keys come from BOXOFFICE_AUTH_SIGNING_KEYS (a Kubernetes Secret in the cluster; `make dev`
 * generates them into its data directory). Rotation, in three deploys: (1) add the new key at the
 * front (published, not signing) and wait until every verifier has refreshed its JWKS (10 min:
 * verifiers refetch an unknown kid at most every 30 s and refresh at least every 10 min); (2) move
 * it to the end, so it signs; (3) once the old key's last tokens have expired, remove it. Without configuration a key is generated
 * for this process only — fine for tests, never for a deployment (tokens die with the process).
 */
export async function loadKeyRing(json: string | undefined, logger: Logger): Promise<KeyRing> {
  let keys: JWK[];
  if (json === undefined) {
    logger.warn("BOXOFFICE_AUTH_SIGNING_KEYS is not set: signing with an ephemeral key (dev/test only)");
    keys = [(await generateSigningKey(`ephemeral-${Date.now()}`)).privateJwk];
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new Error("BOXOFFICE_AUTH_SIGNING_KEYS: not JSON (expected an array of private Ed25519 JWKs)");
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length === 0 ||
      parsed.some((k) => typeof k !== "object" || typeof (k as JWK).d !== "string")
    ) {
      throw new Error("BOXOFFICE_AUTH_SIGNING_KEYS: expected a non-empty array of private JWKs (with d and kid)");
    }
    keys = parsed as JWK[];
  }
  const jwks = publicJwks(keys); // also checks every key is Ed25519 with a kid
  return { signer: keys[keys.length - 1] as JWK, jwks };
}
