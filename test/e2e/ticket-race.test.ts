import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { type CallOptions, type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type Availability, SeatState } from "../../gen/boxoffice/ticket/v1/availability_pb.js";
import type { Hold } from "../../gen/boxoffice/ticket/v1/hold_pb.js";
import { type HoldSeatsRequest, TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { Clock } from "../../platform/clock/index.js";
import { sleep } from "../../platform/clock/index.js";
import type { Db } from "../../platform/db/index.js";
import { sectionCounts } from "../../services/ticket/db/availability.js";
import { assertInvariants } from "../integration/ticket-kit.js";
import {
  availabilityOf,
  clientsOf,
  ga,
  grid,
  type Proc,
  type Published,
  publishEvent,
  stackEnv,
  startTestProcess,
  type TokenMint,
} from "./ticket-kit.js";

/** Wall-clock time plus a jump the test makes: holds expire without the test sleeping through a TTL. */
class JumpClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  date(): Date {
    return new Date(this.now());
  }
}

const TTL_SECONDS = 300;
const BUYERS = 500;
/**
 * Copies of each buyer's first HoldSeats sent at once with one request_id (a double click, a client
 * retry). `make test` sends the 4 (2,000 calls in flight at the start; ~10 s more than 2
 * copies, docs/ticket.md); `make test-long-ticket-race` sends 8 (4,000 in flight).
 */
const COPIES = Number(process.env.TICKET_RACE_COPIES ?? 4);

type Item = HoldSeatsRequest["items"][number];
type Outcome =
  | { kind: "granted"; hold: Hold }
  | { kind: "refused"; code: Code; reason: string; sectionId: string; available: number };

const timestampMsOfDuration = (d: { seconds: bigint; nanos: number }) => Number(d.seconds) * 1000 + d.nanos / 1e6;
const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const placeKeys = (h: Hold) =>
  h.items.flatMap((i) => {
    const k = i.kind;
    if (k.case === "seat") return [`${k.value.sectionId}/${k.value.rowLabel}/${k.value.seatLabel}`];
    if (k.case === "generalAdmission")
      return Array.from({ length: k.value.quantity }, (_, n) => `${k.value.sectionId}/ga/${h.id}/${n}`);
    return [];
  });

/**
 * Issue 12's racing test through the one port of an all-in-one process (real MariaDB, Redis and
 * NATS): 500 buyers open with COPIES × 500 concurrent HoldSeats (each buyer's first request sent
 * COPIES times at once with one request_id — a double click, client retries; half over gRPC, half
 * over Connect/JSON, both on HTTP/2) for 300 places of one event: two reserved sections of 100 (one with a
 * gap in every row) and 100 general-admission places; a third of the buyers take specific seats
 * picked from a seat map that may be stale, a third best available, a third GA. A refused buyer
 * retries (with what the refusal said is left) until their section answers SEATS_UNAVAILABLE with
 * `available` 0; RESOURCE_EXHAUSTED (a call that found no database connection within 3 s: the pool
 * is saturated) is retried with the same request_id after the pause its RetryInfo asks for, growing.
 * Then the rows and GetAvailability must agree that every place is held once, and after the TTL
 * (the process's clock jumps past it) that every place is for sale again.
 */
