import { generateSigningKey, publicJwks, signAccessToken } from "../../platform/auth/sign.js";
import { DEFAULT_AUDIENCE } from "../../platform/auth/tokens.js";
import { createTokenVerifier } from "../../platform/auth/verify.js";
import { ManualClock } from "../../platform/clock/index.js";

export interface VerifyBenchResult {
  /** Distinct tokens per second, each verified once (signature check + claims). */
  uncachedPerSec: number;
  /** The same token per second, answered from the cache. */
  cachedPerSec: number;
}

/**
 * Micro-benchmark of {@link createTokenVerifier} with an in-memory JWKS (no network), one call at a
 * time so it measures CPU per verification. `n` tokens are signed before the clock starts.
 */
export async function benchVerify(n = 5_000): Promise<VerifyBenchResult> {
  if (!Number.isInteger(n) || n <= 0) throw new TypeError("n must be a positive integer");
  const clock = new ManualClock(Date.now());
  const key = await generateSigningKey("bench");
  const base = { key: key.privateJwk, issuer: "bench", audience: DEFAULT_AUDIENCE, ttlSeconds: 900, clock };
  const tokens: string[] = [];
  for (let i = 0; i < n; i++)
    tokens.push(await signAccessToken({ ...base, subject: `user-${i}`, roles: ["CUSTOMER"] }));
  const headers = tokens.map((t) => new Headers({ authorization: `Bearer ${t}` }));
  const verifier = createTokenVerifier({
    jwks: publicJwks([key.privateJwk]),
    issuer: "bench",
    audience: DEFAULT_AUDIENCE,
    clock,
    cacheSize: n,
  });

  await verifier(headers[0]!); // warm-up: imports the public key once, as a long-running process has
  let start = performance.now();
  for (let i = 1; i < n; i++) await verifier(headers[i]!);
  const uncachedPerSec = Math.max(n - 1, 1) / ((performance.now() - start) / 1000);

  const hot = headers[0]!;
  start = performance.now();
  for (let i = 0; i < n; i++) await verifier(hot);
  const cachedPerSec = n / ((performance.now() - start) / 1000);
  return { uncachedPerSec: Math.round(uncachedPerSec), cachedPerSec: Math.round(cachedPerSec) };
}
