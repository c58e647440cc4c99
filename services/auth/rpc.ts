import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { clientAddressOf, principalOf } from "../../platform/rpc/context.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";
import { authAccess, authInternalAccess } from "./access.js";
import type { AuthDeps } from "./deps.js";
import { getMe, getUser } from "./use-cases/get-user.js";
import { grantRole } from "./use-cases/grant-role.js";
import { issueServiceToken } from "./use-cases/issue-service-token.js";
import { login } from "./use-cases/login.js";
import { logout } from "./use-cases/logout.js";
import { refresh } from "./use-cases/refresh.js";
import { register } from "./use-cases/register.js";

/**
 * The RPC layer of auth: the caller's principal and the request go to the use-case, its result
 * into the response. Access is declared in access.ts; errors map in the platform.
 */
const notYet = (): never => {
  throw new ConnectError("account emails (password reset, verification) are not built yet", Code.Unimplemented);
};

export function authServices(d: AuthDeps): ServiceRegistration[] {
  return [
    defineService(AuthService, authAccess.access, {
      register: async (req, ctx) => ({ user: await register(d, principalOf(ctx), req) }),
      login: (req, ctx) =>
        login(d, principalOf(ctx), { email: req.email, password: req.password, clientAddress: clientAddressOf(ctx) }),
      refresh: async (req, ctx) => ({ tokens: await refresh(d, principalOf(ctx), req) }),
      logout: (req, ctx) => logout(d, principalOf(ctx), req),
      getMe: async (_req, ctx) => ({ user: await getMe(d, principalOf(ctx)) }),
      grantRole: async (req, ctx) => ({ user: await grantRole(d, principalOf(ctx), req) }),
      // Account emails (password reset, email verification) are being built; the contract lands first.
      requestPasswordReset: notYet,
      resetPassword: notYet,
      verifyEmail: notYet,
      requestEmailVerification: notYet,
    }),
    defineService(AuthInternalService, authInternalAccess.access, {
      getUser: async (req, ctx) => ({ user: await getUser(d, principalOf(ctx), req) }),
      issueServiceToken: async (req, ctx) => {
        const t = await issueServiceToken(d, principalOf(ctx), req);
        return { accessToken: t.token, expireTime: timestampFromMs(t.expireMs), tokenType: "Bearer" };
      },
    }),
  ];
}
