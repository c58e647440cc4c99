/**
 * The ticket service's claim paths measured on MariaDB alone (no RPC), each beside the raw ceiling
 * of a single-statement conditional seat claim in autocommit on the same server and connection
 * count. Figures go to docs/ticket.md.
 *
 *   node --import tsx bench/ticket-sql.ts            (5 s per scenario; BENCH_SMOKE=1: 0.3 s)
 *
 * Uses BOXOFFICE_MARIADB_URL when set, else starts its own MariaDB from the harness.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { EventLayoutSchema } from "../gen/boxoffice/event/v1/event_pb.js";
import { startInfra } from "../harness/index.js";
import { createDb, dropDatabases, withTransaction } from "../platform/db/index.js";
import { migrate } from "../platform/db/migrate.js";
import { DomainError } from "../platform/rpc/errors.js";
import { placeHold } from "../services/ticket/db/holds.js";
import { type Inventory, loadInventory, materialiseInventory } from "../services/ticket/db/inventory.js";
import { type HoldItemInput, normaliseItems } from "../services/ticket/domain/items.js";
import { type LoadResult, measure, row } from "./load.js";

const smoke = process.env.BENCH_SMOKE === "1";
const ms = smoke ? 300 : 5_000;
const CONNECTIONS = 64;

const dir = mkdtempSync(join(tmpdir(), "boxoffice-ticket-bench-"));
const infra = await startInfra({ dataDir: dir, only: ["mariadb"], log: () => undefined });
const prefix = `tbench${process.pid}`;
const database = `${prefix}_ticket`;
await migrate({
  url: infra.mariadbUrl,
  database,
  migrationsFolder: fileURLToPath(new URL("../services/ticket/db/migrations", import.meta.url)),
});
const db = createDb({ url: infra.mariadbUrl, database, poolSize: CONNECTIONS });

let n = 0;
const uid = () => `00000000-0000-7000-8000-${(++n).toString(16).padStart(12, "0")}`;
const now = () => new Date();

/** An event of reserved sections `rows × seats` and GA sections, materialised; its inventory. */
async function event(
  sections: Array<{ rows: number; seats: number } | { ga: number }>,
  gaStripes = 16,
): Promise<Inventory> {
  const t = Date.now();
  const layout = create(EventLayoutSchema, {
    eventId: uid(),
    layoutVersion: 1n,
    venueId: uid(),
    organizerId: uid(),
    sections: sections.map((s, i) =>
      "ga" in s
        ? { id: uid(), name: `GA ${i}`, kind: { case: "generalAdmission" as const, value: { capacity: s.ga } } }
        : {
            id: uid(),
            name: `Block ${i}`,
            kind: {
              case: "reservedSeating" as const,
              value: {
                rows: Array.from({ length: s.rows }, (_, r) => ({
                  label: String(r + 1),
                  seats: Array.from({ length: s.seats }, (_, k) => ({ label: String(k + 1) })),
                })),
              },
            },
          },
    ),
    maxTicketsPerOrder: 10,
    salesStartTime: timestampFromMs(t - 3600_000),
    salesEndTime: timestampFromMs(t + 24 * 3600_000),
  });
  layout.priceTiers = layout.sections.map((s) => ({
    $typeName: "boxoffice.event.v1.PriceTier",
    sectionId: s.id,
    price: { $typeName: "boxoffice.common.v1.Money", currencyCode: "EUR", amountMinor: 5000n },
  }));
  await withTransaction(db, (tx) => materialiseInventory(tx, layout, { now: now(), revision: 1, gaStripes }));
  return (await loadInventory(db.orm, layout.eventId))!;
}

/** One hold through the data layer, as the use-case will run it (minus idempotency and outbox). */
function hold(inv: Inventory, items: HoldItemInput[]) {
  const at = now();
  return withTransaction(db, (tx) =>
    placeHold(tx, {
      inventory: inv,
      holdId: uid(),
      buyerId: uid(),
      now: at,
      expireTime: new Date(at.getTime() + 600_000),
      items: normaliseItems(items, inv.sections, inv.sales.maxPerOrder),
      stripeHint: Math.floor(Math.random() * 1e9),
    }),
  );
}

/** Grants and refusals measured apart: a refusal must answer no slower than a grant. */
async function split(fn: () => Promise<unknown>): Promise<{ all: LoadResult; granted: number[]; refused: number[] }> {
  const granted: number[] = [];
  const refused: number[] = [];
  const all = await measure(CONNECTIONS, ms, async () => {
    const t = performance.now();
    try {
      await fn();
      granted.push(performance.now() - t);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      refused.push(performance.now() - t);
    }
  });
  return { all, granted, refused };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};
const perSec = (count: number) => (count / (ms / 1000)).toFixed(0);
const lines: string[] = [];
const out = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

out(`ticket claim paths on MariaDB, ${CONNECTIONS} connections, ${ms / 1000} s each${smoke ? " (smoke)" : ""}`);

// 1. the ceiling: one conditional UPDATE per claim, autocommit, a different seat each time
const big = await event(Array.from({ length: 10 }, () => ({ rows: 100, seats: 100 })));
let seat = 0;
const raw = await measure(CONNECTIONS, ms, async () => {
  const s = seat++ % 100_000;
  const at = now();
  await db.pool.query(
    "UPDATE seats SET hold_id = ?, taken_until = ? WHERE inv_id = ? AND seat_no = ? AND (taken_until IS NULL OR taken_until <= ?)",
    [uid(), new Date(at.getTime() + 600_000), big.invId, s, at],
  );
});
out(row("raw conditional seat UPDATE (autocommit)", raw));

