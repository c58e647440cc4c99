import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { access, critical, sheddable } from "../../platform/rpc/access.js";
import { contract } from "../../platform/rpc/service.js";

/** Who may call each RPC of auth (the mesh policies are rendered from this). */
export const authAccess = contract(AuthService, {
  register: access.public(),
  login: access.public(),
  // A refresh token is its own proof of identity: no access token needed to use or revoke it.
  refresh: access.public(),
  logout: access.public(),
  getMe: sheddable(access.user()),
  grantRole: access.roles("ADMIN"),
  // Account emails: a reset or verification token is its own proof; no access token needed.
  requestPasswordReset: access.public(),
  resetPassword: access.public(),
  verifyEmail: access.public(),
  requestEmailVerification: access.user(),
});

export const authInternalAccess = contract(AuthInternalService, {
  getUser: access.internal("ticket", "payment", "notification"),
  // Exchanges a per-service secret for a service token, so it cannot require one.
  // Services call it before their internal calls: refused last, like them.
  issueServiceToken: critical(access.public()),
});

export const authContracts = [authAccess, authInternalAccess];
