import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { fromBinary } from "@bufbuild/protobuf";
import { pino } from "pino";
import { modules } from "../../cmd/modules.js";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { startTestProcess } from "../support/process.js";
import { rawRequest } from "../support/raw-http.js";
import { newUsersConfig, type TestUser, Users, usersEnv } from "../support/users.js";
import { type Caller, type Fixture, type Json, type Row, rows } from "./contract-validation-cases.js";

type Proc = Awaited<ReturnType<typeof startTestProcess>>;

interface Answer {
  code: string;
  /** The whole HTTP response body, in bytes. */
  bytes: number;
  violations: Array<{ field: string; reason: string; description: string }>;
}

/**
 * One call over Connect/JSON on HTTP/1.1, with no RPC library in between: unary as plain JSON,
 * server streams enveloped (application/connect+json). Returns the Connect code and the decoded
 * google.rpc.BadRequest violations.
 */
async function call(baseUrl: string, row: Row, body: Json, token: string | undefined): Promise<Answer> {
  const stream = row.method.methodKind === "server_streaming";
  const json = Buffer.from(JSON.stringify(body));
  const envelope = Buffer.alloc(5);
  envelope.writeUInt32BE(json.length, 1);
  const res = await rawRequest(baseUrl, {
    httpVersion: "1.1",
    path: `/${row.method.parent.typeName}/${row.method.name}`,
    headers: {
      "content-type": stream ? "application/connect+json" : "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: stream ? Buffer.concat([envelope, json]) : json,
  });
  let error: { code?: string; details?: Array<{ type: string; value: string }> } | undefined;
  if (stream) {
    for (let at = 0; at + 5 <= res.body.length; ) {
      const size = res.body.readUInt32BE(at + 1);
      if ((res.body[at]! & 0x02) !== 0) error = JSON.parse(res.body.subarray(at + 5, at + 5 + size).toString()).error;
      at += 5 + size;
    }
  } else if (res.status !== 200) {
    error = JSON.parse(res.body.toString());
  }
  const violations = (error?.details ?? [])
    .filter((d) => d.type === "google.rpc.BadRequest")
    .flatMap((d) => fromBinary(BadRequestSchema, Buffer.from(d.value, "base64")).fieldViolations);
  return { code: error?.code ?? "ok", bytes: res.body.length, violations };
}

/**
 * Counts the statements each database receives, from mysql2's diagnostics channels (every query of
 * every pool in this process), leaving out the outbox relay's background sweeps.
 */
function statementCounter() {
  const counts = new Map<string, number>();
  const onStart = (msg: unknown) => {
    const { database, query } = msg as { database: string; query: string };
    if (/outbox|GET_LOCK|RELEASE_LOCK/i.test(query)) return;
    counts.set(database, (counts.get(database) ?? 0) + 1);
  };
  const channels = ["tracing:mysql2:query:start", "tracing:mysql2:execute:start"];
  for (const c of channels) subscribe(c, onStart);
  return {
    of: (database: string) => counts.get(database) ?? 0,
    stop: () => {
      for (const c of channels) unsubscribe(c, onStart);
    },
  };
}

describe("contract validation through the one port: every public request message over Connect/JSON", function () {
  this.timeout(60_000);
  const cfg = newUsersConfig();
  const logLines: string[] = [];
  let proc: Proc;
  let users: Record<Exclude<Caller, "anonymous">, TestUser>;
  let fixture: Fixture;
  const counter = statementCounter();
  /**
   * Databases the handlers of a service would touch; ticket and payment have none yet, and
   * notification's own sender and consumers query its database in the background all the time.
   */
  const databases = (row: Row) =>
    ["auth", "event"]
      .filter((s) => row.method.parent.typeName.startsWith(`boxoffice.${s}.`))
      .map((s) => `${proc.prefix}_${s}`);

  before(async () => {
    proc = await startTestProcess({
      echo: false,
      env: usersEnv(cfg),
      logger: pino({ level: "info" }, { write: (line: string) => void logLines.push(line) }),
    });
    const u = new Users(proc.baseUrl, cfg);
    users = {
      customer: await u.customer("validate"),
      organizer: await u.organizer("validate"),
      admin: await u.admin(),
    };
    const email = `fixture-${randomUUID().slice(0, 8)}@example.com`;
    const password = `pw-${randomUUID()}`;
    await u.auth.register({ requestId: randomUUID(), email, password, displayName: "Fixture" });
    const { tokens } = await u.auth.login({ email, password });
    fixture = { email, password, refreshToken: tokens!.refreshToken };
  });
  after(async () => {
    counter.stop();
    await proc?.stop();
  });

  it("has a row for every RPC of every public service", () => {
    const table = new Set(rows({ email: "", password: "", refreshToken: "" }).map((r) => r.method));
    const missing = Object.values(modules)
      .flatMap((m) => m.contracts)
      .filter((c) => !c.desc.typeName.endsWith("InternalService"))
      .flatMap((c) => c.desc.methods)
      .filter((m) => !table.has(m))
      .map((m) => `${m.parent.typeName}/${m.name}`);
    assert.deepEqual(missing, []);
  });

  it("answers each valid request past validation, and each violating one INVALID_ARGUMENT naming the field and rule, before any handler or database", async () => {
    const reached = new Map<string, number>();
    for (const row of rows(fixture)) {
      const name = `${row.method.parent.name}.${row.method.name}`;
      const token = row.as === "anonymous" ? undefined : await users[row.as].token();
      const dbs = databases(row);
      const before = dbs.map((d) => counter.of(d));
      const valid = await call(proc.baseUrl, row, row.valid, token);
      assert.equal(valid.code, row.answers, `${name}, valid request: ${JSON.stringify(valid.violations)}`);
      dbs.forEach((d, i) => void reached.set(d, (reached.get(d) ?? 0) + counter.of(d) - before[i]!));
      for (const bad of row.violating) {
        const what = `${name}, ${bad.kind} (${bad.field})`;
        // Other services work in the background (ticket's EventPublished consumer reads the event
        // database through GetEventLayout after a valid CreateEvent/PublishEvent), so a window can
        // see their statements: a violating request must leave some window untouched, of three.
        let at = dbs.map((d) => counter.of(d));
        let answer = await call(proc.baseUrl, row, bad.body, token);
        for (let attempt = 1; attempt < 3 && dbs.some((d, i) => counter.of(d) !== at[i]); attempt++) {
          await new Promise((r) => setTimeout(r, 200));
          at = dbs.map((d) => counter.of(d));
          answer = await call(proc.baseUrl, row, bad.body, token);
        }
        assert.equal(answer.code, "invalid_argument", what);
        assert.ok(
          answer.violations.some((x) => x.field === bad.field && x.reason === bad.rule),
          `${what}: expected ${bad.field} ${bad.rule}, got ${JSON.stringify(answer.violations)}`,
        );
        assert.deepEqual(
          dbs.map((d) => counter.of(d)),
          at,
          `${what}: no statement reached the database`,
        );
      }
    }
    // The counter sees what the valid requests did: a zero above is a measurement, not a blind spot.
    for (const s of ["auth", "event"]) assert.ok((reached.get(`${proc.prefix}_${s}`) ?? 0) > 0, `${s} queried`);
  });

  it("refuses a 300 KB event_id with a short answer and short log lines, and a 400-character city before MariaDB", async () => {
    const row = rows(fixture).find((r) => r.method.name === "GetEvent")!;
    const long = "e".repeat(300 * 1024);
    const answer = await call(proc.baseUrl, row, { eventId: long }, undefined);
    assert.equal(answer.code, "invalid_argument");
    assert.deepEqual(
      answer.violations.map((x) => [x.field, x.reason]),
      [["event_id", "string.uuid"]],
    );
    assert.ok(answer.bytes < 2048, `error body of ${answer.bytes} bytes`);
    const longest = Math.max(...logLines.map((l) => l.length));
    assert.ok(longest < 2048, `longest log line ${longest} characters`);

    const venue = rows(fixture).find((r) => r.method.name === "CreateVenue")!;
    const city = await call(
      proc.baseUrl,
      venue,
      { ...venue.valid, venue: { ...(venue.valid.venue as Json), city: "c".repeat(400) } },
      await users.organizer.token(),
    );
    assert.equal(city.code, "invalid_argument");
    assert.deepEqual(
      city.violations.map((x) => [x.field, x.reason, x.description]),
      [["venue.city", "string.max_len", "must be at most 100 characters"]],
    );
  });
});