// 2. specific seats through placeHold, uncontended: 2 adjacent seats nobody else wants
const spec = await event(Array.from({ length: 10 }, () => ({ rows: 100, seats: 100 })));
let next = 0;
const specific = await measure(CONNECTIONS, ms, async () => {
  const k = next++ % 50_000;
  const s = spec.sections[Math.floor(k / 5000)]!;
  const r = Math.floor((k % 5000) / 50);
  const p = (k % 50) * 2;
  await hold(spec, [
    { kind: "seat", sectionId: s.sectionId, rowLabel: String(r + 1), seatLabel: String(p + 1) },
    { kind: "seat", sectionId: s.sectionId, rowLabel: String(r + 1), seatLabel: String(p + 2) },
  ]);
});
out(row("hold 2 specific seats, uncontended", specific));
out(`  → ${((specific.perSec / raw.perSec) * 100).toFixed(0)} % of the raw claim rate (target ≥ 25 %)`);

// 3. one hot event: everyone picks 2 random adjacent seats in one 10,000-seat section (an on-sale:
//    grants and refusals, the section filling up as it runs)
const hot = await event([{ rows: 100, seats: 100 }]);
const hotSection = hot.sections[0]!.sectionId;
const hotRun = await split(() => {
  const r = 1 + Math.floor(Math.random() * 100);
  const p = 1 + Math.floor(Math.random() * 99);
  return hold(hot, [
    { kind: "seat", sectionId: hotSection, rowLabel: String(r), seatLabel: String(p) },
    { kind: "seat", sectionId: hotSection, rowLabel: String(r), seatLabel: String(p + 1) },
  ]);
});
out(
  `hold 2 random seats, one hot 10,000-seat section: ${perSec(hotRun.granted.length)} granted/s ` +
    `(p50 ${pct(hotRun.granted, 0.5).toFixed(2)} / p99 ${pct(hotRun.granted, 0.99).toFixed(2)} ms), ` +
    `${perSec(hotRun.refused.length)} refused/s (p50 ${pct(hotRun.refused, 0.5).toFixed(2)} / p99 ${pct(hotRun.refused, 0.99).toFixed(2)} ms)`,
);

// 4. GA on one hot section: 1 stripe vs 16 stripes
for (const stripes of [1, 16]) {
  const ga = await event([{ ga: 1_000_000 }], stripes);
  const r = await measure(CONNECTIONS, ms, () =>
    hold(ga, [{ kind: "generalAdmission", sectionId: ga.sections[0]!.sectionId, quantity: 2 }]),
  );
  out(row(`hold 2 GA places, one section, ${stripes} stripe${stripes > 1 ? "s" : ""}`, r));
  if (stripes > 1) out(`  → ${((r.perSec / raw.perSec) * 100).toFixed(0)} % of the raw claim rate (target ≥ 25 %)`);
}

// 5. best available, everyone in one 200 × 100 section
const ba = await event([{ rows: 200, seats: 100 }]);
const best = await measure(CONNECTIONS, ms, () =>
  hold(ba, [{ kind: "bestAvailable", sectionId: ba.sections[0]!.sectionId, quantity: 2 }]),
);
out(row("hold 2 best available, one 20,000-seat section", best));
out(`  → ${((best.perSec / specific.perSec) * 100).toFixed(0)} % of the specific-seat rate (target ≥ 50 %)`);

// 6. refusals on sold-out sections: as fast as a grant?
const sold = await event([{ rows: 1, seats: 2 }, { ga: 2 }]);
await hold(sold, [
  { kind: "seat", sectionId: sold.sections[0]!.sectionId, rowLabel: "1", seatLabel: "1" },
  { kind: "seat", sectionId: sold.sections[0]!.sectionId, rowLabel: "1", seatLabel: "2" },
  { kind: "generalAdmission", sectionId: sold.sections[1]!.sectionId, quantity: 2 },
]);
for (const [name, items] of [
  ["refused: a taken seat", [{ kind: "seat", sectionId: sold.sections[0]!.sectionId, rowLabel: "1", seatLabel: "1" }]],
  ["refused: GA sold out", [{ kind: "generalAdmission", sectionId: sold.sections[1]!.sectionId, quantity: 1 }]],
  [
    "refused: best available sold out",
    [{ kind: "bestAvailable", sectionId: sold.sections[0]!.sectionId, quantity: 1 }],
  ],
] as Array<[string, HoldItemInput[]]>) {
  const r = await split(() => hold(sold, items));
  out(
    `${name.padEnd(44)} ${perSec(r.refused.length).padStart(8)}/s   p50 ${pct(r.refused, 0.5).toFixed(2).padStart(7)} ms   p99 ${pct(r.refused, 0.99).toFixed(2).padStart(7)} ms   (${r.granted.length} granted)`,
  );
}

// oversold check over everything above: no seat in two live holds
const [doubled] = await db.pool.query(
  `SELECT COUNT(*) AS n FROM (SELECT hs.inv_id, hs.seat_no FROM hold_seats hs JOIN holds h ON h.id = hs.hold_id
   WHERE h.state = 'ACTIVE' AND h.expire_time > NOW(3) GROUP BY hs.inv_id, hs.seat_no HAVING COUNT(*) > 1) d`,
);
const [negative] = await db.pool.query("SELECT COUNT(*) AS n FROM ga_stripes WHERE available < 0");
out(
  `oversold: ${Number((doubled as Array<{ n: number }>)[0]?.n)} seats, ${Number((negative as Array<{ n: number }>)[0]?.n)} GA stripes`,
);

await db.close();
await dropDatabases(infra.mariadbUrl, prefix);
await infra.stop();
rmSync(dir, { recursive: true, force: true });
