import { timestampFromMs } from "@bufbuild/protobuf/wkt";
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
import { registerFromClient } from "./use-cases/register.js";
import { requestEmailVerificationFromClient } from "./use-cases/request-email-verification.js";
import { requestPasswordResetFromClient } from "./use-cases/request-password-reset.js";
import { resetPasswordFromClient } from "./use-cases/reset-password.js";
import { verifyEmailFromClient } from "./use-cases/verify-email.js";

/**
 * The RPC layer of auth: the caller's principal and the request go to the use-case, its result
 * into the response; the writes an anonymous client can repeat also get the client's address, for
 * throttling. Access is declared in access.ts; errors map in the platform.
 */
export function authServices(d: AuthDeps): ServiceRegistration[] {
  return [
    defineService(AuthService, authAccess.access, {
      register: async (req, ctx) => ({
        user: await registerFromClient(d, principalOf(ctx), req, clientAddressOf(ctx)),
      }),
      login: (req, ctx) =>
        login(d, principalOf(ctx), { email: req.email, password: req.password, clientAddress: clientAddressOf(ctx) }),
      refresh: async (req, ctx) => ({ tokens: await refresh(d, principalOf(ctx), req) }),
      logout: (req, ctx) => logout(d, principalOf(ctx), req),
      getMe: async (_req, ctx) => ({ user: await getMe(d, principalOf(ctx)) }),
      grantRole: async (req, ctx) => ({ user: await grantRole(d, principalOf(ctx), req) }),
      requestPasswordReset: (req, ctx) =>
        requestPasswordResetFromClient(d, principalOf(ctx), req, clientAddressOf(ctx)),
      resetPassword: (req, ctx) => resetPasswordFromClient(d, principalOf(ctx), req, clientAddressOf(ctx)),
      verifyEmail: async (req, ctx) => ({
        user: await verifyEmailFromClient(d, principalOf(ctx), req, clientAddressOf(ctx)),
      }),
      requestEmailVerification: (req, ctx) =>
        requestEmailVerificationFromClient(d, principalOf(ctx), req, clientAddressOf(ctx)),
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
