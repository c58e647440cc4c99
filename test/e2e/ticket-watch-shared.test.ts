import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { type ClientHttp2Session, type ClientHttp2Stream, connect as http2Connect } from "node:http2";
import { fromBinary, fromJsonString, toBinary } from "@bufbuild/protobuf";
import {
  TicketService,
  type WatchAvailabilityResponse,
  WatchAvailabilityResponseSchema,
} from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { sleep } from "../../platform/clock/index.js";
import { sharedFrameCounts } from "../../platform/rpc/shared-stream.js";
import {
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

const path = `/${TicketService.typeName}/WatchAvailability`;

/** One WatchAvailability stream on raw HTTP/2: every enveloped frame as it came, flags and bytes. */
class RawWatch {
  readonly frames: Array<{ flags: number; data: Buffer }> = [];
  readonly #req: ClientHttp2Stream;
  #buf = Buffer.alloc(0);

  constructor(
    session: ClientHttp2Session,
    readonly contentType: string,
    eventId: string,
    opts: { stuck?: boolean; includeSeats?: boolean } = {},
  ) {
    const json = contentType.endsWith("+json");
    const body = json
      ? Buffer.from(JSON.stringify({ eventId, includeSeats: opts.includeSeats ?? false }))
      : Buffer.from([0x0a, eventId.length, ...Buffer.from(eventId), ...(opts.includeSeats ? [0x10, 1] : [])]);
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    this.#req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": contentType,
      ...(contentType.startsWith("application/grpc") ? { te: "trailers" } : { "connect-protocol-version": "1" }),
    });
    this.#req.on("error", () => undefined);
    this.#req.end(frame);
    if (opts.stuck) {
      this.#req.pause(); // never read: the server's writes back up (a stuck tab)
      return;
    }
    this.#req.on("data", (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      while (this.#buf.length >= 5 && this.#buf.length >= 5 + this.#buf.readUInt32BE(1)) {
        const len = this.#buf.readUInt32BE(1);
        this.frames.push({ flags: this.#buf[0]!, data: this.#buf.subarray(5, 5 + len) });
        this.#buf = this.#buf.subarray(5 + len);
      }
    });
  }

  decode(i: number): WatchAvailabilityResponse {
    const f = this.frames[i]!;
    return this.contentType.endsWith("+json")
      ? fromJsonString(WatchAvailabilityResponseSchema, f.data.toString())
      : fromBinary(WatchAvailabilityResponseSchema, f.data);
  }

  close(): void {
    this.#req.close();
  }
}

/**
 * WatchAvailability's shared path (platform/rpc/shared-stream.ts): many streams of one event and
 * view, over gRPC, gRPC-Web, Connect (binary and JSON, HTTP/2 and HTTP/1.1), get one change
 * encoded and framed once per format and written to each as the same bytes — frames that decode,
 * and that are what connect itself writes (the canonical encoding, flags 0) — while streams that
 * never read hold up none of them.
 */
