/**
 * `make chaos` (and its short round in `make test`): on-sale rounds in split mode with processes
 * and servers SIGKILLed underneath and the payment provider slow or failing, at seeded random
 * moments; after each round the invariants are checked and printed as a table. Exit 1 on any
 * violation or a round that does not count (a fault that hit fewer than 5 checkouts in flight, or
 * fewer than 80 % of the sandbox_ok checkouts confirmed).
 *
 * Settings (environment): CHAOS_SEED (the first round's seed; printed, and replays the round),
 * CHAOS_ROUNDS (default 3; short 1; round i uses seed + i), CHAOS_BUYERS, CHAOS_OUT (JSON per
 * round, default .data/chaos). `--short` or CHAOS_SHORT=1: the round `make test` runs (< 3 min).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { seedFrom } from "../../bench/onsale/random.js";
import { chaosRound, type RoundResult } from "./round.js";
import { renderRound } from "./table.js";

const short = process.argv.includes("--short") || process.env.CHAOS_SHORT === "1";
const firstSeed = seedFrom(process.env.CHAOS_SEED);
const rounds = Number(process.env.CHAOS_ROUNDS ?? (short ? 1 : 3));
const buyers = Number(process.env.CHAOS_BUYERS ?? (short ? 90 : 600));
const outDir = resolve(process.env.CHAOS_OUT ?? join(".data", "chaos"));
const log = (l: string) => process.stderr.write(`chaos: ${l}\n`);

// Every fault gets a wave of 8 sandbox_slow buyers 1.5 s before its moment (the slow charge takes
// 3 s, so their checkouts are under way then on any machine) and waits up to aimTimeoutMs for 5
// checkouts in progress. Heal and recovery are bounds, not sleeps: a round ends when everything has
// settled. The short round's crowd, slots and down times are what fits `make test`'s 3 minutes.
const settings = short
  ? {
      warmupMs: 3_000,
      slotMs: 7_000,
      minDownMs: 800,
      maxDownMs: 2_000,
      aimWave: 8,
      aimLeadMs: 1_500,
      aimTimeoutMs: 15_000,
      healTimeoutMs: 90_000,
      buyerBudgetMs: 60_000,
      recoveryMs: 60_000,
    }
  : {
      warmupMs: 8_000,
      slotMs: 15_000,
      minDownMs: 2_000,
      maxDownMs: 5_000,
      aimWave: 8,
      aimLeadMs: 1_500,
      aimTimeoutMs: 20_000,
      healTimeoutMs: 120_000,
      buyerBudgetMs: 120_000,
      recoveryMs: 120_000,
    };

let failed = false;
const t0 = Date.now();
const results: RoundResult[] = [];
for (let i = 0; i < rounds; i++) {
  const seed = (firstSeed + i) >>> 0;
  process.stdout.write(
    `\nchaos round ${i + 1}/${rounds}: seed ${seed} (CHAOS_SEED=${seed} CHAOS_ROUNDS=1 replays it)${short ? ", short" : ""}\n`,
  );
  try {
    const r = await chaosRound({
      seed,
      buyers,
      minInFlight: 5,
      ...settings,
      logDir: join(outDir, `logs-${seed}`),
      env: {
        // slow charges keep checkouts in flight for the faults
        BOXOFFICE_SANDBOX_SLOW_MS: "3000",
        // abandoned holds expire within the round, so "no hold ACTIVE past its expiry" is put to the test
        BOXOFFICE_TICKET_HOLD_TTL_SECONDS: "45",
        BOXOFFICE_TICKET_SWEEP_INTERVAL_MS: "2000",
        // an order whose charge outcome was lost is asked about after this long (default 60 s, every
        // 5 s): the short round's recovery waits for it, so it comes sooner
        ...(short
          ? { BOXOFFICE_TICKET_RECONCILE_AFTER_SECONDS: "10", BOXOFFICE_TICKET_RECONCILE_EVERY_MS: "2000" }
          : {}),
        // An email claimed by a notification process that is then SIGKILLed stays its own for the
        // lease (default 120 s), and one that failed on a killed MariaDB waits its first retry
        // (default 30 s, doubling): both outlast the recovery window, so the round shortens them
        // (the same code paths, on the round's clock).
        BOXOFFICE_NOTIFICATION_LEASE_MS: "15000",
        BOXOFFICE_NOTIFICATION_RETRY_BASE_MS: "2000",
        BOXOFFICE_NOTIFICATION_RETRY_MAX_MS: "15000",
      },
      log,
    });
    results.push(r);
    const { text, ok } = renderRound(r);
    process.stdout.write(`${text}\n`);
    if (!ok) failed = true;
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `round-${seed}.json`), `${JSON.stringify(r, null, 2)}\n`);
  } catch (e) {
    failed = true;
    process.stdout.write(
      `round with seed ${seed} could not run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
  }
}
process.stdout.write(
  `\nchaos: ${results.length} of ${rounds} round(s) ran in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${failed ? "FAILED" : "every invariant held"}\n`,
);
process.exit(failed ? 1 : 0);
