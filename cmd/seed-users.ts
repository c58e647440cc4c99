/**
 * `boxoffice seed users N`: N real buyer accounts for load tests and demos, written straight into
 * auth's database, with an access token minted for each by the configured signing key.
 *
 * Why not Register: every Register hashes its password with argon2id (~40 ms of a core here), so
 * 10,000 buyers would cost minutes of CPU before the first seat is held and the benchmark would
 * measure the KDF. Here ONE hash is computed and shared by every seeded account (they all log in
 * with the same password), the rows are inserted in batches, and the tokens are signed locally
 * with BOXOFFICE_AUTH_SIGNING_KEYS exactly as auth signs them (same issuer, audience, claims), so
 * every service accepts them. What is skipped on purpose: the UserRegistered event (no welcome
 * email per seeded buyer; the bench counts only order emails) and the idempotency record (this is
 * not an RPC). Refused when BOXOFFICE_ENV=production.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { signAccessToken } from "../platform/auth/sign.js";
import { loadConfig } from "../platform/config/index.js";
import { infraNames } from "../platform/config/names.js";
import { loadRuntimeConfig } from "../platform/config/runtime.js";
import { createDb } from "../platform/db/index.js";
import { createIdGenerator } from "../platform/ids/index.js";
import { createLogger } from "../platform/log/index.js";
import { authSpec } from "../services/auth/config.js";
import { userRoles, users } from "../services/auth/db/schema.js";
import { hashPassword } from "../services/auth/domain/credentials.js";
import { canonicalEmail } from "../services/auth/domain/email.js";
import { loadKeyRing } from "../services/auth/keys.js";

/** One seeded buyer: what a load generator needs to act as them. */
export interface SeededUser {
  id: string;
  email: string;
  accessToken: string;
}

export interface SeedUsersOptions {
  count: number;
  /** The process environment to read the database, prefix, keys and issuer from. */
  env: Record<string, string | undefined>;
  /** Local part before the running number (default `buyer-<random>`: several seeds never collide). */
  emailPrefix?: string;
  /** Domain of the addresses (default `seed.boxoffice.localhost`, never a real mailbox). */
  emailDomain?: string;
  /** The shared password (default: random, returned). */
  password?: string;
  /** Lifetime of the minted access tokens (default 3600 s: a long bench outlives auth's 15 min). */
  tokenTtlSeconds?: number;
  /** Rows per INSERT (default 500). */
  batchSize?: number;
  /** Called with each user as soon as its token is signed (streams large seeds). */
  onUser?: (u: SeededUser) => void;
}

export interface SeedUsersResult {
  users: SeededUser[];
  password: string;
}

/** Inserts `count` CUSTOMER accounts sharing one argon2id hash and mints an access token for each. */
export async function seedUsers(o: SeedUsersOptions): Promise<SeedUsersResult> {
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > 1_000_000)
    throw new Error("seed users: N must be a whole number from 1 to 1,000,000");
  if (o.env.BOXOFFICE_ENV === "production") throw new Error("seed users is refused when BOXOFFICE_ENV=production");
  const runtime = loadRuntimeConfig(o.env);
  const auth = loadConfig(authSpec, o.env);
  if (auth.signingKeys === undefined) {
    throw new Error(
      "seed users: BOXOFFICE_AUTH_SIGNING_KEYS is not set, so tokens minted here would not verify against auth's keys",
    );
  }
  const ring = await loadKeyRing(auth.signingKeys, createLogger({ level: "silent" }));
  const ttlSeconds = o.tokenTtlSeconds ?? 3600;
  const password = o.password ?? `seed-${randomBytes(18).toString("base64url")}`;
  const passwordHash = await hashPassword(password); // the one argon2id of the run
  const prefix = o.emailPrefix ?? `buyer-${randomBytes(4).toString("hex")}`;
  const domain = o.emailDomain ?? "seed.boxoffice.localhost";
  const batchSize = o.batchSize ?? 500;
  const newId = createIdGenerator();
  const db = createDb({
    url: runtime.mariadbUrl,
    database: infraNames(runtime.prefix).database("auth"),
    poolSize: 2,
    queryTimeoutMs: 60_000,
  });
  const out: SeededUser[] = [];
  try {
    for (let start = 0; start < o.count; start += batchSize) {
      const at = new Date();
      const batch = Array.from({ length: Math.min(batchSize, o.count - start) }, (_, j) => ({
        id: newId(),
        email: canonicalEmail(`${prefix}-${start + j + 1}@${domain}`),
        displayName: `Buyer ${start + j + 1}`,
        passwordHash,
        createTime: at,
        updateTime: at,
      }));
      await db.orm.transaction(async (tx) => {
        await tx.insert(users).values(batch);
        await tx.insert(userRoles).values(batch.map((u) => ({ userId: u.id, role: "CUSTOMER", grantTime: at })));
      });
      for (const u of batch) {
        const accessToken = await signAccessToken({
          key: ring.signer,
          issuer: runtime.jwtIssuer,
          audience: runtime.jwtAudience,
          ttlSeconds,
          subject: u.id,
          roles: ["CUSTOMER"],
        });
        const user = { id: u.id, email: u.email, accessToken };
        out.push(user);
        o.onUser?.(user);
      }
    }
  } finally {
    await db.close();
  }
  return { users: out, password };
}

/**
 * The CLI: `boxoffice seed users N [--out FILE] [--email-prefix P] [--token-ttl S] [--password X]`.
 * Writes one JSON object per line (`{"id","email","accessToken"}`) to FILE or stdout; the shared
 * password goes to stderr.
 */
export async function seedCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      "email-prefix": { type: "string" },
      "email-domain": { type: "string" },
      "token-ttl": { type: "string" },
      password: { type: "string" },
    },
  });
  const [what, n] = positionals;
  if (what !== "users" || n === undefined || !/^\d+$/.test(n)) {
    process.stderr.write("usage: boxoffice seed users N [--out FILE] [--email-prefix P] [--token-ttl SECONDS]\n");
    return 2;
  }
  const sink: Writable = values.out === undefined ? process.stdout : createWriteStream(values.out);
  const t0 = Date.now();
  const result = await seedUsers({
    count: Number(n),
    env,
    emailPrefix: values["email-prefix"],
    emailDomain: values["email-domain"],
    password: values.password,
    tokenTtlSeconds: values["token-ttl"] === undefined ? undefined : Number(values["token-ttl"]),
    onUser: (u) => sink.write(`${JSON.stringify(u)}\n`),
  });
  if (sink !== process.stdout)
    await new Promise<void>((resolve, reject) => sink.end((e?: Error) => (e ? reject(e) : resolve())));
  process.stderr.write(
    `seeded ${result.users.length} users in ${Date.now() - t0} ms (database ${infraNames(loadRuntimeConfig(env).prefix).database("auth")}); their password: ${result.password}\n`,
  );
  return 0;
}
