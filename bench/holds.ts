/**
 * The hold scenarios of `make bench` (issue 12), through the one port with gRPC and 64 buyers at
 * once, each beside two ceilings measured in the same run with the same client and concurrency:
 * the minimal connect-node server's empty RPC, and the raw rate of a single-statement conditional
 * seat claim (`UPDATE … WHERE seat is free`, autocommit) on the same MariaDB (at the buyers'
 * connection count and at the ticket service's pool size; the higher is the ceiling). Then the
 * oversold count from the rows, refusals against grants, and 2,000 WatchAvailability watchers
 * (another process) while holds run: the hold rate's drop and the memory per watcher.
 *
 * Buyers: access tokens minted with the stack's signing key (bench/run.ts gives it to auth), so
 * each hold of the uncontended, GA and best-available scenarios comes from a buyer new to that
 * event (no previous hold to release); the hot-event scenario has 64 buyers who keep re-holding
 * (each new hold releases the buyer's previous one, so the section stays contended).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type CallOptions, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createPool, type Pool } from "mysql2/promise";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";
import type { SectionSchema } from "../gen/boxoffice/event/v1/venue_pb.js";
import type { HoldItemSchema } from "../gen/boxoffice/ticket/v1/hold_pb.js";
import { TicketService } from "../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { type SigningKey, signAccessToken } from "../platform/auth/index.js";
import { Health } from "../platform/health/index.js";
import { type LoadResult, measure } from "./load.js";
import { cpuSeconds } from "./processes.js";
import { startWatchers } from "./support/watchers.js";

type SectionInit = MessageInitShape<typeof SectionSchema>;
type ItemInit = MessageInitShape<typeof HoldItemSchema>;

export interface HoldBenchOptions {
  /** The platform's one port, its admin port and its process id (RSS). */
  baseUrl: string;
  pid: number;
  /** The minimal connect-node server's h2c URL (the empty-RPC ceiling, driven by the same client). */
  minimalH2: string;
  /** The admin's call options (venues and events). */
  asAdmin: CallOptions;
  /** The stack's signing key (private JWK): buyers' tokens are minted with it. */
  signingKey: SigningKey["privateJwk"];
  /** MariaDB server URL and the ticket service's database (raw ceiling, oversold check). */
  mariadbUrl: string;
  ticketDatabase: string;
  /** The ticket service's pool size (BOXOFFICE_DB_POOL_SIZE). */
  servicePool: number;
  seconds: number;
  smoke: boolean;
  watchers: number;
  log: (line: string) => void;
}

export interface HoldBenchResult {
  lines: string[];
  errors: number;
  /** Holds/s of one GA place per buyer-event pair (the purchase bench prints its own next to it). */
  gaRate: number;
}

const CONCURRENCY = 64;
const DAY = 86_400_000;

