import assert from "node:assert/strict";
import { decideRefresh, type RefreshTokenState } from "./refresh-rotation.js";
import { hashToken, newRefreshToken, successorToken } from "./refresh-token.js";

/** Refresh rotation and reuse detection as pure decisions (no database). */
describe("refresh-token rotation (domain, no I/O)", () => {
  const now = Date.UTC(2030, 0, 1);
  const grace = 10_000;
  const live: RefreshTokenState = { revokeMs: null, expireMs: now + 3600_000, rotateMs: null };
  const rotated = (agoMs: number): RefreshTokenState => ({ ...live, rotateMs: now - agoMs });
  const alive = { revoked: false };

  const cases: Array<[string, RefreshTokenState | undefined, { revoked: boolean } | undefined, string]> = [
    ["an unknown token is refused", undefined, undefined, "refuse REFRESH_TOKEN_UNKNOWN"],
    ["a revoked token is refused", { ...live, revokeMs: now - 1 }, undefined, "refuse REFRESH_TOKEN_REVOKED"],
    [
      "an expired token is refused (at its expiry, too)",
      { ...live, expireMs: now },
      undefined,
      "refuse REFRESH_TOKEN_EXPIRED",
    ],
    [
      "revocation is checked before expiry",
      { ...live, revokeMs: 1, expireMs: 0 },
      undefined,
      "refuse REFRESH_TOKEN_REVOKED",
    ],
    ["the first use rotates", live, undefined, "rotate"],
    ["a repeat within the grace window gets the same successor", rotated(grace), alive, "repeat"],
    ["a repeat after the grace window revokes the family", rotated(grace + 1), alive, "revoke-family"],
    ["a repeat whose successor was revoked revokes the family", rotated(1), { revoked: true }, "revoke-family"],
    ["a rotated token without a successor revokes the family", rotated(1), undefined, "revoke-family"],
  ];
  for (const [what, token, successor, expected] of cases) {
    it(what, () => {
      const d = decideRefresh(token, successor, now, grace);
      assert.equal(d.kind === "refuse" ? `refuse ${d.reason}` : d.kind, expected);
    });
  }

  it("a successor is derived from its token and the secret: a retry gets the very same one", () => {
    const token = newRefreshToken();
    assert.equal(successorToken("secret", token), successorToken("secret", token));
    assert.notEqual(successorToken("secret", token), successorToken("other secret", token));
    assert.notEqual(newRefreshToken(), token);
    assert.equal(hashToken(token).length, 32, "only a SHA-256 is stored");
  });
});
