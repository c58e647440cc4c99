import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { EchoRequestSchema, EchoResponseSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { commandBed, rid, WidgetMade } from "../../test/support/command-bed.js";
import { infraUrls } from "../../test/support/infra.js";
import { countStatements } from "../../test/support/statements.js";
import { ManualClock } from "../clock/index.js";
import { createDb, type Db, withTransaction } from "../db/index.js";
import { DomainError, FailedPreconditionError } from "../errors/index.js";
import { servicePrincipal, userPrincipal } from "../principal/index.js";
import { IdempotencyStore } from "./idempotency.js";
import { type CommandDeps, CommandPipeline, command } from "./index.js";

/**
 * The command pipeline on real MariaDB: AIP-155 idempotency (insert-then-act), outbox events in
 * the change's transaction, after-commit work, deadlock retries, and joining a consumer's
 * transaction. The change is one `widgets` row; `afterCount` counts the command's `after` runs.
 */
describe("command pipeline (real MariaDB)", () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const bed = commandBed(clock, [
    "CREATE TABLE widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL)",
  ]);
  const alice = userPrincipal("alice", ["CUSTOMER"]);
  let afterCount = 0;
  let failNext: Error | undefined;
  type Deps = CommandDeps;
  const deps = (): Deps => ({ commands: bed.commands });

  /** The use-case: one widget, slow enough that duplicates overlap; an event; an after-commit hook. */
  const widgetCommand = (name: string) =>
    command({
      name,
      input: EchoRequestSchema,
      output: EchoResponseSchema,
      requestId: (req) => req.requestId,
      async execute(_d: Deps, w, req) {
        await w.tx.execute(sql`INSERT INTO widgets (name) VALUES (${req.message})`);
        if (req.delayMs > 0) await w.tx.execute(sql`DO SLEEP(${req.delayMs / 1000})`);
        const [rows] = (await w.tx.execute(sql`SELECT LAST_INSERT_ID() AS id`)) as unknown as [Array<{ id: number }>];
        await w.emit({
          type: WidgetMade,
          payload: { message: req.message },
          aggregate: { type: "widget", id: String(rows[0]?.id), version: 1 },
        });
        if (failNext !== undefined) {
          const e = failNext;
          failNext = undefined;
          throw e;
        }
        return { message: `widget ${rows[0]?.id} (${Math.random()})` };
      },
      after: () => void afterCount++,
    });
  const makeWidget = widgetCommand("cmdtest.MakeWidget");
  const widget = (message: string, requestId: string, delayMs = 0) =>
    create(EchoRequestSchema, { message, requestId, delayMs });
  const widgets = (name: string) => bed.count("SELECT COUNT(*) AS n FROM widgets WHERE name = ?", name);
  const events = (name: string) =>
    bed.count(
      "SELECT COUNT(*) AS n FROM outbox_events WHERE event_type = ? AND envelope LIKE ?",
      WidgetMade.schema.typeName,
      `%${name}%`,
    );

  it("the same request_id 20 times at once: one effect, one event, 20 identical results", async () => {
    const req = widget("twenty", rid(), 50);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => bed.commands.run(makeWidget, deps(), alice, req)),
    );
    assert.equal(await widgets("twenty"), 1, "exactly one widget");
    assert.equal(await events("twenty"), 1, "exactly one event");
    assert.equal(new Set(results.map((r) => r.result.message)).size, 1, "one result for all");
    assert.equal(results.filter((r) => !r.replayed).length, 1, "one original, 19 replays");
  });

  it("a later repeat gets the first result, and the command's after-commit work runs again", async () => {
    const req = widget("later", rid());
    const before = afterCount;
    const first = await makeWidget(deps(), alice, req);
    const again = await bed.commands.run(makeWidget, deps(), alice, req);
    assert.deepEqual([again.replayed, again.result.message], [true, first.message]);
    assert.equal(await widgets("later"), 1);
    assert.equal(afterCount - before, 2, "after() on the first run and on the replay");
  });

  it("the same request_id with a different request → FAILED_PRECONDITION, no effect", async () => {
    const id = rid();
    await makeWidget(deps(), alice, widget("original", id));
    await assert.rejects(
      makeWidget(deps(), alice, widget("something else", id)),
      (e: unknown) => e instanceof DomainError && e.reason === "REQUEST_ID_REUSED",
    );
    assert.equal(await widgets("something else"), 0);
  });

  it("scopes records by caller and command: the same id from another caller or command is new", async () => {
    const id = rid();
    const otherCommand = widgetCommand("cmdtest.MakeAnotherWidget");
    const asAlice = await bed.commands.run(makeWidget, deps(), alice, widget("scoped", id));
    const asBob = await bed.commands.run(makeWidget, deps(), userPrincipal("bob"), widget("scoped", id));
    const asService = await bed.commands.run(makeWidget, deps(), servicePrincipal("ticket"), widget("scoped", id));
    const anonymous = await bed.commands.run(makeWidget, deps(), undefined, widget("scoped", id));
    const otherCommandAsAlice = await bed.commands.run(otherCommand, deps(), alice, widget("scoped", id));
    const all = [asAlice, asBob, asService, anonymous, otherCommandAsAlice];
    assert.deepEqual(
      all.map((r) => r.replayed),
      [false, false, false, false, false],
    );
    assert.equal(await widgets("scoped"), 5);
    assert.equal(await bed.count("SELECT COUNT(*) AS n FROM idempotency_records WHERE request_id = ?", id), 5);
  });

  it("request ids compare case-sensitively: abcDEF12 and ABCdef12 are two requests", async () => {
    const tag = rid().slice(0, 8);
    const lower = `abcDEF12-${tag}`;
    const upper = `ABCdef12-${tag}`;
    const first = await bed.commands.run(makeWidget, deps(), alice, widget("cased one", lower));
    const second = await bed.commands.run(makeWidget, deps(), alice, widget("cased two", upper));
    assert.deepEqual([first.replayed, second.replayed], [false, false], "neither is a repeat of the other");
    assert.notEqual(first.result.message, second.result.message);
    assert.equal(await widgets("cased one"), 1);
    assert.equal(await widgets("cased two"), 1, "not REQUEST_ID_REUSED: a different id");
    const again = await bed.commands.run(makeWidget, deps(), alice, widget("cased two", upper));
    assert.ok(again.replayed, "the same spelling is a repeat");
    assert.equal(again.result.message, second.result.message);
  });

  it("stores the request hash keyed by the server's secret, never a plain SHA-256 of the request", async () => {
    const id = rid();
    const req = widget("secret-bearing", id);
    await makeWidget(deps(), alice, req);
    const [rows] = await bed.db.pool.query("SELECT request_hash FROM idempotency_records WHERE request_id = ?", [id]);
    const stored = (rows as Array<{ request_hash: Buffer }>)[0]!.request_hash;
    const body = toBinary(EchoRequestSchema, req);
    assert.notDeepEqual(stored, createHash("sha256").update(body).digest(), "not guessable offline");
    assert.deepEqual(stored, createHmac("sha256", bed.requestHashKey).update(body).digest());
  });

  it("a failed attempt leaves no record, no event and runs no hook: the retry acts", async () => {
    const req = widget("flaky", rid());
    const before = { after: afterCount, wakes: bed.wakes };
    failNext = new Error("the provider timed out");
    await assert.rejects(makeWidget(deps(), alice, req), /timed out/);
    assert.deepEqual([await widgets("flaky"), await events("flaky")], [0, 0], "rolled back with the record");
    assert.deepEqual([afterCount, bed.wakes], [before.after, before.wakes], "nothing ran after a rollback");
    const ok = await bed.commands.run(makeWidget, deps(), alice, req);
    assert.deepEqual([ok.replayed, await widgets("flaky"), await events("flaky")], [false, 1, 1]);
    assert.equal(bed.wakes, before.wakes + 1, "the relay was woken once, after the commit");
  });

  it("a deadlock re-runs the whole change: only the committed attempt's rows, events and hooks count", async () => {
    const req = widget("deadlocked", rid());
    failNext = Object.assign(new Error("Deadlock found when trying to get lock"), { errno: 1213 });
    const wakes = bed.wakes;
    const r = await bed.commands.run(makeWidget, deps(), alice, req);
    assert.deepEqual([r.replayed, await widgets("deadlocked"), await events("deadlocked")], [false, 1, 1]);
    assert.equal(bed.wakes, wakes + 1);
  });

  it("refuses a missing or malformed request_id before doing anything", async () => {
    for (const [id, reason] of [
      ["", "REQUIRED"],
      ["short", "INVALID_FORMAT"],
      ["x".repeat(65), "INVALID_FORMAT"],
    ]) {
      await assert.rejects(makeWidget(deps(), alice, widget("no id", id!)), (e: unknown) => {
        assert.ok(e instanceof DomainError);
        assert.deepEqual(
          e.violations.map((v) => [v.field, v.reason]),
          [["request_id", reason]],
        );
        return true;
      });
    }
    assert.equal(await widgets("no id"), 0);
  });

  it("refuses events the service did not declare, and commits nothing", async () => {
    const undeclared = command({
      name: "cmdtest.Undeclared",
      input: EchoRequestSchema,
      output: EchoResponseSchema,
      requestId: (req) => req.requestId,
      async execute(_d: Deps, w, req) {
        await w.tx.execute(sql`INSERT INTO widgets (name) VALUES (${req.message})`);
        await w.emit({ type: { ...WidgetMade }, payload: {}, aggregate: { type: "widget", id: "1", version: 1 } });
        return {};
      },
    });
    await assert.rejects(undeclared(deps(), alice, widget("undeclared", rid())), /does not declare/);
    assert.equal(await widgets("undeclared"), 0);
  });

  it("after-commit hooks see the committed change; prepare runs before the transaction", async () => {
    const seen: string[] = [];
    const hooked = command({
      name: "cmdtest.Hooked",
      input: EchoRequestSchema,
      output: EchoResponseSchema,
      requestId: (req) => req.requestId,
      prepare: (_d: Deps, principal, req) => {
        seen.push(`prepare ${principal?.kind}`);
        return req.message.toUpperCase();
      },
      async execute(_d: Deps, w, req, upper) {
        await w.tx.execute(sql`INSERT INTO widgets (name) VALUES (${upper})`);
        w.afterCommit(async () => {
          seen.push(`after commit: ${await widgets(upper)} visible`);
        });
        seen.push("execute");
        return { message: req.message };
      },
    });
    await hooked(deps(), alice, widget("hooked", rid()));
    assert.deepEqual(seen, ["prepare user", "execute", "after commit: 1 visible"]);
  });

  it("joins a consumer's transaction: record and change commit or roll back with it", async () => {
    const req = widget("joined", rid());
    await assert.rejects(
      withTransaction(bed.db, async (tx) => {
        await makeWidget(deps(), servicePrincipal("ticket"), req, {
          within: bed.commands.scope(tx, servicePrincipal("ticket")),
        });
        throw new Error("the consumer failed after the command");
      }),
      /consumer failed/,
    );
    assert.equal(await widgets("joined"), 0, "rolled back with the outer transaction");
    const afterBefore = afterCount;
    const first = await withTransaction(bed.db, (tx) =>
      bed.commands.run(makeWidget, deps(), servicePrincipal("ticket"), req, {
        within: bed.commands.scope(tx, servicePrincipal("ticket")),
      }),
    );
    assert.equal(afterCount, afterBefore + 1, "after() ran once the outer transaction committed");
    const again = await withTransaction(bed.db, (tx) =>
      bed.commands.run(makeWidget, deps(), servicePrincipal("ticket"), req, {
        within: bed.commands.scope(tx, servicePrincipal("ticket")),
      }),
    );
    assert.deepEqual([first.replayed, again.replayed, again.result.message], [false, true, first.result.message]);
    assert.equal(await widgets("joined"), 1);
  });

  it("a command without request ids keeps no record and acts every time", async () => {
    const plain = command({
      name: "cmdtest.Plain",
      input: EchoRequestSchema,
      output: EchoResponseSchema,
      async execute(_d: Deps, w, req) {
        await w.tx.execute(sql`INSERT INTO widgets (name) VALUES (${req.message})`);
        return { message: req.message };
      },
    });
    const req = widget("plain", "");
    const runs = [await bed.commands.run(plain, deps(), alice, req), await bed.commands.run(plain, deps(), alice, req)];
    assert.deepEqual(
      runs.map((r) => r.replayed),
      [false, false],
    );
    assert.equal(await widgets("plain"), 2);
  });

  it("prunes records past their retention, and only those", async () => {
    const old = widget("old", rid());
    await makeWidget(deps(), alice, old);
    clock.advance(bed.retentionMs + 1000);
    const fresh = widget("new", rid());
    await makeWidget(deps(), alice, fresh);
    let pruned = 0;
    for (let n = await bed.store.prune(2); n > 0; n = await bed.store.prune(2)) pruned += n;
    assert.ok(pruned >= 1);
    assert.equal(
      (await bed.commands.run(makeWidget, deps(), alice, fresh)).replayed,
      true,
      "the fresh record survived",
    );
    assert.equal((await bed.commands.run(makeWidget, deps(), alice, old)).replayed, false, "the old id is new again");
  });
});

