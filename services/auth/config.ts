import { z } from "zod";
import { type ConfigOf, envTypes, envVar } from "../../platform/config/index.js";

/**
 * The auth service's own variables (ServiceModule.config: validated at start with the runtime's,
 * listed by `boxoffice config`; the runtime's are in platform/config/runtime.ts).
 */
export const authSpec = {
  signingKeys: envVar(
    "BOXOFFICE_AUTH_SIGNING_KEYS",
    z.string().optional(),
    "JSON array of private Ed25519 JWKs with kid; all are published in the JWKS, the last one signs (secret; unset = an ephemeral dev key)",
    // An ephemeral key signs tokens that die with the process and that no other replica accepts.
    { required: true },
  ),
  refreshSecret: envVar(
    "BOXOFFICE_AUTH_REFRESH_SECRET",
    z.string().min(32, "at least 32 characters").optional(),
    "HMAC key deriving a refresh token's successor (secret; unset = an ephemeral dev secret)",
    { required: true },
  ),
  accessTtlSeconds: envVar("BOXOFFICE_AUTH_ACCESS_TTL_SECONDS", envTypes.positiveInt(900), "access token lifetime"),
  refreshTtlDays: envVar("BOXOFFICE_AUTH_REFRESH_TTL_DAYS", envTypes.positiveInt(30), "refresh token lifetime"),
  refreshGraceSeconds: envVar(
    "BOXOFFICE_AUTH_REFRESH_GRACE_SECONDS",
    envTypes.positiveInt(10),
    "a rotated refresh token used again within this window gets the same new pair back (lost response, mesh retry)",
  ),
  serviceTokenTtlSeconds: envVar(
    "BOXOFFICE_AUTH_SERVICE_TOKEN_TTL_SECONDS",
    envTypes.positiveInt(600),
    "service token lifetime",
  ),
  loginMaxPerEmail: envVar(
    "BOXOFFICE_AUTH_LOGIN_MAX_PER_EMAIL",
    envTypes.positiveInt(10),
    "login attempts per email per window",
  ),
  loginMaxPerAddress: envVar(
    "BOXOFFICE_AUTH_LOGIN_MAX_PER_ADDRESS",
    envTypes.positiveInt(100),
    "login attempts per client address per window",
  ),
  loginWindowSeconds: envVar(
    "BOXOFFICE_AUTH_LOGIN_WINDOW_SECONDS",
    envTypes.positiveInt(900),
    "login throttling window (sliding)",
  ),
  registerMaxPerEmail: envVar(
    "BOXOFFICE_AUTH_REGISTER_MAX_PER_EMAIL",
    envTypes.positiveInt(5),
    "registrations per email per window",
  ),
  registerMaxPerAddress: envVar(
    "BOXOFFICE_AUTH_REGISTER_MAX_PER_ADDRESS",
    envTypes.positiveInt(20),
    "registrations per client address per window (raise it for tests and benchmarks that register many users from one address)",
  ),
  registerWindowSeconds: envVar(
    "BOXOFFICE_AUTH_REGISTER_WINDOW_SECONDS",
    envTypes.positiveInt(3600),
    "registration throttling window (sliding)",
  ),
  accountEmailMaxPerEmail: envVar(
    "BOXOFFICE_AUTH_ACCOUNT_EMAIL_MAX_PER_EMAIL",
    envTypes.positiveInt(3),
    "password-reset and verification emails asked for per email (or account) per window",
  ),
  accountEmailMaxPerAddress: envVar(
    "BOXOFFICE_AUTH_ACCOUNT_EMAIL_MAX_PER_ADDRESS",
    envTypes.positiveInt(20),
    "account emails asked for, and reset/verification tokens tried, per client address per window",
  ),
  accountEmailWindowSeconds: envVar(
    "BOXOFFICE_AUTH_ACCOUNT_EMAIL_WINDOW_SECONDS",
    envTypes.positiveInt(3600),
    "account-email throttling window (sliding)",
  ),
  hashConcurrency: envVar(
    "BOXOFFICE_AUTH_HASH_CONCURRENCY",
    envTypes.positiveInt(2),
    "new password hashes (argon2id) running at once; the rest of libuv's thread pool stays for logins",
  ),
  hashQueue: envVar(
    "BOXOFFICE_AUTH_HASH_QUEUE",
    envTypes.positiveInt(32),
    "new password hashes waiting for a slot; more are refused with RESOURCE_EXHAUSTED",
  ),
  bootstrapAdminEmail: envVar(
    "BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL",
    z.string().optional(),
    "creates this ADMIN at start-up when missing",
  ),
  bootstrapAdminPassword: envVar(
    "BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD",
    z.string().optional(),
    "password of the bootstrap admin (secret)",
  ),
};

export type AuthConfig = ConfigOf<typeof authSpec>;
