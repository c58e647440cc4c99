/**
 * The crowd: seeding the buyers (through `boxoffice seed users N`, the command an operator would
 * run), sending them at the on-sale (a burst at the sales start, or a stream over a round for the
 * fault suite), and waiting until the notification queue has drained.
 */
import { createConnection } from "mysql2/promise";
import type { SeededUser } from "../../cmd/seed-users.js";
import { sleep } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";
import { type BuyerMix, type BuyerResult, type Live, planBuyer, runBuyer } from "./buyer.js";
import type { OnsaleClients } from "./clients.js";
import type { OnsaleEvent } from "./event-setup.js";
import { TABLES } from "./invariants.js";
import { prng } from "./random.js";
import type { Recorder } from "./record.js";
import { spawnBoxoffice } from "./stack.js";

/** `boxoffice seed users n` against the stack's auth database; the users with their tokens. */
export function seedBuyers(env: Record<string, string>, n: number, tokenTtlSeconds = 7200): Promise<SeededUser[]> {
  return new Promise((resolve, reject) => {
    const child = spawnBoxoffice(["seed", "users", String(n), "--token-ttl", String(tokenTtlSeconds)], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (b) => (out += b));
    child.stderr!.on("data", (b) => (err += b));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`seed users exited with ${code}: ${err.trim()}`));
      resolve(
        out
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as SeededUser),
      );
    });
  });
}

export interface CrowdOptions {
  /** Buyers arrive from startAtMs over spreadMs (uniformly at random; 0 = all at once)… */
  startAtMs: number;
  spreadMs: number;
  /** …unless this gives buyer i's arrival, ms after startAtMs (the fault suite's waves). */
  arrivalOffsetMs?: (buyer: number, random: () => number) => number;
  mix: BuyerMix;
  seed: number;
  /** How long one buyer keeps trying from its arrival (retries, following its order). */
  budgetMs: number;
}

/** Runs one journey per user; resolves when every buyer has finished. */
export async function runCrowd(
  c: { pick(i: number): OnsaleClients },
  event: OnsaleEvent,
  users: readonly SeededUser[],
  rec: Recorder,
  live: Live,
  o: CrowdOptions,
): Promise<BuyerResult[]> {
  return Promise.all(
    users.map(async (u, i) => {
      const random = prng((o.seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
      const plan = planBuyer(random, o.mix);
      const at = o.startAtMs + (o.arrivalOffsetMs?.(i, random) ?? random() * o.spreadMs);
      await sleep(Math.max(0, at - Date.now()));
      return runBuyer(i, plan, {
        clients: c.pick(i),
        event,
        token: u.accessToken,
        rec,
        random,
        deadlineMs: Date.now() + o.budgetMs,
        live,
      });
    }),
  );
}

/**
 * Waits until the notification service has nothing PENDING and holds at least `confirmed`
 * ORDER_CONFIRMED notifications (or `timeoutMs` passes); returns how long it took.
 */
export async function waitForNotifications(
  mariadbUrl: string,
  prefix: string,
  confirmed: number,
  timeoutMs: number,
): Promise<{ drained: boolean; ms: number }> {
  const u = new URL(mariadbUrl);
  const conn = await createConnection({
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username || "root"),
  });
  const table = `\`${infraNames(prefix).database("notification")}\`.\`${TABLES.notification.notifications}\``;
  const t0 = Date.now();
  try {
    for (;;) {
      const [rows] = await conn.query(
        `SELECT SUM(state = 'PENDING') AS pending, SUM(kind = 'ORDER_CONFIRMED') AS confirmations FROM ${table}`,
      );
      const r = (rows as Array<{ pending: number | null; confirmations: number | null }>)[0];
      if (Number(r?.pending ?? 0) === 0 && Number(r?.confirmations ?? 0) >= confirmed)
        return { drained: true, ms: Date.now() - t0 };
      if (Date.now() - t0 > timeoutMs) return { drained: false, ms: Date.now() - t0 };
      await sleep(250);
    }
  } finally {
    await conn.end();
  }
}