describe("command pipeline: copies of one request under a small pool (real MariaDB)", () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const bed = commandBed(
    clock,
    ["CREATE TABLE slow_widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL)"],
    {
      poolSize: 2,
    },
  );
  const alice = userPrincipal("alice", ["CUSTOMER"]);
  const slow = command({
    name: "cmdtest.MakeSlowWidget",
    input: EchoRequestSchema,
    output: EchoResponseSchema,
    requestId: (req) => req.requestId,
    async execute(_d: CommandDeps, w, req) {
      await w.tx.execute(sql`INSERT INTO slow_widgets (name) VALUES (${req.message})`);
      if (req.delayMs > 0) await w.tx.execute(sql`DO SLEEP(${req.delayMs / 1000})`);
      return { message: `${req.message} ${Math.random()}` };
    },
  });
  const deps = (): CommandDeps => ({ commands: bed.commands });

  it("copies wait in memory for the first, not on pool connections: another request is served meanwhile", async () => {
    const req = create(EchoRequestSchema, { message: "copied", requestId: rid(), delayMs: 2_000 });
    const copies = Array.from({ length: 10 }, () => bed.commands.run(slow, deps(), alice, req));
    await new Promise((r) => setTimeout(r, 200)); // the first holds one connection, inside its transaction
    const t0 = Date.now();
    await bed.commands.run(slow, deps(), alice, create(EchoRequestSchema, { message: "other", requestId: rid() }));
    const otherMs = Date.now() - t0;
    const results = await Promise.all(copies);
    // Before: a copy took the second connection and waited on the first's record lock (~2 s), the
    // rest queued for the pool, and so did the other request.
    assert.ok(otherMs < 1_000, `the other request waited ${otherMs} ms for a connection`);
    assert.equal(await bed.count("SELECT COUNT(*) AS n FROM slow_widgets WHERE name = 'copied'"), 1);
    assert.equal(new Set(results.map((r) => r.result.message)).size, 1, "one answer for every copy");
    assert.equal(results.filter((r) => !r.replayed).length, 1, "one original, nine replays");
  });
});