describe("ticket: the on-sale race through the one port", function () {
  this.timeout(COPIES > 2 ? 300_000 : 120_000);
  const clock = new JumpClock();
  let proc: Proc;
  let mint: TokenMint;
  let ev: Published;
  let db: Db;
  let invId: number;
  let t: ReturnType<typeof clientsOf>;
  let json2: Client<typeof TicketService>;

  before(async () => {
    const stack = await stackEnv({
      BOXOFFICE_TICKET_HOLD_TTL_SECONDS: String(TTL_SECONDS),
      // the stampede queues for the pool, and what cannot get a connection within 3 s is shed
      BOXOFFICE_MAX_INFLIGHT: "3000",
      BOXOFFICE_DB_POOL_SIZE: "32",
    });
    mint = stack.mint;
    proc = await startTestProcess({ env: stack.env, echo: false, clock });
    t = clientsOf(proc);
    // Connect/JSON on HTTP/2: 500 buyers share one connection per protocol, as a CDN edge would
    json2 = createClient(TicketService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "2" }));
    ev = await publishEvent(proc, mint, [grid("Stalls", 10, 10, 5), grid("Circle", 10, 10), ga("Standing", 100)], {
      maxPerOrder: 6,
    });
    db = proc.services.get("ticket")!.internals!.db as Db;
    const [r] = await db.pool.query("SELECT inv_id FROM inventories WHERE event_id = ?", [ev.event.id]);
    invId = (r as Array<{ inv_id: number }>)[0]!.inv_id;
  });
  after(() => proc?.stop());

  /** Per section (layout order): total, held (from the holds' own rows), available (from the places' rows). */
  async function fromRows(now: Date) {
    const [heldSeats] = await db.pool.query(
      `SELECT hs.section_no, COUNT(*) AS n FROM hold_seats hs JOIN holds h ON h.id = hs.hold_id
       WHERE h.inv_id = ? AND h.state = 'ACTIVE' AND h.expire_time > ? GROUP BY hs.section_no`,
      [invId, now],
    );
    const [heldGa] = await db.pool.query(
      `SELECT g.section_no, SUM(g.quantity - g.returned) AS n FROM hold_ga_items g JOIN holds h ON h.id = g.hold_id
       WHERE h.inv_id = ? AND h.state = 'ACTIVE' AND h.expire_time > ? GROUP BY g.section_no`,
      [invId, now],
    );
    const held = new Map<number, number>();
    for (const r of [...(heldSeats as []), ...(heldGa as [])] as Array<{ section_no: number; n: number }>)
      held.set(r.section_no, (held.get(r.section_no) ?? 0) + Number(r.n));
    return (await sectionCounts(db.orm, invId, now)).map((c) => ({
      total: c.total,
      available: c.available,
      held: held.get(c.sectionNo) ?? 0,
      sold: c.sold,
    }));
  }

  /** GetAvailability until its counts equal `want` (the cache is invalidated within ~0.5 s of a change). */
  async function availabilityAgrees(want: Array<{ total: number; available: number; held: number; sold: number }>) {
    const deadline = Date.now() + 15_000;
    let seen: Availability | undefined;
    for (;;) {
      seen = await availabilityOf(proc, ev.event.id);
      const got = seen.sections.map((s) => ({ total: s.total, available: s.available, held: s.held, sold: s.sold }));
      if (JSON.stringify(got) === JSON.stringify(want)) return;
      if (Date.now() > deadline) assert.deepEqual(got, want, "GetAvailability agrees with the rows");
      await sleep(200);
    }
  }

  const granted = new Map<string, Hold>(); // buyer → their hold
  let raceMs = 0;

  it(`${BUYERS * COPIES} concurrent HoldSeats from ${BUYERS} buyers for 300 places: each place held once, sold out exactly, every refusal clean`, async () => {
    const [stalls, circle, standing] = ev.sections as [string, string, string];
    const buyers = await Promise.all(Array.from({ length: BUYERS }, () => mint.as()));
    // the seat map every browser loaded before the sale opened (stale as soon as it starts)
    const mapAtOpen = new Map<string, Availability>();
    for (const s of [stalls, circle]) {
      const { availability } = await t.tickets.getAvailability({
        eventId: ev.event.id,
        sectionId: s,
        includeSeats: true,
      });
      mapAtOpen.set(s, availability!);
    }
    const freeSeats = (a: Availability) =>
      a.sections[0]!.rows.flatMap((r) =>
        r.seats.filter((x) => x.state === SeatState.AVAILABLE).map((x) => ({ row: r.rowLabel, seat: x.seatLabel })),
      );

    let calls = 0;
    let shed = 0;
    const refusals = new Map<string, number>(); // reason → count
    const unexpected: string[] = [];
    const mismatched: string[] = [];
    const grantMs: number[] = [];
    const refuseMs: number[] = [];

    const call = async (who: CallOptions, items: Item[], requestId: string, grpc: boolean): Promise<Outcome> => {
      let backoff = 0;
      for (;;) {
        calls++;
        const started = performance.now();
        try {
          const { hold } = await (grpc ? t.grpc : json2).holdSeats(
            { requestId, eventId: ev.event.id, items },
            { ...who, timeoutMs: 60_000 },
          );
          grantMs.push(performance.now() - started);
          return { kind: "granted", hold: hold! };
        } catch (e) {
          const err = ConnectError.from(e);
          if (err.code === Code.ResourceExhausted) {
            // shed: the same request again after the pause the server asks for, growing, with jitter
            shed++;
            const asked = err.findDetails(RetryInfoSchema)[0]?.retryDelay;
            const base = Math.max(500, asked === undefined ? 0 : timestampMsOfDuration(asked));
            await sleep(base * 2 ** Math.min(backoff++, 4) * (0.5 + Math.random()));
            continue;
          }
          const info = err.findDetails(ErrorInfoSchema)[0];
          if (err.code !== Code.FailedPrecondition || info === undefined) {
            unexpected.push(`${Code[err.code]} ${err.rawMessage}`);
            return { kind: "refused", code: err.code, reason: "", sectionId: "", available: -1 };
          }
          refuseMs.push(performance.now() - started);
          refusals.set(info.reason, (refusals.get(info.reason) ?? 0) + 1);
          return {
            kind: "refused",
            code: err.code,
            reason: info.reason,
            sectionId: info.metadata.section_id ?? "",
            available: Number(info.metadata.available ?? -1),
          };
        }
      }
    };

    /** The section's seat map as a browser refreshes it (shed like any call: asked again after a pause). */
    const seatMap = async (sectionId: string): Promise<Availability> => {
      for (let backoff = 0; ; backoff++) {
        try {
          return (await json2.getAvailability({ eventId: ev.event.id, sectionId, includeSeats: true })).availability!;
        } catch (e) {
          if (ConnectError.from(e).code !== Code.ResourceExhausted) throw e;
          await sleep(500 * 2 ** Math.min(backoff, 4) * (0.5 + Math.random()));
        }
      }
    };

    const buyer = async (n: number) => {
      const who = buyers[n]!;
      const kind = n % 3; // 0 specific seats, 1 best available, 2 GA
      const sectionId = kind === 2 ? standing : n % 2 === 0 ? stalls : circle;
      let want = 1 + (n % 4);
      for (let attempt = 0; ; attempt++) {
        let items: Item[];
        if (kind === 0) {
          const map = attempt === 0 ? mapAtOpen.get(sectionId)! : await seatMap(sectionId);
          const free = freeSeats(map);
          if (free.length === 0) return; // the map says sold out: the buyer gives up
          const start = Math.floor(Math.random() * free.length);
          items = Array.from({ length: Math.min(want, free.length) }, (_, i) => {
            const s = free[(start + i) % free.length]!;
            return { kind: { case: "seat", value: { sectionId, rowLabel: s.row, seatLabel: s.seat } } } as Item;
          });
        } else
          items = [
            {
              kind: { case: kind === 1 ? "bestAvailable" : "generalAdmission", value: { sectionId, quantity: want } },
            } as Item,
          ];
        const requestId = randomUUID();
        const copies = attempt === 0 ? COPIES : 1;
        const outcomes = await Promise.all(
          Array.from({ length: copies }, (_, c) => call(who, items, requestId, (c + attempt + n) % 2 === 0)),
        );
        const holds = outcomes.flatMap((o) => (o.kind === "granted" ? [o.hold] : []));
        if (new Set(holds.map((h) => h.id)).size > 1)
          mismatched.push(`buyer ${n}: one request_id, holds ${holds.map((h) => h.id).join(", ")}`);
        if (holds.length > 0) {
          granted.set(String(n), holds[0]!);
          return;
        }
        const mine = outcomes.filter(
          (o): o is Extract<Outcome, { kind: "refused" }> => o.kind === "refused" && o.sectionId === sectionId,
        );
        if (mine.length < outcomes.length) return; // an unexpected answer: recorded, the buyer stops
        const left = Math.min(...mine.map((o) => o.available));
        if (left === 0) return;
        want = Math.max(1, Math.min(want, left));
      }
    };

    const started = performance.now();
    await Promise.all(Array.from({ length: BUYERS }, (_, n) => buyer(n)));
    raceMs = performance.now() - started;
    const holds = [...granted.values()];
    const reasons = [...refusals].map(([r, n]) => `${r} ${n}`).join(", ");
    process.stdout.write(
      `      ${calls} HoldSeats calls in ${(raceMs / 1000).toFixed(1)} s (${(calls / (raceMs / 1000)).toFixed(0)}/s): ` +
        `${holds.length} buyers got a hold; refusals: ${reasons || "none"}; shed (RESOURCE_EXHAUSTED) ${shed}\n` +
        `      latency ms: granted p50 ${percentile(grantMs, 50).toFixed(0)} / p99 ${percentile(grantMs, 99).toFixed(0)}, ` +
        `refused p50 ${percentile(refuseMs, 50).toFixed(0)} / p99 ${percentile(refuseMs, 99).toFixed(0)}\n`,
    );
    assert.deepEqual(unexpected, [], "every refusal is FAILED_PRECONDITION with its ErrorInfo, or RESOURCE_EXHAUSTED");
    assert.deepEqual(
      [...refusals.keys()].filter((r) => r !== "SEATS_UNAVAILABLE"),
      [],
      "the only refusal reason is SEATS_UNAVAILABLE",
    );
    assert.deepEqual(mismatched, [], "copies of one request answer one hold");
    assert.ok(calls >= BUYERS * COPIES);

    // what the buyers were told: no place in two holds, 300 places in all
    const told = holds.flatMap(placeKeys);
    assert.equal(new Set(told).size, told.length, "no place in two granted holds");
    assert.equal(told.length, 300, "the granted holds add up to the 300 places");

    // the rows: no place in two live holds, one ACTIVE hold per buyer, sold out exactly
    const now = clock.date();
    await assertInvariants(db, invId, now);
    const [perBuyer] = await db.pool.query(
      "SELECT buyer_id, COUNT(*) AS n FROM holds WHERE inv_id = ? AND state = 'ACTIVE' GROUP BY buyer_id HAVING n > 1",
      [invId],
    );
    assert.deepEqual(perBuyer, [], "at most one ACTIVE hold per buyer");
    const [active] = await db.pool.query(
      "SELECT COUNT(*) AS n, COALESCE(SUM(quantity), 0) AS q FROM holds WHERE inv_id = ? AND state = 'ACTIVE'",
      [invId],
    );
    const a = (active as Array<{ n: number; q: number }>)[0]!;
    assert.equal(Number(a.n), holds.length, "an ACTIVE hold per buyer told they have one");
    assert.equal(Number(a.q), 300);
    const rows = await fromRows(now);
    for (const [i, s] of rows.entries()) {
      assert.equal(s.available, 0, `section ${i} sold out`);
      assert.equal(s.held + s.available, s.total, `section ${i}: held + available = total`);
    }
    await availabilityAgrees(rows);
  });

  it("after the TTL every hold expires: every place available again, GetAvailability agrees with the rows", async () => {
    assert.equal(granted.size > 0, true, "the race ran");
    const jumped = Date.now();
    clock.offsetMs = TTL_SECONDS * 1000 + 1000;
    // lazy expiry first: the places are free by time, before any sweep
    const lazy = await fromRows(clock.date());
    assert.deepEqual(
      lazy.map((s) => [s.available, s.held]),
      [
        [100, 0],
        [100, 0],
        [100, 0],
      ],
    );
    // the sweeper (every second) marks each hold EXPIRED and puts the GA places back on their stripes
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [r] = await db.pool.query("SELECT COUNT(*) AS n FROM holds WHERE inv_id = ? AND state = 'ACTIVE'", [invId]);
      const [st] = await db.pool.query(
        "SELECT COALESCE(SUM(available), 0) AS a, COALESCE(SUM(capacity), 0) AS c FROM ga_stripes WHERE inv_id = ?",
        [invId],
      );
      const s = (st as Array<{ a: number; c: number }>)[0]!;
      if (Number((r as Array<{ n: number }>)[0]!.n) === 0 && Number(s.a) === Number(s.c)) break;
      assert.ok(Date.now() < deadline, "the sweeper expired every hold and returned every GA place within 20 s");
      await sleep(200);
    }
    const [expired] = await db.pool.query("SELECT COUNT(*) AS n FROM holds WHERE inv_id = ? AND state = 'EXPIRED'", [
      invId,
    ]);
    assert.equal(Number((expired as Array<{ n: number }>)[0]!.n), granted.size, "each hold EXPIRED");
    const now = clock.date();
    await assertInvariants(db, invId, now);
    const rows = await fromRows(now);
    assert.deepEqual(
      rows.map((s) => [s.available, s.held]),
      [
        [100, 0],
        [100, 0],
        [100, 0],
      ],
    );
    await availabilityAgrees(rows);
    process.stdout.write(
      `      every place back on sale ${((Date.now() - jumped) / 1000).toFixed(1)} s after the TTL (race ${(raceMs / 1000).toFixed(1)} s)\n`,
    );
  });
});
