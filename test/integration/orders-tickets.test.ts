/**
 * Tickets after Checkout: who sees what (GetTicket, ListTickets, ListOrders, GetOrderTickets), the
 * sales summary, CheckIn at the door (once, from two gates at once, forged/foreign/malformed codes,
 * void tickets) and offline verification with only the published keys (`boxoffice ticket verify`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ticketCommand } from "../../cmd/ticket-verify.js";
import { OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { TicketState } from "../../gen/boxoffice/ticket/v1/ticket_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { generateSigningKey } from "../../platform/auth/index.js";
import { createLogger } from "../../platform/log/index.js";
import { loadTicketKeys, publicKeysOf, ticketKeysPath, verifyCode } from "../../services/ticket/orders/ticket-keys.js";
import { failure, reason, rejects, violationFields } from "../support/assert.js";
import { OrdersBed } from "../support/orders-bed.js";
import type { OpenedEvent } from "../support/orders-kit.js";
import type { TestUser } from "../support/users.js";

const program = fileURLToPath(new URL("../../cmd/boxoffice.ts", import.meta.url));

describe("tickets, check-in and offline verification (order half)", function () {
  this.timeout(60_000);
  const bed = new OrdersBed();
  let buyer: TestUser;
  let ev: OpenedEvent;
  let codes: string[];
  let ticketIds: string[];
  let orderId: string;

  before(async () => {
    await bed.start();
    buyer = await bed.users.customer("holder");
    ev = await bed.open();
    const order = await bed.buy(buyer, ev, { seats: ["1-1", "1-2", "1-3"], ga: 2 });
    ticketIds = [...order.ticketIds];
    orderId = order.id;
    const { tickets } = await bed.internal.getOrderTickets({ orderId: order.id }, await bed.serviceAuth());
    codes = tickets.map((t) => t.code);
  });
  after(() => bed.stop());

  const checkIn = async (who: TestUser, code: string, eventId = ev.eventId, requestId = randomUUID()) =>
    (await bed.ticket.checkIn({ requestId, eventId, code }, await who.auth())).ticket!;

  it("GetOrderTickets (notification) gives every ticket with its code; customers cannot call it", async () => {
    const { tickets } = await bed.internal.getOrderTickets(
      { orderId: (await bed.ticket.getTicket({ ticketId: ticketIds[0]! }, await buyer.auth())).ticket!.orderId },
      await bed.serviceAuth(),
    );
    assert.equal(tickets.length, 5);
    assert.ok(tickets.every((t) => t.code.length > 100 && t.state === TicketState.VALID));
    await rejects(
      bed.internal.getOrderTickets({ orderId: randomUUID() }, await bed.serviceAuth()),
      Code.NotFound,
      "unknown order",
    );
    await rejects(
      bed.internal.getOrderTickets({ orderId: randomUUID() }, await buyer.auth()),
      Code.PermissionDenied,
      "a customer",
    );
  });

  it("GetOrderTickets, GetTicket and ListTickets name each ticket's section as the layout did (section_name)", async () => {
    // layoutOf names reserved sections "Block <i>" and general admission "GA <i>"
    const named = new Map(ev.sections.map((s, i) => [s.id, s.kind === "ga" ? `GA ${i}` : `Block ${i}`]));
    const { tickets: ofOrder } = await bed.internal.getOrderTickets({ orderId }, await bed.serviceAuth());
    const { tickets: listed } = await bed.ticket.listTickets({ eventId: ev.eventId }, await buyer.auth());
    const one = (await bed.ticket.getTicket({ ticketId: ticketIds[0]! }, await buyer.auth())).ticket!;
    const all = [...ofOrder, ...listed, one];
    assert.equal(new Set(ofOrder.map((t) => t.sectionName)).size, 2, "a seat section and a GA area");
    for (const t of all) assert.equal(t.sectionName, named.get(t.sectionId), `ticket ${t.id} in ${t.sectionId}`);
  });

  it("GetTicket: the holder and admins see the code, the organiser sees it without, others nothing", async () => {
    const id = ticketIds[0]!;
    const mine = (await bed.ticket.getTicket({ ticketId: id }, await buyer.auth())).ticket!;
    assert.ok(mine.code !== "" && codes.includes(mine.code));
    const admin = await bed.users.admin();
    assert.equal((await bed.ticket.getTicket({ ticketId: id }, await admin.auth())).ticket!.code, mine.code);
    const seen = (await bed.ticket.getTicket({ ticketId: id }, await bed.organizer.auth())).ticket!;
    assert.equal(seen.code, "");
    assert.equal(seen.id, id);
    const stranger = await bed.users.customer("stranger");
    await rejects(bed.ticket.getTicket({ ticketId: id }, await stranger.auth()), Code.NotFound, "a stranger");
    const otherOrg = await bed.users.organizer("other-org");
    await rejects(bed.ticket.getTicket({ ticketId: id }, await otherOrg.auth()), Code.NotFound, "another organiser");
  });

  it("ListTickets pages the holder's tickets newest first; only admins list someone else's", async () => {
    const second = await bed.buy(buyer, ev, { seats: ["2-1"] });
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const r = await bed.ticket.listTickets({ pageSize: 2, pageToken }, await buyer.auth());
      seen.push(...r.tickets.map((t) => t.id));
      assert.ok(r.tickets.every((t) => t.code !== ""));
      pageToken = r.nextPageToken;
      pages++;
    } while (pageToken !== "");
    assert.equal(pages, 3);
    assert.deepEqual(new Set(seen), new Set([...ticketIds, ...second.ticketIds]));
    assert.equal(seen[0], second.ticketIds[0], "newest first");
    const admin = await bed.users.admin();
    const theirs = await bed.ticket.listTickets({ userId: buyer.id, eventId: ev.eventId }, await admin.auth());
    assert.equal(theirs.tickets.length, 6);
    await rejects(
      bed.ticket.listTickets({ userId: admin.id }, await buyer.auth()),
      Code.PermissionDenied,
      "a customer listing another user's tickets",
    );
  });

  it("ListOrders: one's own; the organiser every order of their event; admins all; filtered by state", async () => {
    const other = await bed.users.customer("other-buyer");
    const failed = await bed.checkout(other, await bed.hold(other, ev, { seats: ["3-1"] }), "sandbox_declined");
    const own = await bed.ticket.listOrders({}, await other.auth());
    assert.deepEqual(
      own.orders.map((o) => o.id),
      [failed.id],
    );
    const org = await bed.ticket.listOrders({ eventId: ev.eventId }, await bed.organizer.auth());
    assert.equal(org.orders.length, 3);
    const orgConfirmed = await bed.ticket.listOrders(
      { eventId: ev.eventId, states: [OrderState.CONFIRMED] },
      await bed.organizer.auth(),
    );
    assert.equal(orgConfirmed.orders.length, 2);
    const otherOrg = await bed.users.organizer("not-theirs");
    assert.equal((await bed.ticket.listOrders({ eventId: ev.eventId }, await otherOrg.auth())).orders.length, 0);
    const admin = await bed.users.admin();
    const all = await bed.ticket.listOrders({ pageSize: 1, eventId: ev.eventId }, await admin.auth());
    assert.equal(all.orders.length, 1);
    assert.notEqual(all.nextPageToken, "");
    const e = await rejects(
      bed.ticket.listOrders({ eventId: randomUUID(), pageToken: all.nextPageToken }, await admin.auth()),
      Code.InvalidArgument,
      "a page token with other filters",
    );
    assert.deepEqual(violationFields(e), ["page_token"]);
  });

  it("CheckIn admits a code once; a second scan says ALREADY_CHECKED_IN with the first scan's time", async () => {
    const first = await checkIn(bed.organizer, codes[0]!);
    assert.equal(first.state, TicketState.CHECKED_IN);
    assert.equal(first.code, "", "the organiser does not get the code back");
    const e = await rejects(checkIn(bed.organizer, codes[0]!), Code.FailedPrecondition, "second scan");
    assert.equal(reason(e), "ALREADY_CHECKED_IN");
    const info = e.findDetails(ErrorInfoSchema)[0]!;
    assert.equal(info.metadata.first_check_in_time, timestampDate(first.checkInTime!).toISOString());
    // a gate retrying with its own request id after a lost answer gets its admission replayed
    const rid = randomUUID();
    const t = await checkIn(bed.organizer, codes[1]!, ev.eventId, rid);
    assert.deepEqual((await checkIn(bed.organizer, codes[1]!, ev.eventId, rid)).checkInTime, t.checkInTime);
  });

  it("two gates scanning the same code at the same instant admit it once", async () => {
    const admin = await bed.users.admin();
    const gates = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => checkIn(i % 2 === 0 ? bed.organizer : admin, codes[2]!)),
    );
    const admitted = gates.filter((g) => g.status === "fulfilled");
    assert.equal(admitted.length, 1);
    for (const g of gates)
      if (g.status === "rejected") assert.equal(reason(ConnectError.from(g.reason)), "ALREADY_CHECKED_IN");
    assert.equal(
      await bed.count("SELECT COUNT(*) n FROM tickets WHERE state = 'CHECKED_IN' AND event_id = ?", [ev.eventId]),
      3,
    );
  });

  it("forged, foreign-key, other-event and malformed codes are never admitted", async () => {
    const code = codes[3]!;
    const bytes = Buffer.from(code, "base64url");
    bytes[bytes.length - 1]! ^= 0x01; // one bit of the signature
    let e = await rejects(checkIn(bed.organizer, bytes.toString("base64url")), Code.NotFound, "forged signature");
    assert.equal(reason(e), "TICKET_NOT_FOUND");
    const tampered = Buffer.from(code, "base64url");
    tampered[tampered.length - 70]! ^= 0x01; // a byte of the seat label
    await rejects(checkIn(bed.organizer, tampered.toString("base64url")), Code.NotFound, "tampered claims");
    // a code signed by someone else's key, even with our kid
    const published = publicKeysOf(await (await fetch(`${bed.proc.baseUrl}${ticketKeysPath}`)).json());
    const kid = [...published.keys()][0]!;
    const mallory = await loadTicketKeys(JSON.stringify([(await generateSigningKey(kid)).privateJwk]), {
      production: false,
      logger: createLogger({ level: "silent" }),
    });
    const claims = verifyCode(published, code);
    assert.ok(claims.valid);
    const forged = mallory.sign(claims.claims);
    await rejects(checkIn(bed.organizer, forged), Code.NotFound, "signed by a key we never published");
    // a real code of another event
    const other = await bed.open();
    const theirs = await bed.buy(buyer, other, { seats: ["1-1"] });
    const [otherCode] = (await bed.internal.getOrderTickets({ orderId: theirs.id }, await bed.serviceAuth())).tickets;
    await rejects(checkIn(bed.organizer, otherCode!.code), Code.NotFound, "another event's code");
    e = await rejects(checkIn(bed.organizer, "hello world"), Code.InvalidArgument, "malformed");
    assert.deepEqual(violationFields(e), ["code"]);
    await rejects(checkIn(bed.organizer, code.slice(0, 50)), Code.InvalidArgument, "truncated");
    assert.equal(
      await bed.count("SELECT COUNT(*) n FROM tickets WHERE id = ? AND state = 'VALID'", [claims.claims.ticketId]),
      1,
    );
  });

  it("only the event's organiser and admins check in; a voided ticket says TICKET_VOID", async () => {
    const stranger = await bed.users.customer("at-the-door");
    await rejects(checkIn(stranger, codes[4]!), Code.PermissionDenied, "a customer");
    const otherOrg = await bed.users.organizer("wrong-event");
    const e = await failure(checkIn(otherOrg, codes[4]!));
    assert.equal(e.code, Code.PermissionDenied);
    // cancel an order, then scan its code
    const order = await bed.buy(buyer, ev, { seats: ["4-4"] });
    const [t] = (await bed.internal.getOrderTickets({ orderId: order.id }, await bed.serviceAuth())).tickets;
    await bed.ticket.cancelOrder(
      { requestId: randomUUID(), orderId: order.id, reason: "cannot come" },
      await buyer.auth(),
    );
    const v = await rejects(checkIn(bed.organizer, t!.code), Code.FailedPrecondition, "a void ticket");
    assert.equal(reason(v), "TICKET_VOID");
  });

  it("offline: the published keys alone verify a code (boxoffice ticket verify, no database)", async () => {
    const res = await fetch(`${bed.proc.baseUrl}${ticketKeysPath}`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { keys: Array<Record<string, unknown>> };
    assert.ok(doc.keys.length >= 1 && doc.keys.every((k) => k.d === undefined), "public keys only");
    const file = join(tmpdir(), `ticket-keys-${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify(doc));
    const run = (code: string) =>
      spawnSync(process.execPath, ["--import", "tsx", program, "ticket", "verify", code, `--keys=${file}`], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "" }, // nothing else: no database, no service
        timeout: 30_000,
      });
    const ok = run(codes[4]!);
    assert.equal(ok.status, 0, ok.stderr);
    const said = JSON.parse(ok.stdout) as { valid: boolean; ticketId: string; eventId: string; rowLabel: string };
    assert.equal(said.valid, true);
    assert.equal(said.eventId, ev.eventId);
    assert.ok(ticketIds.includes(said.ticketId));
    // the same command in-process for the refusals (a process start costs seconds here)
    const bad = Buffer.from(codes[4]!, "base64url");
    bad[bad.length - 1]! ^= 0x80;
    const sink = {
      text: "",
      write(s: string) {
        this.text += s;
        return true;
      },
    };
    const verify = (code: string) => ticketCommand(["verify", code, `--keys=${file}`], sink as never, sink as never);
    assert.equal(await verify(bad.toString("base64url")), 1, "forged");
    assert.match(sink.text, /BAD_SIGNATURE/);
    assert.equal(await verify("nope"), 2, "malformed");
  });

  it("GetSalesSummary per section: sold, held, available, revenue, checked in; organiser or admin only", async () => {
    const fresh = await bed.open();
    await bed.buy(buyer, fresh, { seats: ["1-1", "1-2"], ga: 3 });
    const pending = await bed.users.customer("holding");
    await bed.hold(pending, fresh, { seats: ["2-2"], ga: 1 });
    const [order] = (await bed.ticket.listOrders({ eventId: fresh.eventId }, await buyer.auth())).orders;
    const { tickets } = await bed.internal.getOrderTickets({ orderId: order!.id }, await bed.serviceAuth());
    await checkIn(bed.organizer, tickets[0]!.code, fresh.eventId);
    const { summary } = await bed.ticket.getSalesSummary({ eventId: fresh.eventId }, await bed.organizer.auth());
    const [seated, ga] = summary!.sections;
    assert.deepEqual(
      [seated!.sold, seated!.held, seated!.available, Number(seated!.revenue!.amountMinor), seated!.checkedIn],
      [2, 1, 47, 10_000, 1],
    );
    assert.deepEqual(
      [ga!.sold, ga!.held, ga!.available, Number(ga!.revenue!.amountMinor), ga!.checkedIn],
      [3, 1, 96, 6000, 0],
    );
    assert.equal(Number(summary!.revenue!.amountMinor), 16_000);
    const otherOrg = await bed.users.organizer("nosy");
    await rejects(
      bed.ticket.getSalesSummary({ eventId: fresh.eventId }, await otherOrg.auth()),
      Code.PermissionDenied,
      "another organiser",
    );
    await rejects(
      bed.ticket.getSalesSummary({ eventId: randomUUID() }, await bed.organizer.auth()),
      Code.NotFound,
      "no inventory",
    );
  });
});