describe("command pipeline: copies of a refused request (real MariaDB)", () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const bed = commandBed(clock, [], { poolSize: 4 });
  const alice = userPrincipal("alice", ["CUSTOMER"]);
  let inFlight = 0;
  let most = 0;
  let runs = 0;
  const refusing = command({
    name: "cmdtest.AlwaysRefused",
    input: EchoRequestSchema,
    output: EchoResponseSchema,
    requestId: (req) => req.requestId,
    // as HoldSeats: no record first, so copies would meet only on the change's own locks
    recordAtEnd: true,
    async execute(_d: CommandDeps, w, req): Promise<{ message: string }> {
      runs++;
      most = Math.max(most, ++inFlight);
      try {
        await w.tx.execute(sql`DO SLEEP(${req.delayMs / 1000})`);
      } finally {
        inFlight--;
      }
      throw new FailedPreconditionError("SOLD_OUT", "nothing left");
    },
  });

  it("copies waiting for a first run that refuses get its refusal: none acts", async () => {
    // a refusal records nothing; when each copy then acted, they all met on the change's first lock
    const req = create(EchoRequestSchema, { message: "refused", requestId: rid(), delayMs: 100 });
    const copies = await Promise.allSettled(
      Array.from({ length: 5 }, () => bed.commands.run(refusing, { commands: bed.commands }, alice, req)),
    );
    assert.deepEqual(
      copies.map((c) => c.status === "rejected" && (c.reason as FailedPreconditionError).reason),
      Array(5).fill("SOLD_OUT"),
    );
    assert.equal(most, 1, "at most one copy in its transaction at a time");
    assert.equal(runs, 1, "the change ran once");
    // a later retry (not a copy in flight) acts again
    await assert.rejects(bed.commands.run(refusing, { commands: bed.commands }, alice, req));
    assert.equal(runs, 2);
  });
});

