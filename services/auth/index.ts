import { fileURLToPath } from "node:url";
import { access } from "../../platform/rpc/access.js";
import { unimplementedService } from "../../platform/rpc/service.js";
import type { ServiceModule } from "../../platform/app/index.js";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";

const pending = "the auth service lands with issue #5 (users, JWT, refresh rotation)";

/** auth: users, credentials, refresh tokens, roles, service identity. */
export const authModule: ServiceModule = {
  name: "auth",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  create: () => ({
    services: [
      unimplementedService(
        AuthService,
        {
          register: access.public(),
          login: access.public(),
          // A refresh token is its own proof of identity: no access token needed to use or revoke it.
          refresh: access.public(),
          logout: access.public(),
          getMe: access.user(),
          grantRole: access.roles("ADMIN"),
        },
        pending,
      ),
      unimplementedService(
        AuthInternalService,
        {
          getUser: access.internal("ticket", "payment", "notification"),
          // Exchanges a per-service secret for a service token, so it cannot require one.
          issueServiceToken: access.public(),
        },
        pending,
      ),
    ],
  }),
};
