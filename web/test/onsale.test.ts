/**
 * The on-sale flow in headless Chromium against the real platform (every service on one port: real
 * ticket, payment with its sandbox provider, notification): an organiser makes and publishes an
 * event in the storefront; buyers hold seats, pay with the sandbox cards and get QR tickets while
 * another browser watches the seats change live; the organiser checks a ticket in at the door.
 * In `make test` (WEB_SPECS); alone with `make test-web-onsale`. See web/README.md.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { TestUser } from "../../test/support/users.js";
import { apiClients } from "./support/api.js";
import { newContext } from "./support/browser.js";
import { type SharedStorefront, sharedStorefront } from "./support/shared.js";
import { createVenueAndEvent, signIn } from "./support/steps.js";

/** The seat button of row/seat on an event page. */
const seat = (page: Page, row: string, label: string) => page.locator(`[data-seat="${row}-${label}"]`);

/** Waits until a seat shows `state` (available, held, sold, …) without the page being reloaded. */
async function seatState(page: Page, row: string, label: string, state: string): Promise<void> {
  await page.locator(`[data-seat="${row}-${label}"][data-state="${state}"]`).waitFor({ timeout: 10_000 });
}

describe("web storefront: the on-sale flow (ticket, payment's sandbox, the door)", function () {
  this.timeout(90_000);
  let browser: Browser;
  let platform: SharedStorefront["platform"];
  let organiser: TestUser;
  /** The organiser's event, made and published in the storefront: "Stalls" A–C × 6 at €45, "Standing" 5 at €25. */
  let event: { id: string };
  let stallsId = "";
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  /** A code of a ticket bought in the first test, for the door. */
  let boughtCode = "";

  const open = async (opts: { phone?: boolean } = {}) => {
    const ctx = await newContext(browser, opts);
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    return page;
  };
  const eventPage = async (page: Page) => {
    await page.goto(`${platform.baseUrl}/events/${event.id}`);
    await page
      .getByTestId("availability-status")
      .filter({ hasText: /^Live:/ })
      .waitFor({ timeout: 15_000 });
  };
  const buyer = async (tag: string) => {
    const user = await platform.users.customer(tag);
    const page = await open();
    await signIn(page, platform.baseUrl, user.email, user.password);
    return { user, page };
  };

  before(async () => {
    ({ browser, platform } = await sharedStorefront());
    organiser = await platform.users.organizer("onsale-organiser");
    // the organiser makes the venue and the event in the storefront and publishes it
    const page = await open();
    await signIn(page, platform.baseUrl, organiser.email, organiser.password);
    const { eventId } = await createVenueAndEvent(page, { tag: randomUUID().slice(0, 6) });
    await page.getByRole("button", { name: "Publish" }).click();
    await page.getByTestId("event-state").filter({ hasText: "Published" }).waitFor();
    event = { id: eventId };
    const { events } = apiClients(platform.baseUrl);
    const as = await organiser.auth();
    const { event: published } = await events.getEvent({ eventId }, as);
    const { venue } = await events.getVenue({ venueId: published?.venueId ?? "" }, as);
    stallsId = venue?.sections.find((s) => s.name === "Stalls")?.id ?? "";
    assert.ok(stallsId, "the venue has its Stalls");
  });
  after(async () => {
    for (const c of contexts) await c.close();
  });
  afterEach(() => assert.deepEqual(errors.splice(0), [], "uncaught errors in a page"));

  it("two seats with sandbox_ok: CONFIRMED with two QR tickets; another browser sees them held, then sold, live", async () => {
    const watcher = await open({ phone: true });
    await eventPage(watcher);
    await seatState(watcher, "A", "3", "available");

    const { page } = await buyer("two-seats");
    await eventPage(page);
    await seat(page, "A", "3").click();
    await seat(page, "A", "4").click();
    await page.getByTestId("basket").getByText("2 places · €90.00").waitFor();
    await page.getByRole("button", { name: "Hold these places" }).click();
    await page.getByRole("heading", { name: "Checkout" }).waitFor();
    await page.getByTestId("checkout-lines").getByText("Stalls, row A, seat 3").waitFor();
    assert.match((await page.getByTestId("countdown").textContent()) ?? "", /^(10:00|9:\d\d)$/);

    await seatState(watcher, "A", "3", "held");
    await seatState(watcher, "A", "4", "held");

    await page.getByLabel("Test card: payment succeeds").check();
    await page.getByRole("button", { name: "Pay €90.00" }).click();
    await page.getByTestId("order-state").filter({ hasText: "Confirmed" }).waitFor({ timeout: 20_000 });
    await page.getByTestId("ticket").nth(1).waitFor();
    assert.equal(await page.getByTestId("ticket").count(), 2);
    assert.equal(await page.getByTestId("qr").count(), 2);

    await seatState(watcher, "A", "3", "sold");
    await seatState(watcher, "A", "4", "sold");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My tickets" }).click();
    await page.getByTestId("ticket").nth(1).waitFor();
    assert.equal(await page.getByTestId("ticket").count(), 2);
    boughtCode = ((await page.getByTestId("ticket-code").first().textContent()) ?? "").trim();
    assert.ok(boughtCode.length > 0, "the ticket shows its code");
  });

  it("sandbox_declined says so plainly and the seats go back on sale", async () => {
    const watcher = await open();
    await eventPage(watcher);
    const { page } = await buyer("declined");
    await eventPage(page);
    await seat(page, "B", "1").click();
    await seat(page, "B", "2").click();
    await page.getByRole("button", { name: "Hold these places" }).click();
    await page.getByRole("heading", { name: "Checkout" }).waitFor();
    await seatState(watcher, "B", "1", "held");
    await page.getByLabel("Test card: declined by the bank").check();
    await page.getByRole("button", { name: /^Pay / }).click();
    await page.getByTestId("order-state").filter({ hasText: "Payment failed" }).waitFor({ timeout: 20_000 });
    await page
      .getByTestId("order-failure")
      .getByText(/declined/)
      .waitFor();
    await seatState(watcher, "B", "1", "available");
    await seatState(watcher, "B", "2", "available");
    // back on the event page, the buyer may choose the same seats again
    await page.getByTestId("order-failure").getByRole("link", { name: "Choose places again" }).click();
    await seatState(page, "B", "1", "available");
  });

  it("a seat someone else takes leaves the basket with a message; too many places says what is left", async () => {
    const { page } = await buyer("racer");
    await eventPage(page);
    await seat(page, "C", "1").click();
    // another buyer holds that seat through the API
    const other = await platform.users.customer("other");
    await apiClients(platform.baseUrl).tickets.holdSeats(
      {
        requestId: randomUUID(),
        eventId: event.id,
        items: [{ kind: { case: "seat", value: { sectionId: stallsId, rowLabel: "C", seatLabel: "1" } } }],
      },
      await other.auth(),
    );
    await page.getByTestId("seat-taken").getByText("Row C, seat 1 was just taken by another buyer.").waitFor();
    await seatState(page, "C", "1", "held");
    await page.getByTestId("basket").getByText("Nothing chosen yet.").waitFor();

    await page.getByRole("radio", { name: /Standing/ }).check();
    await page.getByLabel("Number of places").fill("6");
    await page.getByRole("button", { name: "Hold these places" }).click();
    await page.getByTestId("error-summary").getByText("5 places left in Standing.", { exact: false }).waitFor();
  });

  it("nothing breaks on a reload mid-purchase: the checkout survives, and a payment in flight is found, not repeated", async () => {
    const { page } = await buyer("reloader");
    await eventPage(page);
    await seat(page, "B", "5").click();
    await page.getByRole("button", { name: "Hold these places" }).click();
    await page.getByRole("heading", { name: "Checkout" }).waitFor();
    const checkoutUrl = page.url();
    await page.reload();
    await page.getByTestId("checkout-lines").getByText("Stalls, row B, seat 5").waitFor();
    assert.equal(page.url(), checkoutUrl);

    // reload while Checkout is on its way: the order is found through ListOrders, not paid twice
    let sent!: () => void;
    const inFlight = new Promise<void>((r) => (sent = r));
    await page.route("**/boxoffice.ticket.v1.TicketService/Checkout", async (route) => {
      await route.continue();
      sent();
    });
    await page.getByRole("button", { name: /^Pay / }).click();
    await inFlight;
    await page.reload();
    // the order page (the checkout was found), or, had the request not reached the server, the form again
    const orderState = page.getByTestId("order-state");
    const pay = page.getByRole("button", { name: /^Pay / });
    await orderState.or(pay).first().waitFor({ timeout: 20_000 });
    if (await pay.isVisible()) await pay.click();
    await orderState.filter({ hasText: "Confirmed" }).waitFor({ timeout: 20_000 });
    await page.reload();
    await page.getByTestId("order-state").filter({ hasText: "Confirmed" }).waitFor();
    await page.goto(`${platform.baseUrl}/orders`);
    await page.getByTestId("orders").getByRole("listitem").first().waitFor();
    assert.equal(await page.getByTestId("orders").getByRole("listitem").count(), 1, "one order, paid once");
  });

  it("best available: the service picks seats next to each other in one row", async () => {
    const { page } = await buyer("best");
    await eventPage(page);
    await page.getByLabel("Best available seats together").fill("3");
    await page.getByRole("button", { name: "Find and hold" }).click();
    await page.getByRole("heading", { name: "Checkout" }).waitFor();
    // the lines name their section once the event's layout has loaded
    await page
      .getByTestId("checkout-lines")
      .getByText(/^Stalls, row/)
      .nth(2)
      .waitFor();
    const lines = await page.getByTestId("checkout-lines").getByRole("listitem").allTextContents();
    assert.equal(lines.length, 3, lines.join(" | "));
    const places = lines.map((l) => {
      const m = /^Stalls, row (\w+), seat (\d+)$/.exec(l);
      assert.ok(m, `a seat in the Stalls: ${l}`);
      return { row: m[1] ?? "", seat: Number(m[2]) };
    });
    assert.equal(new Set(places.map((p) => p.row)).size, 1, `one row: ${lines.join(" | ")}`);
    const seats = places.map((p) => p.seat).sort((a, b) => a - b);
    assert.deepEqual(seats, [seats[0], (seats[0] ?? 0) + 1, (seats[0] ?? 0) + 2], "adjacent seats");
    // giving them back from the event page
    await page.getByRole("link", { name: "Back to the event" }).click();
    await page.getByTestId("hold-panel").getByRole("button", { name: "Release these places" }).click();
    await page.getByTestId("hold-panel").waitFor({ state: "detached" });
    await seatState(page, places[0]?.row ?? "", String(seats[0]), "available");
  });

  it("the organiser checks a ticket in twice: VALID, then ALREADY CHECKED IN with the first scan's time", async () => {
    assert.ok(boughtCode, "a ticket was bought in the first test");
    const page = await open();
    await signIn(page, platform.baseUrl, organiser.email, organiser.password);
    await page.goto(`${platform.baseUrl}/door/${event.id}`);
    await page.getByLabel("Ticket code").fill(boughtCode);
    await page.keyboard.press("Enter");
    await page.getByTestId("verdict").getByText("VALID").waitFor();
    assert.match((await page.getByTestId("verdict").textContent()) ?? "", /Admit: Stalls, row A, seat [34]/);
    // the code field has focus again: a scanner can go on (the code goes to whatever has focus, in
    // one input event: a key event per character cost ~1–3 s for a code this long)
    await page.keyboard.insertText(boughtCode);
    await page.keyboard.press("Enter");
    await page.getByTestId("verdict").getByText("ALREADY CHECKED IN").waitFor();
    assert.match(
      (await page.getByTestId("verdict").textContent()) ?? "",
      /First scanned at \w{3}, \d{1,2} \w{3} \d{4}, \d\d:\d\d/,
    );
    await page.getByLabel("Ticket code").fill("not-a-real-code");
    await page.keyboard.press("Enter");
    await page.getByTestId("verdict").getByText("REFUSED").waitFor();
    assert.match((await page.getByTestId("verdict").textContent()) ?? "", /This is not a Boxoffice ticket code\./);
  });
});
