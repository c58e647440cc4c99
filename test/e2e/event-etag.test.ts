import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Event } from "../../gen/boxoffice/event/v1/event_pb.js";
import {
  EventService,
  GetEventRequestSchema,
  GetEventResponseSchema,
} from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { draftEvent } from "../support/catalog.js";
import { startTestProcess } from "../support/process.js";
import { rawRequest } from "../support/raw-http.js";
import { newUsersConfig, type TestUser, Users, usersEnv } from "../support/users.js";

/** A Connect GET of GetEvent, as a browser sends it (message in the query, no body). */
function getPath(eventId: string, encoding: "json" | "proto" = "json"): string {
  const message =
    encoding === "json"
      ? encodeURIComponent(JSON.stringify({ eventId }))
      : Buffer.from(toBinary(GetEventRequestSchema, { $typeName: GetEventRequestSchema.typeName, eventId })).toString(
          "base64url",
        );
  return `/boxoffice.event.v1.EventService/GetEvent?connect=v1&encoding=${encoding}${encoding === "proto" ? "&base64=1" : ""}&message=${message}`;
}

describe("GetEvent over Connect GET: ETag from the cache version, 304 while unchanged", function () {
  this.timeout(60_000);
  const cfg = newUsersConfig();
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  let events: Client<typeof EventService>;
  let org: TestUser;
  let other: TestUser;

  before(async () => {
    proc = await startTestProcess({ echo: false, env: usersEnv(cfg) });
    events = createClient(EventService, createGrpcTransport({ baseUrl: proc.baseUrl }));
    const users = new Users(proc.baseUrl, cfg);
    org = await users.organizer("etag-org");
    other = await users.organizer("etag-other");
  });
  after(() => proc?.stop());

  const draft = async (): Promise<Event> =>
    draftEvent(events, await org.auth(), {
      venueName: "ETag Hall",
      eventName: "Cached by the browser",
      capacity: 50,
      priceMinor: 2500n,
    });

  it("answers 304 while the event is unchanged, and 200 with the new version right after UpdateEvent's response", async () => {
    const auth = await org.auth();
    const published = (await events.publishEvent({ requestId: randomUUID(), eventId: (await draft()).id }, auth))
      .event!;
    const get = (headers: Record<string, string> = {}) =>
      rawRequest(proc.baseUrl, { httpVersion: "1.1", method: "GET", path: getPath(published.id), headers });

    const first = await get();
    assert.equal(first.status, 200);
    const etag = first.headers.etag;
    assert.match(etag ?? "", /^"[^"]+"$/, "a strong ETag");
    assert.equal(first.headers["cache-control"], "private, no-cache");
    const body = JSON.parse(first.body.toString()) as { event: { revision: string; name: string } };
    assert.equal(body.event.revision, String(published.revision));
    assert.deepEqual(
      body,
      toJson(GetEventResponseSchema, { $typeName: GetEventResponseSchema.typeName, event: published }),
    );

    for (let i = 0; i < 3; i++) {
      const again = await get({ "if-none-match": etag! });
      assert.equal(again.status, 304, "unchanged: the browser keeps its copy");
      assert.equal(again.body.length, 0);
      assert.equal(again.headers.etag, etag);
    }

    const { event: updated } = await events.updateEvent(
      { requestId: randomUUID(), event: { id: published.id, name: "Renamed" }, updateMask: { paths: ["name"] } },
      auth,
    );
    // right after the write's response: the old ETag no longer matches
    const after = await get({ "if-none-match": etag! });
    assert.equal(after.status, 200);
    assert.notEqual(after.headers.etag, etag);
    const fresh = JSON.parse(after.body.toString()) as { event: { revision: string; name: string } };
    assert.equal(fresh.event.name, "Renamed");
    assert.equal(fresh.event.revision, String(updated!.revision));
    assert.equal((await get({ "if-none-match": after.headers.etag! })).status, 304);
    // a list of validators, weak comparison (RFC 9110)
    assert.equal((await get({ "if-none-match": `"nope", W/${after.headers.etag!}` })).status, 304);
  });

  it("serves the same answer over Connect binary GET, Connect POST and gRPC", async () => {
    const auth = await org.auth();
    const e = (await events.publishEvent({ requestId: randomUUID(), eventId: (await draft()).id }, auth)).event!;
    const bin = await rawRequest(proc.baseUrl, { httpVersion: "2", method: "GET", path: getPath(e.id, "proto") });
    assert.equal(bin.status, 200);
    assert.equal(bin.headers["content-type"], "application/proto");
    assert.ok(bin.headers.etag);
    assert.equal(fromBinary(GetEventResponseSchema, bin.body).event?.revision, e.revision);
    const post = await rawRequest(proc.baseUrl, {
      httpVersion: "1.1",
      path: "/boxoffice.event.v1.EventService/GetEvent",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ eventId: e.id }),
    });
    assert.equal(post.status, 200);
    assert.equal(post.headers.etag, undefined, "validators only on GET");
    const viaGet = await rawRequest(proc.baseUrl, { httpVersion: "1.1", method: "GET", path: getPath(e.id) });
    assert.deepEqual(post.body, viaGet.body, "one encoding, byte for byte");
    assert.equal((await events.getEvent({ eventId: e.id })).event?.revision, e.revision);
  });

  it("a draft is answered only to its organiser, and another caller's If-None-Match gets 404, not 304", async () => {
    const d = await draft();
    const get = async (user: TestUser | undefined, headers: Record<string, string> = {}) =>
      rawRequest(proc.baseUrl, {
        httpVersion: "1.1",
        method: "GET",
        path: getPath(d.id),
        headers: { ...headers, ...(user ? { authorization: `Bearer ${await user.token()}` } : {}) },
      });
    const own = await get(org);
    assert.equal(own.status, 200);
    assert.equal((await get(org, { "if-none-match": own.headers.etag! })).status, 304);
    for (const stranger of [other, undefined]) {
      const res = await get(stranger, { "if-none-match": own.headers.etag! });
      assert.equal(res.status, 404);
      assert.equal(res.headers.etag, undefined);
    }
  });
});