const grid = (name: string, rows: number, perRow: number): SectionInit => ({
  name,
  kind: {
    case: "reservedSeating",
    value: {
      rows: Array.from({ length: rows }, (_, r) => ({
        label: String(r + 1),
        seats: Array.from({ length: perRow }, (_, s) => ({ label: String(s + 1) })),
      })),
    },
  },
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};
const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const ratio = (x: number, of: number) => (of > 0 ? `${((x / of) * 100).toFixed(1)}%` : "-");

/** Grants and refusals of one closed-loop run, timed apart. */
interface Split {
  all: LoadResult;
  granted: number[];
  refused: number[];
  /** Refusals that were not a clean FAILED_PRECONDITION / RESOURCE_EXHAUSTED. */
  bad: number;
  /** UNAVAILABLE answers (the server shedding load). */
  shed: number;
  firstBad?: string;
  /** The platform process's CPU time per call (user + system, /proc), ms. */
  cpuMs: number;
  /** Statements MariaDB received per call (its global Questions counter: every client). */
  statements: number;
  /** Row lock waits InnoDB counted during the run (every client). */
  lockWaits: number;
}

export async function benchHolds(o: HoldBenchOptions): Promise<HoldBenchResult> {
  const transport = createGrpcTransport({ baseUrl: o.baseUrl });
  const events = createClient(EventService, transport);
  const ticket = createClient(TicketService, transport);
  const ms = o.seconds * 1000;
  const status = mariadbPool(o, 1);
  const lines: string[] = [];
  let errors = 0;

  // buyers: `perWorker` per caller, each new to every event (tokens minted, then verified once by a
  // warm-up call, so the measured holds find them in the server's verified-token cache)
  const perWorker = o.smoke ? 3 : 100;
  o.log(`bench: holds: minting ${CONCURRENCY * perWorker} buyer tokens`);
  const buyers: CallOptions[][] = [];
  for (let w = 0; w < CONCURRENCY; w++) buyers.push(await mint(o, perWorker));
  const health = createClient(Health, transport);
  await Promise.all(
    buyers.map(async (mine) => {
      for (const b of mine) await health.check({}, b);
    }),
  );

  /** An event on sale now with `sections`; resolves once the ticket service sells it. */
  const publish = async (name: string, sections: SectionInit[]) => {
    const { venue } = await events.createVenue(
      {
        requestId: randomUUID(),
        venue: { name, addressLine: "Rua 3", city: "Braga", countryCode: "PT", timeZone: "Europe/Lisbon", sections },
      },
      { ...o.asAdmin, timeoutMs: 60_000 },
    );
    const now = Date.now();
    const { event } = await events.createEvent(
      {
        requestId: randomUUID(),
        event: {
          venueId: venue!.id,
          name,
          startTime: timestampFromMs(now + 30 * DAY),
          endTime: timestampFromMs(now + 30 * DAY + 3 * 3600_000),
          salesStartTime: timestampFromMs(now - 1000),
          salesEndTime: timestampFromMs(now + 30 * DAY),
          maxTicketsPerOrder: 10,
          priceTiers: venue!.sections.map((s) => ({
            sectionId: s.id,
            price: { currencyCode: "EUR", amountMinor: 5000n },
          })),
        },
      },
      o.asAdmin,
    );
    await events.publishEvent({ requestId: randomUUID(), eventId: event!.id }, o.asAdmin);
    const until = Date.now() + 60_000;
    for (;;) {
      try {
        await ticket.getAvailability({ eventId: event!.id });
        return { eventId: event!.id, sections: venue!.sections.map((s) => s.id) };
      } catch (e) {
        if (ConnectError.from(e).code !== Code.NotFound || Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  // the buyer a worker's i-th hold comes from: new to the event until the worker runs out (then
  // its holds replace that buyer's earlier one; counted as re-holds)
  let reholds = 0;
  const fresh = (w: number, i: number) => {
    if (i >= perWorker) reholds++;
    return buyers[w]![i % perWorker]!;
  };
  const hold = (eventId: string, items: ItemInit[], as: CallOptions) =>
    ticket.holdSeats({ requestId: randomUUID(), eventId, items }, as);

  /** A closed loop whose refusals are timed apart from its grants. */
  const split = async (fn: (w: number, i: number) => Promise<unknown>, durationMs = ms): Promise<Split> => {
    const granted: number[] = [];
    const refused: number[] = [];
    let bad = 0;
    let shed = 0;
    let firstBad: string | undefined;
    const cpu0 = cpuSeconds(o.pid);
    const q0 = await questions(status);
    const w0 = await statusValue(status, "Innodb_row_lock_waits");
    const all = await measure(CONCURRENCY, durationMs, async (w, i) => {
      const t = performance.now();
      try {
        await fn(w, i);
        granted.push(performance.now() - t);
      } catch (e) {
        const c = ConnectError.from(e);
        if (c.code === Code.FailedPrecondition || c.code === Code.ResourceExhausted) {
          refused.push(performance.now() - t);
          return;
        }
        // shed by an overloaded server (no database connection free in time): counted apart, so
        // a neighbour's burst on a shared box does not read as a broken hold path
        if (c.code === Code.Unavailable) {
          shed++;
          return;
        }
        bad++;
        firstBad ??= `${Code[c.code]}: ${c.rawMessage}`;
        throw e;
      }
    });
    const calls = granted.length + refused.length + bad + shed;
    const perCall = (x: number) => (calls > 0 ? x / calls : Number.NaN);
    return {
      all,
      granted,
      refused,
      bad,
      shed,
      firstBad,
      cpuMs: perCall((cpuSeconds(o.pid) - cpu0) * 1000),
      // minus the status reads themselves
      statements: perCall((await questions(status)) - q0 - 3),
      lockWaits: (await statusValue(status, "Innodb_row_lock_waits")) - w0,
    };
  };

  o.log("bench: holds: publishing the events");
  const rowsPer = o.smoke ? 20 : 100; // rows of 100 seats per section
  const specificEv = await publish("Bench specific", [grid("A", rowsPer, 100), grid("B", rowsPer, 100)]);
  const hotEv = await publish("Bench hot", [grid("Hot", 8, 20)]);
  const gaEv = await publish("Bench GA", [
    { name: "Field", kind: { case: "generalAdmission", value: { capacity: 200_000 } } },
  ]);
  const gaWatchedEv = await publish("Bench GA watched", [
    { name: "Field", kind: { case: "generalAdmission", value: { capacity: 200_000 } } },
  ]);
  const bestEv = await publish("Bench best", [grid("Stalls", 2 * rowsPer, 100)]);

  // ceiling 1: the minimal connect-node empty RPC, same client and callers
  const minimalHealth = createClient(Health, createGrpcTransport({ baseUrl: o.minimalH2 }));
  await measure(CONCURRENCY, Math.min(ms, 1000), () => minimalHealth.check({}));
  const emptyRpc = await measure(CONCURRENCY, ms, () => minimalHealth.check({}));

  // ceiling 2: single-statement conditional claims, autocommit, a different seat each time, on a
  // copy of the ticket service's seats table (same engine, row shape and indexes) on the same server
  const raw = await rawClaims(o, ms);

  // 1. specific seats, uncontended: 2 adjacent seats nobody else wants, a new buyer each time
  o.log("bench: holds: specific seats, uncontended");
  let nextPair = 0;
  const specific = await split((w, i) => {
    const perSection = rowsPer * 50;
    const k = nextPair++ % (2 * perSection);
    const sec = specificEv.sections[Math.floor(k / perSection)]!;
    const row = String(Math.floor((k % perSection) / 50) + 1);
    const p = (k % 50) * 2 + 1;
    return hold(
      specificEv.eventId,
      [
        { kind: { case: "seat", value: { sectionId: sec, rowLabel: row, seatLabel: String(p) } } },
        { kind: { case: "seat", value: { sectionId: sec, rowLabel: row, seatLabel: String(p + 1) } } },
      ],
      fresh(w, i),
    );
  });

  // 2. one hot event: 64 buyers re-holding 2 random adjacent seats of a 160-seat section
  o.log("bench: holds: specific seats, one hot event");
  const hot = await split((w) => {
    const row = String(1 + Math.floor(Math.random() * 8));
    const p = 1 + Math.floor(Math.random() * 19);
    return hold(
      hotEv.eventId,
      [
        { kind: { case: "seat", value: { sectionId: hotEv.sections[0]!, rowLabel: row, seatLabel: String(p) } } },
        { kind: { case: "seat", value: { sectionId: hotEv.sections[0]!, rowLabel: row, seatLabel: String(p + 1) } } },
      ],
      buyers[w]![0]!,
    );
  });

  // 2b. refusal against grant without queueing: one caller, new buyers, alternating a grant (a
  //     pair nobody holds) and a refusal (the pair granted just before, still held)
  o.log("bench: holds: refusal vs grant, one caller");
  const oneGrant: number[] = [];
  const oneRefusal: number[] = [];
  let oneBad = 0;
  const probe = await mint(o, o.smoke ? 20 : 300);
  for (const b of probe) await health.check({}, b);
  const pairAt = (k: number): ItemInit[] => {
    const perSection = rowsPer * 50;
    const sec = specificEv.sections[Math.floor(k / perSection) % 2]!;
    const row = String(Math.floor((k % perSection) / 50) + 1);
    const p = (k % 50) * 2 + 1;
    return [
      { kind: { case: "seat", value: { sectionId: sec, rowLabel: row, seatLabel: String(p) } } },
      { kind: { case: "seat", value: { sectionId: sec, rowLabel: row, seatLabel: String(p + 1) } } },
    ];
  };
  // in batches of 5 (grants, then refusals of the same pairs), the server's CPU read around each
  // batch: /proc counts in 10 ms ticks, so a batch, not a call, is the unit
  const oneEnd = performance.now() + ms;
  const oneCpu = { grant: 0, refusal: 0 };
  const oneStatements = { grant: 0, refusal: 0 };
  let i = 0;
  while (i + 10 <= probe.length && performance.now() < oneEnd && nextPair + 5 <= 2 * rowsPer * 50) {
    const pairs = Array.from({ length: 5 }, () => nextPair++);
    for (const refuse of [false, true]) {
      const q0 = await questions(status);
      const cpu0 = cpuSeconds(o.pid);
      for (const k of pairs) {
        const t = performance.now();
        try {
          await hold(specificEv.eventId, pairAt(k), probe[i++]!);
          if (refuse) oneBad++;
          else oneGrant.push(performance.now() - t);
        } catch (e) {
          if (refuse && ConnectError.from(e).code === Code.FailedPrecondition) oneRefusal.push(performance.now() - t);
          else oneBad++;
        }
      }
      oneCpu[refuse ? "refusal" : "grant"] += cpuSeconds(o.pid) - cpu0;
      // minus the status read itself (the second one counts itself)
      oneStatements[refuse ? "refusal" : "grant"] += (await questions(status)) - q0 - 1;
    }
  }

  // 3. GA, one hot section, 2 places, a new buyer each time
  o.log("bench: holds: GA, one hot section");
  const gaItems = (sectionId: string): ItemInit[] => [
    { kind: { case: "generalAdmission", value: { sectionId, quantity: 2 } } },
  ];
  const ga = await split((w, i) => hold(gaEv.eventId, gaItems(gaEv.sections[0]!), fresh(w, i)));

  // 4. best available, 2 seats of one 20,000-seat section, a new buyer each time
  o.log("bench: holds: best available");
  const best = await split((w, i) =>
    hold(
      bestEv.eventId,
      [{ kind: { case: "bestAvailable", value: { sectionId: bestEv.sections[0]!, quantity: 2 } } }],
      fresh(w, i),
    ),
  );

  // 5. the same GA load on another event while `watchers` watch it from another process; and the
  // watchers' cost apart from the holds': the server's CPU under a light, paced hold load (one
  // caller, up to 20 holds/s: a new version of the map at every refresh, so every stream gets a
  // message per interval) without the watchers (before and after) and with them
  const pacedBuyers = await mint(o, o.smoke ? 30 : 3 * 20 * o.seconds + 30);
  for (const b of pacedBuyers) await health.check({}, b);
  let pacedNext = 0;
  const paced = async (received?: () => Promise<number>) => {
    const m0 = (await received?.()) ?? 0;
    const cpu0 = cpuSeconds(o.pid);
    const t0 = performance.now();
    let holds = 0;
    while (performance.now() - t0 < ms && pacedNext < pacedBuyers.length) {
      await hold(gaWatchedEv.eventId, gaItems(gaWatchedEv.sections[0]!), pacedBuyers[pacedNext++]!);
      holds++;
      const wait = t0 + holds * 50 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const secs = (performance.now() - t0) / 1000;
    return {
      cpuMs: (cpuSeconds(o.pid) - cpu0) * 1000,
      holds,
      secs,
      messages: ((await received?.()) ?? m0) - m0,
    };
  };
  const pacedBefore = await paced();
  // interleaved (shown beside the target, not judged): with the watchers connected, short slices
  // alternate GA holds on the watched event (every stream gets its changes) and on the unwatched
  // one (the same streams stay silent), each buyer new to its event, so the box's drift between
  // runs moves both sides alike; the two events' own costs still differ (docs/ticket.md)
  const sliceMs = o.smoke ? 250 : 1500;
  const slices = o.smoke ? 2 : 2 * Math.max(2, Math.round(ms / sliceMs));
  const perSlicer = o.smoke ? 5 : Math.ceil((slices * sliceMs) / 1000) * 6;
  const sliceBuyers: CallOptions[][] = [];
  for (let w = 0; w < CONCURRENCY; w++) sliceBuyers.push(await mint(o, perSlicer));
  await Promise.all(sliceBuyers.map(async (mine) => Promise.all(mine.map((b) => health.check({}, b)))));
  const sliceCursor = new Array<number>(CONCURRENCY).fill(0);
  let sliceReholds = 0;
  const sliceBuyer = (w: number) => {
    const k = sliceCursor[w]!++;
    if (k >= perSlicer) sliceReholds++;
    return sliceBuyers[w]![k % perSlicer]!;
  };
  const interleaved = { watched: [] as Split[], quiet: [] as Split[] };
  o.log(`bench: holds: ${o.watchers} watchers`);
  const rssBefore = rssBytes(o.pid);
  const watchers = await startWatchers({
    baseUrl: o.baseUrl,
    eventId: gaWatchedEv.eventId,
    count: o.watchers,
    connections: Math.max(1, Math.ceil(o.watchers / 100)),
  });
  let pacedWith: Awaited<ReturnType<typeof paced>>;
  let watched: Split;
  let rssWith: number;
  let seen: { messages: number; errors: number; ended: number };
  // the watchers' process shares this box's cores with the server: its CPU is reported beside
  let watcherCpu: number;
  try {
    rssWith = rssBytes(o.pid);
    const cpu0 = cpuSeconds(watchers.pid);
    const t0 = performance.now();
    watched = await split((w, i) => hold(gaWatchedEv.eventId, gaItems(gaWatchedEv.sections[0]!), fresh(w, i)));
    watcherCpu = (cpuSeconds(watchers.pid) - cpu0) / ((performance.now() - t0) / 1000);
    pacedWith = await paced(watchers.received);
    for (let k = 0; k < slices; k++) {
      const ev = k % 2 === 0 ? gaWatchedEv : gaEv;
      const slice = await split((w) => hold(ev.eventId, gaItems(ev.sections[0]!), sliceBuyer(w)), sliceMs);
      interleaved[k % 2 === 0 ? "watched" : "quiet"].push(slice);
    }
  } finally {
    seen = await watchers.stop();
  }
  const pacedAfter = await paced();
  // the server's CPU per paced hold without watchers (before and after), and what the same holds
  // cost with them: the rest is the watchers'
  const perHold = (pacedBefore.cpuMs + pacedAfter.cpuMs) / Math.max(1, pacedBefore.holds + pacedAfter.holds);
  const watcherCpuMs = pacedWith.cpuMs - pacedWith.holds * perHold;
  const perMessageUs = (watcherCpuMs * 1000) / Math.max(1, pacedWith.messages);
  // the baseline again right after, so a neighbour's burst during one of them shows
  const gaAfter = await split((w, i) => hold(gaEv.eventId, gaItems(gaEv.sections[0]!), fresh(w, i)));

  const rawAfter = await rawClaims(o, ms);
  const oversold = await oversoldCount();
  await status.end();

  // ---- report
  const ceiling = Math.max(
    (raw.buyers.perSec + rawAfter.buyers.perSec) / 2,
    (raw.pool.perSec + rawAfter.pool.perSec) / 2,
  );
  const row = (name: string, s: Split, note = "") => {
    const rate = s.granted.length / o.seconds;
    return (
      `  ${name.padEnd(44)} ${f0(rate).padStart(7)}/s  p50 ${f1(pct(s.granted, 0.5)).padStart(6)}  p99 ${f1(pct(s.granted, 0.99)).padStart(7)} ms` +
      `  ${ratio(rate, ceiling).padStart(6)} of raw  ${ratio(rate, emptyRpc.perSec).padStart(6)} of empty RPC` +
      `  ${f1(s.cpuMs)} ms CPU, ${f1(s.statements)} statements per call, ${s.lockWaits} lock waits` +
      (s.refused.length > 0 ? `  (+${f0(s.refused.length / o.seconds)} refused/s)` : "") +
      (s.shed > 0 ? `  (${s.shed} shed: UNAVAILABLE)` : "") +
      (s.bad > 0 ? `  ${s.bad} ERRORS (${s.firstBad})` : "") +
      note
    );
  };
  const rate = (s: Split) => s.granted.length / o.seconds;
  const sideRate = (xs: Split[]) => xs.reduce((a, x) => a + x.granted.length, 0) / ((xs.length * sliceMs) / 1000);
  const sideCpu = (xs: Split[]) => {
    const calls = xs.reduce((a, x) => a + x.granted.length + x.refused.length + x.bad + x.shed, 0);
    return (
      xs.reduce((a, x) => a + x.cpuMs * (x.granted.length + x.refused.length + x.bad + x.shed), 0) / Math.max(1, calls)
    );
  };
  for (const s of [specific, hot, ga, best, watched, gaAfter, ...interleaved.watched, ...interleaved.quiet])
    errors += s.all.errors; // bad refusals included
  errors += oneBad;
  lines.push(
    `Holds through the one port (gRPC, in-process Node client, ${CONCURRENCY} buyers, ${o.seconds} s each; ticket pool ${o.servicePool} connections)`,
    `  ceiling: minimal connect-node empty RPC        ${f0(emptyRpc.perSec).padStart(7)}/s  p50 ${f1(emptyRpc.p50Ms).padStart(6)}  p99 ${f1(emptyRpc.p99Ms).padStart(7)} ms  (same client)`,
    `  ceiling: raw conditional seat UPDATE, autocommit ${f0(raw.buyers.perSec)}/s → ${f0(rawAfter.buyers.perSec)}/s at ${CONCURRENCY} connections, ` +
      `${f0(raw.pool.perSec)}/s → ${f0(rawAfter.pool.perSec)}/s at ${o.servicePool} (before → after the holds; ceiling ${f0(ceiling)}/s)`,
    `  (the empty RPC itself is ${ratio(emptyRpc.perSec, ceiling)} of the raw claim rate on this box)`,
    row("specific seats (2), uncontended", specific),
    row("specific seats (2), 64 buyers on one hot event", hot),
    row("GA (2), one hot section", ga),
    row(`best available (2), one ${2 * rowsPer * 100}-seat section`, best),
    `  refusals vs grants (hot event): refused p50 ${f1(pct(hot.refused, 0.5))} / p99 ${f1(pct(hot.refused, 0.99))} ms, ` +
      `granted p50 ${f1(pct(hot.granted, 0.5))} / p99 ${f1(pct(hot.granted, 0.99))} ms (${hot.refused.length} refused, ${hot.granted.length} granted)`,
    `  refusals vs grants, one caller at a time (no queueing): refused p50 ${f1(pct(oneRefusal, 0.5))} / p99 ${f1(pct(oneRefusal, 0.99))} ms, ` +
      `granted p50 ${f1(pct(oneGrant, 0.5))} / p99 ${f1(pct(oneGrant, 0.99))} ms (${oneRefusal.length} refused, ${oneGrant.length} granted${oneBad > 0 ? `, ${oneBad} UNEXPECTED` : ""}); ` +
      `server CPU per refusal ${f1((oneCpu.refusal * 1000) / Math.max(1, oneRefusal.length))} ms, per grant ${f1((oneCpu.grant * 1000) / Math.max(1, oneGrant.length))} ms; ` +
      `statements per refusal ${f1(oneStatements.refusal / Math.max(1, oneRefusal.length))}, per grant ${f1(oneStatements.grant / Math.max(1, oneGrant.length))}`,
    `  oversold (from the rows after the run): ${oversold.seats} seats in two live holds, ${oversold.ga} GA sections over capacity, ${oversold.negative} negative stripes`,
    `  buyers: ${CONCURRENCY} × ${perWorker} minted tokens; ${reholds} holds replaced the buyer's earlier hold (ran out of new buyers)`,
    "",
    `Watchers: ${o.watchers} WatchAvailability streams (section counts) from another process, on the GA event being held`,
    row("GA (2) while watched", watched),
    row("GA (2) unwatched, right after", gaAfter),
    `  hold rate with watchers vs without (mean of before/after): ${ratio(rate(watched), (rate(ga) + rate(gaAfter)) / 2)}; ` +
      `RSS ${f1(rssBefore / 2 ** 20)} → ${f1(rssWith / 2 ** 20)} MiB = ${f1((rssWith - rssBefore) / o.watchers / 1024)} KiB per watcher; ` +
      `${seen.messages} messages received, ${seen.errors} stream errors, ${seen.ended} streams ended early; ` +
      `the watchers' process used ${f0(watcherCpu * 1000)} ms of CPU per second while the holds ran`,
    `  paced holds (one caller, up to 20/s): server CPU per hold without watchers ${f1(perHold)} ms ` +
      `(${f1(pacedBefore.holds / pacedBefore.secs)}/s before, ${f1(pacedAfter.holds / pacedAfter.secs)}/s after); with them ` +
      `${f0(pacedWith.cpuMs / pacedWith.secs)} ms/s for ${f1(pacedWith.holds / pacedWith.secs)} holds/s and ` +
      `${f0(pacedWith.messages / pacedWith.secs)} messages/s → ${f0(watcherCpuMs / pacedWith.secs)} ms/s for the watchers = ` +
      `${f0(perMessageUs)} µs of server CPU per watcher message`,
    `  interleaved (${slices} slices of ${sliceMs} ms, watchers connected throughout): watched event ${f0(sideRate(interleaved.watched))}/s ` +
      `(${f1(sideCpu(interleaved.watched))} ms CPU per hold), unwatched event ${f0(sideRate(interleaved.quiet))}/s ` +
      `(${f1(sideCpu(interleaved.quiet))} ms CPU per hold) = ${ratio(sideRate(interleaved.watched), sideRate(interleaved.quiet))}` +
      (sliceReholds > 0 ? `; ${sliceReholds} re-holds (ran out of new buyers)` : ""),
    "",
  );
  if (seen.errors > 0) errors += seen.errors;
  if (oversold.seats + oversold.ga + oversold.negative > 0) errors++;
  const drop = 1 - rate(watched) / ((rate(ga) + rate(gaAfter)) / 2);
  const interleavedDrop = 1 - sideRate(interleaved.watched) / sideRate(interleaved.quiet);
  const targets: Array<[string, boolean, string]> = [
    [
      "specific seats uncontended ≥ 25 % of the raw claim rate",
      rate(specific) >= 0.25 * ceiling,
      ratio(rate(specific), ceiling),
    ],
    ["GA on one hot section ≥ 25 % of the raw claim rate", rate(ga) >= 0.25 * ceiling, ratio(rate(ga), ceiling)],
    [
      "best available ≥ 50 % of the specific-seat rate",
      rate(best) >= 0.5 * rate(specific),
      ratio(rate(best), rate(specific)),
    ],
    ...(
      [
        ["specific uncontended", specific],
        ["specific hot event", hot],
        ["GA", ga],
        ["best available", best],
      ] as Array<[string, Split]>
    ).map(([n, s]): [string, boolean, string] => [
      `p99 at 64 buyers ≤ 50 ms: ${n}`,
      pct(s.granted, 0.99) <= 50,
      `${f1(pct(s.granted, 0.99))} ms`,
    ]),
    [
      "a refusal no slower than a grant (p50, one caller)",
      oneRefusal.length > 0 && pct(oneRefusal, 0.5) <= pct(oneGrant, 0.5),
      `${f1(pct(oneRefusal, 0.5))} vs ${f1(pct(oneGrant, 0.5))} ms`,
    ],
    [
      "a refusal no slower than a grant (p50, 64 buyers on the hot event)",
      hot.refused.length > 0 && pct(hot.refused, 0.5) <= pct(hot.granted, 0.5),
      `${f1(pct(hot.refused, 0.5))} vs ${f1(pct(hot.granted, 0.5))} ms`,
    ],
    [
      "oversold = 0",
      oversold.seats + oversold.ga + oversold.negative === 0,
      String(oversold.seats + oversold.ga + oversold.negative),
    ],
    [
      `hold throughput drop with ${o.watchers} watchers < 15 %`,
      drop < 0.15,
      `${(drop * 100).toFixed(1)}% (interleaved slices: ${(interleavedDrop * 100).toFixed(1)}%)`,
    ],
  ];
  lines.push(
    `Hold targets (issue 12; this run${o.smoke ? ", SMOKE: not judged" : ""}):`,
    ...targets.map(([label, ok, detail]) => `  ${ok ? "met    " : "NOT met"}  ${label.padEnd(60)} ${detail}`),
  );
  return { lines, errors, gaRate: rate(ga) };
}

/** Call options of `n` new buyers (CUSTOMER tokens signed with the stack's key). */
async function mint(o: HoldBenchOptions, n: number): Promise<CallOptions[]> {
  const out: CallOptions[] = [];
  for (let i = 0; i < n; i++) {
    const token = await signAccessToken({
      key: o.signingKey,
      issuer: "boxoffice-auth",
      ttlSeconds: 7200,
      subject: randomUUID(),
      roles: ["CUSTOMER"],
    });
    out.push({ headers: { authorization: `Bearer ${token}` } });
  }
  return out;
}

/** Resident memory of a process (Linux /proc), bytes. */
function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A pool on the ticket service's database (the bench's own connections). */
function mariadbPool(o: HoldBenchOptions, size: number): Pool {
  const u = new URL(o.mariadbUrl);
  return createPool({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    database: o.ticketDatabase,
    timezone: "Z",
    connectionLimit: size,
  });
}

/** MariaDB's count of statements received from every client so far. */
function questions(pool: Pool): Promise<number> {
  return statusValue(pool, "Questions");
}

/** A global status counter of MariaDB. */
async function statusValue(pool: Pool, name: string): Promise<number> {
  const [r] = await pool.query("SHOW GLOBAL STATUS LIKE ?", [name]);
  return Number((r as Array<{ Value: string }>)[0]?.Value ?? Number.NaN);
}

let rawTable: { pool64: Pool; poolN: Pool; next: number; size: number } | undefined;

/**
 * The raw ceiling: `UPDATE … SET hold_id, taken_until WHERE inv_id AND seat_no AND (free)` in
 * autocommit, a different seat each time, at 64 connections and at the service's pool size.
 */
async function rawClaims(o: HoldBenchOptions, ms: number): Promise<{ buyers: LoadResult; pool: LoadResult }> {
  const size = o.smoke ? 20_000 : 400_000;
  if (rawTable === undefined) {
    const pool64 = mariadbPool(o, CONCURRENCY);
    const poolN = mariadbPool(o, o.servicePool);
    await pool64.query("DROP TABLE IF EXISTS bench_raw_seats");
    await pool64.query("CREATE TABLE bench_raw_seats LIKE seats");
    await pool64.query(
      `INSERT INTO bench_raw_seats (inv_id, seat_no, section_no, row_no, pos, row_label, seat_label, row_length, gap_before, \`accessible\`)
       SELECT 1, seq, 0, seq DIV 100, seq MOD 100, CAST(seq DIV 100 AS CHAR), CAST(seq MOD 100 AS CHAR), 100, 0, 0 FROM seq_0_to_${size - 1}`,
    );
    rawTable = { pool64, poolN, next: 0, size };
  }
  const t = rawTable;
  const claim = (pool: Pool) => () => {
    const at = new Date();
    return pool.query(
      "UPDATE bench_raw_seats SET hold_id = ?, taken_until = ? WHERE inv_id = 1 AND seat_no = ? AND (taken_until IS NULL OR taken_until <= ?)",
      [randomUUID(), new Date(at.getTime() + 600_000), t.next++ % t.size, at],
    );
  };
  await measure(CONCURRENCY, Math.min(ms, 500), claim(t.pool64));
  const buyers = await measure(CONCURRENCY, ms, claim(t.pool64));
  const pool = await measure(CONCURRENCY, ms, claim(t.poolN));
  return { buyers, pool };
}

/** Live places counted from the ticket service's rows: seats in two live holds, GA over capacity. */
async function oversoldCount(): Promise<{ seats: number; ga: number; negative: number }> {
  const t = rawTable!;
  const n = async (q: string) => Number(((await t.pool64.query(q))[0] as Array<{ n: number }>)[0]?.n ?? 0);
  const seats = await n(
    `SELECT COUNT(*) AS n FROM (SELECT hs.inv_id, hs.seat_no FROM hold_seats hs JOIN holds h ON h.id = hs.hold_id
     WHERE h.state = 'CONVERTED' OR (h.state = 'ACTIVE' AND h.expire_time > UTC_TIMESTAMP(3))
     GROUP BY hs.inv_id, hs.seat_no HAVING COUNT(*) > 1) d`,
  );
  // per GA section: places in live hold items + places on the stripes + freed places not yet back
  // on a stripe must equal the capacity; more would be an oversale
  const ga = await n(
    `SELECT COUNT(*) AS n FROM inventory_sections s
     WHERE s.kind = 'GA' AND s.capacity <
       (SELECT COALESCE(SUM(available), 0) FROM ga_stripes g WHERE g.inv_id = s.inv_id AND g.section_no = s.section_no)
       + (SELECT COALESCE(SUM(quantity - returned), 0) FROM hold_ga_items i
          WHERE i.inv_id = s.inv_id AND i.section_no = s.section_no AND i.taken_until IS NOT NULL)`,
  );
  const negative = await n("SELECT COUNT(*) AS n FROM ga_stripes WHERE available < 0");
  await t.pool64.end();
  await t.poolN.end();
  rawTable = undefined;
  return { seats, ga, negative };
}
