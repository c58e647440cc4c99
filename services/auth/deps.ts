import type { Clock } from "../../platform/clock/index.js";
import type { CommandDeps } from "../../platform/commands/index.js";
import type { Db } from "../../platform/db/index.js";
import type { IdGenerator } from "../../platform/ids/index.js";
import type { AuthConfig } from "./config.js";
import type { DummyHash } from "./domain/credentials.js";
import type { PasswordHasher } from "./hashing.js";
import type { KeyRing } from "./keys.js";
import type { Throttle } from "./throttle.js";

/** What auth's use-cases get, built once in index.ts from the process context. */
export interface AuthDeps extends CommandDeps {
  /** For reads; writes go through `commands`. */
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  keys: KeyRing;
  config: AuthConfig & { issuer: string; audience: string; refreshSecret: string };
  /** Logins, registrations and account emails, per email (or account) and per client address. */
  throttle: Throttle;
  /** New password hashes, through a bounded queue (RESOURCE_EXHAUSTED when full). */
  hasher: PasswordHasher;
  dummyHash: DummyHash;
  /** service name → secret, from BOXOFFICE_SERVICE_SECRETS. */
  serviceSecrets: Readonly<Record<string, string>>;
}
