import { LogoutRequestSchema, LogoutResponseSchema } from "../../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { command } from "../../../platform/commands/index.js";
import { InvalidArgumentError } from "../../../platform/errors/index.js";
import { lockRefreshToken, revokeFamily } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { hashToken } from "../domain/refresh-token.js";

/** Logout revokes the token's whole family; unknown or already revoked tokens are fine (idempotent). */
export const logout = command({
  name: "auth.Logout",
  input: LogoutRequestSchema,
  output: LogoutResponseSchema,
  requestId: (req) => req.requestId,
  prepare(_d: AuthDeps, _principal, req) {
    if (req.refreshToken === "")
      throw new InvalidArgumentError([{ field: "refresh_token", description: "required", reason: "REQUIRED" }]);
  },
  async execute(_d: AuthDeps, w, req) {
    const row = await lockRefreshToken(w.tx, hashToken(req.refreshToken));
    if (row !== undefined) await revokeFamily(w.tx, row.familyId, new Date(w.now));
    return {};
  },
});