/**
 * Two "instances" (two pipelines, each with its own pool, on one database) and commands whose record
 * is written once, at the end (`recordAtEnd`), beside the same commands with the record first. Each
 * change first locks a row keyed by the request's message, as HoldSeats locks the buyer row, so a
 * copy running on the other instance waits there.
 */
describe("command pipeline: copies on two instances, and the record at the end (real MariaDB)", () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const bed = commandBed(clock, [
    "CREATE TABLE race_keys (k VARCHAR(100) PRIMARY KEY, n INT NOT NULL)",
    "CREATE TABLE race_widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL)",
  ]);
  const alice = userPrincipal("alice", ["CUSTOMER"]);
  let other: { db: Db; commands: CommandPipeline };
  before(async () => {
    const [rows] = await bed.db.pool.query("SELECT DATABASE() AS d");
    const database = (rows as Array<{ d: string }>)[0]!.d;
    const db = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 5 });
    const idempotency = new IdempotencyStore(db, clock, bed.retentionMs);
    other = {
      db,
      commands: new CommandPipeline({ service: "cmdtest", db, clock, idempotency, requestHashKey: bed.requestHashKey }),
    };
  });
  after(() => other.db.close());
  const on = (commands: CommandPipeline): CommandDeps => ({ commands });
  /** Runs of a change (committed or rolled back). */
  let changes = 0;

  /**
   * The change: lock the request's key row, make one widget (or, `unique`, refuse when the widget
   * already exists: a repeat of a made widget then refuses, as a re-hold of held seats would).
   */
  const raceCommand = (name: string, recordAtEnd: boolean, unique: boolean) =>
    command({
      name,
      input: EchoRequestSchema,
      output: EchoResponseSchema,
      requestId: (req) => req.requestId,
      recordAtEnd,
      async execute(_d: CommandDeps, w, req) {
        changes++;
        await w.tx.execute(
          sql`INSERT INTO race_keys (k, n) VALUES (${req.message}, 1) ON DUPLICATE KEY UPDATE n = n + 1`,
        );
        if (unique) {
          const [found] = (await w.tx.execute(
            sql`SELECT COUNT(*) AS n FROM race_widgets WHERE name = ${req.message}`,
          )) as unknown as [Array<{ n: number }>];
          if (Number(found[0]?.n) > 0) throw new FailedPreconditionError("WIDGET_EXISTS", `${req.message} exists`);
        }
        await w.tx.execute(sql`INSERT INTO race_widgets (name) VALUES (${req.message})`);
        if (req.delayMs > 0) await w.tx.execute(sql`DO SLEEP(${req.delayMs / 1000})`);
        return { message: `${req.message} ${Math.random()}` };
      },
    });
  const modes = [
    { mode: "record first", cmd: raceCommand("cmdtest.RaceFirst", false, false) },
    { mode: "record at the end", cmd: raceCommand("cmdtest.RaceAtEnd", true, false) },
    { mode: "record at the end, a repeat refuses", cmd: raceCommand("cmdtest.RaceAtEndUnique", true, true) },
  ];
  const made = (name: string) => bed.count("SELECT COUNT(*) AS n FROM race_widgets WHERE name = ?", name);
  const records = (id: string) => bed.count("SELECT COUNT(*) AS n FROM idempotency_records WHERE request_id = ?", id);
  const echo = (message: string, requestId: string, delayMs = 0) =>
    create(EchoRequestSchema, { message, requestId, delayMs });

  for (const { mode, cmd } of modes) {
    it(`${mode}: one request on two instances at once (and twice on one): one effect, one answer`, async () => {
      for (let round = 0; round < 6; round++) {
        const req = echo(`race ${mode} ${round}`, rid(), round % 2 === 0 ? 30 : 0);
        const runs = await Promise.all([
          bed.commands.run(cmd, on(bed.commands), alice, req),
          other.commands.run(cmd, on(other.commands), alice, req),
          other.commands.run(cmd, on(other.commands), alice, req),
        ]);
        assert.equal(await made(req.message), 1, `${req.message}: exactly one widget`);
        assert.equal(new Set(runs.map((r) => r.result.message)).size, 1, `${req.message}: one answer for all`);
        assert.equal(runs.filter((r) => !r.replayed).length, 1, `${req.message}: one original, two replays`);
        assert.equal(await records(req.requestId), 1);
      }
    });
  }

  const atEnd = modes[1]!.cmd;
  const atEndUnique = modes[2]!.cmd;

  it("record at the end: a later repeat replays the first answer (its change refused or was rolled back)", async () => {
    for (const cmd of [atEnd, atEndUnique]) {
      const req = echo(`repeat ${cmd.definition.name}`, rid());
      const first = await bed.commands.run(cmd, on(bed.commands), alice, req);
      const again = await other.commands.run(cmd, on(other.commands), alice, req);
      assert.deepEqual([first.replayed, again.replayed, again.result.message], [false, true, first.result.message]);
      assert.equal(await made(req.message), 1, "the repeat's change was rolled back");
    }
  });

  it("record at the end: copies waiting in memory on one instance replay the record without running the change", async () => {
    const req = echo("copies at the end", rid(), 100);
    const before = changes;
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => bed.commands.run(atEnd, on(bed.commands), alice, req)),
    );
    assert.equal(changes - before, 1, "the change ran once");
    assert.equal(new Set(runs.map((r) => r.result.message)).size, 1);
    assert.equal(runs.filter((r) => r.replayed).length, 7);
  });

  it("record at the end: the same request_id with a different request → REQUEST_ID_REUSED, no effect", async () => {
    const id = rid();
    await atEnd(on(bed.commands), alice, echo("reused original", id));
    await assert.rejects(
      atEnd(on(other.commands), alice, echo("reused other", id)),
      (e: unknown) => e instanceof DomainError && e.reason === "REQUEST_ID_REUSED",
    );
    assert.equal(await made("reused other"), 0);
  });

  it("record at the end: a refusal records nothing, and a retry of it acts", async () => {
    await atEndUnique(on(bed.commands), alice, echo("taken", rid()));
    const id = rid();
    await assert.rejects(
      atEndUnique(on(bed.commands), alice, echo("taken", id)),
      (e: unknown) => e instanceof DomainError && e.reason === "WIDGET_EXISTS",
    );
    assert.equal(await records(id), 0, "no record of a refusal");
    await bed.db.pool.query("DELETE FROM race_widgets WHERE name = 'taken'");
    const retry = await bed.commands.run(atEndUnique, on(bed.commands), alice, echo("taken", id));
    assert.equal(retry.replayed, false);
    assert.equal(await made("taken"), 1);
  });

  it("record at the end: one statement fewer per call than the record first", async () => {
    // counted at the driver on this bed's database, not by the server's global counter: other test
    // files run at the same time (mocha --parallel) and their statements would count too
    const statements = async (cmd: typeof atEnd) => {
      const counted = countStatements(({ database }) => database === bed.db.name);
      try {
        for (let i = 0; i < 10; i++) await bed.commands.run(cmd, on(bed.commands), alice, echo(`counted ${i}`, rid()));
        return counted.count();
      } finally {
        counted.stop();
      }
    };
    const first = await statements(modes[0]!.cmd);
    const last = await statements(atEnd);
    // BEGIN, record, key row, widget, answer, COMMIT against BEGIN, key row, widget, record, COMMIT
    assert.equal(first - last, 10, `${first} vs ${last} statements for 10 calls`);
  });
});
