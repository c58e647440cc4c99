import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { principalKey } from "../../platform/rpc/context.js";
import { UnauthenticatedError } from "../../platform/rpc/errors.js";
import { defineService, type ServiceRegistration } from "../../platform/rpc/service.js";
import { authAccess, authInternalAccess } from "./access.js";
import { type AccountDeps, getUser, grantRole, register } from "./use-cases/accounts.js";
import { issueServiceToken, login, logout, refresh, type SessionDeps } from "./use-cases/sessions.js";

/** The RPC layer of auth: parses, declares access, delegates to use-cases; no SQL here. */
export function authServices(d: AccountDeps & SessionDeps): ServiceRegistration[] {
  return [
    defineService(AuthService, authAccess.access, {
      register: async (req, ctx) => ({ user: await register(d, req, ctx) }),
      login: (req, ctx) => login(d, req.email, req.password, ctx),
      refresh: async (req) => ({ tokens: await refresh(d, req.refreshToken) }),
      logout: async (req, ctx) => {
        await logout(d, req, ctx);
        return {};
      },
      getMe: async (_req, ctx) => {
        const principal = ctx.values.get(principalKey);
        if (principal?.kind !== "user") throw new UnauthenticatedError();
        return { user: await getUser(d, principal.subject) };
      },
      grantRole: async (req, ctx) => ({ user: await grantRole(d, req, ctx) }),
    }),
    defineService(AuthInternalService, authInternalAccess.access, {
      getUser: async (req) => ({ user: await getUser(d, req.userId) }),
      issueServiceToken: async (req) => {
        const t = await issueServiceToken(d, req.serviceName, req.serviceSecret);
        return { accessToken: t.token, expireTime: timestampFromMs(t.expireMs), tokenType: "Bearer" };
      },
    }),
  ];
}
