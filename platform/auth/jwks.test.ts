import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
import { type JwksServer, startJwksServer } from "../../test/support/jwks-server.js";
import { ManualClock, sleep } from "../clock/index.js";
import { DomainError, toConnectError } from "../rpc/errors.js";
import {
  AUTH_REASONS,
  createTokenVerifier,
  generateSigningKey,
  type RemoteJwksOptions,
  type SigningKey,
  signAccessToken,
} from "./index.js";

const ISSUER = "boxoffice-auth";
const AUDIENCE = "boxoffice";
const bearer = (token: string) => new Headers({ authorization: `Bearer ${token}` });

/** A bad token is UNAUTHENTICATED; keys out of reach are UNAVAILABLE (the token may be fine: retry). */
async function rejectsWith(p: Promise<unknown>, reason: string): Promise<void> {
  const code = reason === AUTH_REASONS.JWKS_UNAVAILABLE ? Code.Unavailable : Code.Unauthenticated;
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    assert.equal(toConnectError(err, "boxoffice").code, code, Code[code]);
    return true;
  });
}

describe("token verification against a remote JWKS", () => {
  let k1: SigningKey;
  let k2: SigningKey;
  let stranger: SigningKey;
  let jwks: JwksServer;
  const clock = new ManualClock(Date.now());
  let n = 0;
  // Distinct subjects make distinct tokens, so the verified-token cache never answers for them.
  const sign = (key: SigningKey) =>
    signAccessToken({
      key: key.privateJwk,
      issuer: ISSUER,
      audience: AUDIENCE,
      ttlSeconds: 900,
      clock,
      subject: `u-${n++}`,
      roles: ["CUSTOMER"],
    });
  const verifier = (remote: RemoteJwksOptions = {}, url = jwks.url) =>
    createTokenVerifier({ jwks: url, issuer: ISSUER, audience: AUDIENCE, clock, remote });

  before(async () => {
    [k1, k2, stranger] = await Promise.all([
      generateSigningKey("k1"),
      generateSigningKey("k2"),
      generateSigningKey("stranger"),
    ]);
  });
  beforeEach(async () => {
    jwks = await startJwksServer([k1.privateJwk]);
  });
  afterEach(() => jwks.close());

  it("fetches the JWKS once for many tokens of a known key", async () => {
    const verify = verifier();
    await Promise.all(Array.from({ length: 20 }, async () => verify(bearer(await sign(k1)))));
    assert.equal(jwks.hits, 1);
  });

  it("refetches once for an unknown kid, then refuses it, and rate-limits further refetches", async () => {
    const verify = verifier({ cooldownMs: 200 });
    await verify(bearer(await sign(k1)));
    assert.equal(jwks.hits, 1);
    await sleep(250); // past the cooldown (jose measures it with the wall clock)

    await rejectsWith(verify(bearer(await sign(stranger))), AUTH_REASONS.TOKEN_UNKNOWN_KEY);
    assert.equal(jwks.hits, 2, "an unknown kid triggers exactly one refetch");

    const burst = await Promise.all(Array.from({ length: 50 }, () => sign(stranger)));
    await Promise.all(burst.map((t) => rejectsWith(verify(bearer(t)), AUTH_REASONS.TOKEN_UNKNOWN_KEY)));
    assert.ok(jwks.hits <= 3, `50 unknown-kid tokens within the cooldown caused ${jwks.hits - 2} fetches`);
  });

  it("with the production cooldown, a burst of unknown kids right after a fetch causes none", async () => {
    const verify = verifier();
    await verify(bearer(await sign(k1)));
    const burst = await Promise.all(Array.from({ length: 50 }, () => sign(stranger)));
    await Promise.all(burst.map((t) => rejectsWith(verify(bearer(t)), AUTH_REASONS.TOKEN_UNKNOWN_KEY)));
    assert.equal(jwks.hits, 1);
  });

  it("picks up a rotated-in key on its first token and keeps accepting the old key", async () => {
    const verify = verifier({ cooldownMs: 200 });
    await verify(bearer(await sign(k1)));
    jwks.keys = [k1.privateJwk, k2.privateJwk];
    await sleep(250);

    assert.equal((await verify(bearer(await sign(k2))))?.kind, "user");
    assert.equal(jwks.hits, 2, "the new kid caused one refetch");
    assert.equal((await verify(bearer(await sign(k1))))?.kind, "user");
    assert.equal((await verify(bearer(await sign(k2))))?.kind, "user");
    assert.equal(jwks.hits, 2);
  });

  it("answers JWKS_UNAVAILABLE (UNAVAILABLE, not UNAUTHENTICATED or INTERNAL) when the JWKS server is down", async () => {
    const url = jwks.url;
    await jwks.close();
    const verify = verifier({}, url);
    await rejectsWith(verify(bearer(await sign(k1))), AUTH_REASONS.JWKS_UNAVAILABLE);
    // Until the retry interval has passed, calls fail at once instead of each trying to connect.
    await rejectsWith(verify(bearer(await sign(k1))), AUTH_REASONS.JWKS_UNAVAILABLE);
    jwks = await startJwksServer([k1.privateJwk]); // for afterEach
  });

  it("recovers on the first call after the retry interval once the JWKS is back", async () => {
    jwks.mode = "503";
    const verify = verifier({ retryMs: 100 });
    await rejectsWith(verify(bearer(await sign(k1))), AUTH_REASONS.JWKS_UNAVAILABLE);
    await rejectsWith(verify(bearer(await sign(k1))), AUTH_REASONS.JWKS_UNAVAILABLE);
    assert.equal(jwks.hits, 1, "no fetch per request while failing");
    jwks.mode = "ok";
    await sleep(120);
    assert.equal((await verify(bearer(await sign(k1))))?.kind, "user");
    assert.equal(jwks.hits, 2);
  });

  for (const mode of ["503", "garbage"] as const) {
    it(`answers JWKS_UNAVAILABLE when the JWKS endpoint answers ${mode}`, async () => {
      jwks.mode = mode;
      await rejectsWith(verifier()(bearer(await sign(k1))), AUTH_REASONS.JWKS_UNAVAILABLE);
    });
  }

  it("gives up on a JWKS that does not answer within the timeout", async () => {
    jwks.mode = "hang";
    const started = Date.now();
    await rejectsWith(verifier({ timeoutMs: 200 })(bearer(await sign(k1))), AUTH_REASONS.JWKS_UNAVAILABLE);
    assert.ok(Date.now() - started < 2_000);
  });

  it("keeps verifying with the last good keys while the JWKS is down, and recovers", async () => {
    const errors: unknown[] = [];
    const verify = verifier({ cacheMaxAgeMs: 50, retryMs: 300, onError: (e) => errors.push(e) });
    await verify(bearer(await sign(k1)));
    jwks.mode = "503";
    await sleep(60); // the key set is past its max age: jose wants to refetch

    assert.equal((await verify(bearer(await sign(k1))))?.kind, "user", "a known key still verifies");
    assert.equal(errors.length, 1);
    const hitsWhileDown = jwks.hits;
    for (let i = 0; i < 20; i++) await verify(bearer(await sign(k1)));
    assert.equal(jwks.hits, hitsWhileDown, "no fetch per request while failing");
    // An unknown kid might be in the JWKS we cannot read: "try later", not "bad token".
    await rejectsWith(verify(bearer(await sign(k2))), AUTH_REASONS.JWKS_UNAVAILABLE);

    jwks.mode = "ok";
    jwks.keys = [k1.privateJwk, k2.privateJwk];
    await sleep(320);
    await verify(bearer(await sign(k1))); // answered from the last good set; starts a background retry
    const deadline = Date.now() + 2_000;
    while (jwks.hits === hitsWhileDown && Date.now() < deadline) await sleep(5);
    await sleep(20); // the retry's response is being read
    assert.equal((await verify(bearer(await sign(k2))))?.kind, "user", "recovered: the new key is known");
  });

  it("stops trusting the last good keys after staleMaxAge", async () => {
    const verify = verifier({ cacheMaxAgeMs: 20, retryMs: 10_000, staleMaxAgeMs: 100 });
    await verify(bearer(await sign(k1)));
    jwks.mode = "503";
    await sleep(30);
    assert.equal((await verify(bearer(await sign(k1))))?.kind, "user");
    await sleep(100);
    await rejectsWith(verify(bearer(await sign(k1))), AUTH_REASONS.JWKS_UNAVAILABLE);
  });

  it("keeps answering a cached token while the JWKS is down", async () => {
    const verify = verifier();
    const token = await sign(k1);
    await verify(bearer(token));
    await jwks.close();
    assert.equal((await verify(bearer(token)))?.kind, "user");
    jwks = await startJwksServer([k1.privateJwk]);
  });
});