describe("ticket: WatchAvailability's shared frames", function () {
  this.timeout(120_000);
  let proc: Proc;
  let mint: TokenMint;
  let ev: Published;
  let sessions: ClientHttp2Session[] = [];
  before(async () => {
    const stack = await stackEnv({ BOXOFFICE_TICKET_WATCH_INTERVAL_MS: "300" });
    mint = stack.mint;
    proc = await startTestProcess({ env: stack.env, echo: false });
    ev = await publishEvent(proc, mint, [ga("Standing", 500), grid("Arena", 40, 50)], { maxPerOrder: 6 });
  });
  after(async () => {
    for (const s of sessions) s.destroy();
    await proc?.stop();
  });

  it("40 streams get one change as the same bytes per format, decodable and as connect writes them; stuck streams block none", async () => {
    sessions = Array.from({ length: 4 }, () => {
      const s = http2Connect(proc.baseUrl);
      s.on("error", () => undefined);
      return s;
    });
    const types = [
      "application/grpc",
      "application/grpc+proto",
      "application/grpc-web+proto",
      "application/connect+proto",
      "application/connect+json",
      "application/grpc+json",
    ];
    const watches = Array.from(
      { length: 40 },
      (_, i) => new RawWatch(sessions[i % 3]!, types[i % types.length]!, ev.event.id),
    );
    // stuck: seat maps (large snapshots) on their own connection, never read
    const stuck = Array.from(
      { length: 10 },
      () => new RawWatch(sessions[3]!, "application/connect+json", ev.event.id, { stuck: true, includeSeats: true }),
    );
    // and Connect/JSON on HTTP/1.1 through the generated client
    const h1: WatchAvailabilityResponse[] = [];
    const h1Abort = new AbortController();
    const h1Done = (async () => {
      for await (const m of clientsOf(proc).tickets.watchAvailability(
        { eventId: ev.event.id },
        { signal: h1Abort.signal, timeoutMs: 60_000 },
      ))
        h1.push(m);
    })().catch(() => undefined);
    try {
      for (const deadline = Date.now() + 15_000; ; await sleep(50)) {
        if (watches.every((w) => w.frames.length >= 1) && h1.length >= 1) break;
        assert.ok(Date.now() < deadline, "every stream has its snapshot");
      }
      for (const w of watches) assert.equal(w.decode(0).update.case, "availability", "the snapshot first");
      await sleep(700); // past the interval: the change goes to every stream at the same tick
      // the server runs in this process: its count of frames made, before the change
      const framesBefore = { ...sharedFrameCounts };

      const holdGa = async (quantity: number) =>
        clientsOf(proc).grpc.holdSeats(
          {
            requestId: randomUUID(),
            eventId: ev.event.id,
            items: [{ kind: { case: "generalAdmission", value: { sectionId: ev.sections[0]!, quantity } } }],
          },
          await mint.as(),
        );
      const held = (n: number) => (m: WatchAvailabilityResponse) =>
        m.update.case === "change" &&
        m.update.value.sections.some((s) => s.sectionId === ev.sections[0] && s.held === n);
      const heldThree = held(3);
      const seenBy = async (match: (m: WatchAvailabilityResponse) => boolean, what: string) => {
        for (const deadline = Date.now() + 5_000; ; await sleep(50)) {
          const n = watches.filter((w) => w.frames.some((_, i) => i > 0 && match(w.decode(i)))).length;
          if (n === watches.length && h1.some(match)) return;
          assert.ok(Date.now() < deadline, `${what}: every stream within 5 s, stuck ones notwithstanding (${n} of 40)`);
        }
      };
      await holdGa(3);
      await seenBy(heldThree, "3 held");
      const changeAt = (w: RawWatch) => w.frames.findIndex((_, i) => i > 0 && heldThree(w.decode(i)));

      const binary = watches.filter((w) => !w.contentType.endsWith("+json"));
      const json = watches.filter((w) => w.contentType.endsWith("+json"));
      const frameBytes = (w: RawWatch) => w.frames[changeAt(w)]!;
      const one = frameBytes(binary[0]!);
      for (const w of binary) {
        const f = frameBytes(w);
        assert.equal(f.flags, 0, "a message frame: not compressed, not the end");
        assert.ok(f.data.equals(one.data), `${w.contentType}: the same bytes as every other binary stream`);
      }
      for (const w of json)
        assert.ok(frameBytes(w).data.equals(frameBytes(json[0]!).data), `${w.contentType}: same bytes`);
      // what connect writes: protobuf-es's encoding of the message (a decoded copy encodes the same)
      const decoded = binary[0]!.decode(changeAt(binary[0]!));
      assert.ok(Buffer.from(toBinary(WatchAvailabilityResponseSchema, decoded)).equals(one.data));
      assert.deepEqual(json[0]!.decode(changeAt(json[0]!)), decoded, "JSON and binary carry the same change");
      assert.deepEqual(h1.find(heldThree), decoded, "Connect/JSON over HTTP/1.1 too");
      // and framed once per format and message: the changes the streams got (one, or two when the
      // hold's refresh landed in two versions) against the frames the server made meanwhile
      const changes = new Set(binary.flatMap((w) => w.frames.slice(1).map((f) => f.data.toString("hex")))).size;
      assert.ok(changes <= 2, `${changes} distinct changes`);
      assert.ok(
        sharedFrameCounts.binary - framesBefore.binary <= changes &&
          sharedFrameCounts.json - framesBefore.json <= changes &&
          sharedFrameCounts.binary > framesBefore.binary,
        `one frame per format and change for ${watches.length + 1} streams ` +
          `(binary ${sharedFrameCounts.binary - framesBefore.binary}, json ${sharedFrameCounts.json - framesBefore.json})`,
      );
      // the streams go on together: the next change, an interval later, reaches every one of them
      await holdGa(2);
      await seenBy(held(5), "5 held");
    } finally {
      h1Abort.abort();
      await h1Done;
      for (const w of [...watches, ...stuck]) w.close();
    }
  });
});
