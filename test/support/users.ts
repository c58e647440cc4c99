import { randomUUID } from "node:crypto";
import { type CallOptions, type Client, type Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { Role } from "../../gen/boxoffice/auth/v1/auth_pb.js";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { type Clock, systemClock } from "../../platform/clock/index.js";

/**
 * End users for e2e suites, made through the auth service of a running test process (no shortcuts
 * under the platform): CUSTOMERs by registration, ORGANIZERs by an ADMIN's GrantRole, the ADMIN
 * being the process's bootstrap admin. Start the process with {@link usersEnv} so the admin exists
 * and service tokens can be issued.
 */

/** What a process needs for these helpers: a bootstrap admin and per-service secrets. */
export interface UsersConfig {
  adminEmail: string;
  adminPassword: string;
  /** service name → secret, as in BOXOFFICE_SERVICE_SECRETS. */
  serviceSecrets: Record<string, string>;
}

/** A fresh configuration: random admin password and service secrets for every service that calls others. */
export function newUsersConfig(): UsersConfig {
  return {
    adminEmail: `root-${randomUUID().slice(0, 8)}@boxoffice.test`,
    adminPassword: `admin-${randomUUID()}`,
    serviceSecrets: Object.fromEntries(
      ["auth", "event", "ticket", "payment", "notification"].map((s) => [s, `${s}-secret-${randomUUID()}`]),
    ),
  };
}

/** Environment for startTestProcess: the bootstrap admin and the service secrets of `cfg`. */
export function usersEnv(cfg: UsersConfig): Record<string, string> {
  return {
    BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL: cfg.adminEmail,
    BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD: cfg.adminPassword,
    BOXOFFICE_SERVICE_SECRETS: Object.entries(cfg.serviceSecrets)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
    // e2e suites log in and register a lot from one address
    BOXOFFICE_AUTH_LOGIN_MAX_PER_ADDRESS: "10000",
    BOXOFFICE_AUTH_LOGIN_MAX_PER_EMAIL: "1000",
    BOXOFFICE_AUTH_REGISTER_MAX_PER_ADDRESS: "10000",
    BOXOFFICE_AUTH_REGISTER_MAX_PER_EMAIL: "1000",
  };
}

/** A signed-in end user. `token()` logs in again when the (possibly manual) clock says the token is old. */
export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly roles: readonly Role[];
  /** A current access token. */
  token(): Promise<string>;
  /** Call options with `authorization: Bearer <token>`. */
  auth(): Promise<CallOptions>;
  /** Logs in again (after a role change, or to get a fresh token). */
  relogin(): Promise<void>;
}

/** Logins are renewed when the token is older than this on the process clock (tokens live 15 min). */
const RENEW_AFTER_MS = 10 * 60_000;

export class Users {
  readonly auth: Client<typeof AuthService>;
  readonly internal: Client<typeof AuthInternalService>;
  #admin: TestUser | undefined;

  constructor(
    readonly baseUrl: string,
    readonly cfg: UsersConfig,
    /** The clock the process runs on (tokens are signed and verified with it). */
    readonly clock: Clock = systemClock,
  ) {
    const transport = createConnectTransport({ baseUrl, httpVersion: "1.1" });
    this.auth = createClient(AuthService, transport);
    this.internal = createClient(AuthInternalService, transport);
  }

  /** Signs in as an existing account. */
  async login(email: string, password: string): Promise<TestUser> {
    let token = "";
    let at = 0;
    let id = "";
    let roles: Role[] = [];
    const fresh = async () => {
      const { tokens } = await this.auth.login({ email, password });
      if (!tokens) throw new Error(`login of ${email} returned no tokens`);
      token = tokens.accessToken;
      at = this.clock.now();
      const me = await this.auth.getMe({}, bearer(token));
      id = me.user?.id ?? "";
      roles = me.user?.roles ?? [];
    };
    await fresh();
    const user: TestUser = {
      get id() {
        return id;
      },
      email,
      password,
      get roles() {
        return roles;
      },
      token: async () => {
        if (this.clock.now() - at > RENEW_AFTER_MS || this.clock.now() < at) await fresh();
        return token;
      },
      auth: async () => bearer(await user.token()),
      relogin: fresh,
    };
    return user;
  }

  /** The bootstrap admin (ROLE_ADMIN). */
  async admin(): Promise<TestUser> {
    this.#admin ??= await this.login(this.cfg.adminEmail, this.cfg.adminPassword);
    return this.#admin;
  }

  /** A newly registered CUSTOMER. */
  async customer(tag = "customer"): Promise<TestUser> {
    const email = `${tag}-${randomUUID().slice(0, 8)}@example.com`;
    const password = `pw-${tag}-${randomUUID()}`;
    await this.auth.register({ requestId: randomUUID(), email, password, displayName: tag });
    return this.login(email, password);
  }

  /** A newly registered user granted ORGANIZER by the admin, logged in after the grant. */
  async organizer(tag = "organizer"): Promise<TestUser> {
    const user = await this.customer(tag);
    await this.grant(user, Role.ORGANIZER);
    return user;
  }

  /** The admin grants `role` to `user`, who then logs in again so the token carries it. */
  async grant(user: TestUser, role: Role): Promise<void> {
    const admin = await this.admin();
    await this.auth.grantRole({ requestId: randomUUID(), userId: user.id, role }, await admin.auth());
    await user.relogin();
    if (!user.roles.includes(role)) throw new Error(`${user.email} still lacks ${Role[role]} after GrantRole`);
  }

  /** A service token from AuthInternalService.IssueServiceToken with the configured secret. */
  async serviceToken(service: string): Promise<string> {
    const secret = this.cfg.serviceSecrets[service];
    if (secret === undefined) throw new Error(`no secret configured for service ${service}`);
    return (await this.internal.issueServiceToken({ serviceName: service, serviceSecret: secret })).accessToken;
  }
}

/** Call options carrying a bearer token. */
export function bearer(token: string): CallOptions {
  return { headers: { authorization: `Bearer ${token}` } };
}

/** True when `e` is a ConnectError with `code`. */
export function isCode(e: unknown, code: Code): boolean {
  return ConnectError.from(e).code === code;
}
