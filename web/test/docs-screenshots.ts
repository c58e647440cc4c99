/**
 * `make web-screenshots`: the storefront's main pages as PNGs in docs/storefront/, from the platform
 * the harness starts (every service real: ticket, payment's sandbox, notification), in headless
 * Chromium. Other buyers first buy and hold some seats through the API, so the seat maps show real
 * sold and held seats. Run with mocha for the infrastructure fixture.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Page } from "playwright-core";
import type { TestUser } from "../../test/support/users.js";
import { apiClients, publishedEvent } from "./support/api.js";
import { newContext } from "./support/browser.js";
import { sharedStorefront } from "./support/shared.js";
import { signIn } from "./support/steps.js";

const OUT = resolve(import.meta.dirname, "../../docs/storefront");

describe("docs: storefront screenshots", function () {
  this.timeout(120_000);
  it("writes docs/storefront/*.png", async () => {
    mkdirSync(OUT, { recursive: true });
    const { browser, platform } = await sharedStorefront();
    const organiser = await platform.users.organizer("ines");
    const made = [];
    for (const [name, city] of [
      ["Opening Night", "Lisbon"],
      ["Fado at Dusk", "Porto"],
      ["Winter Strings", "Lisbon"],
    ] as const) {
      made.push(await publishedEvent(platform.baseUrl, organiser, { name, city }));
    }
    const { event, venue } =
      made[0] ??
      (() => {
        throw new Error("no event");
      })();
    const stalls = venue.sections.find((s) => s.name === "Stalls")?.id ?? "";
    const { tickets } = apiClients(platform.baseUrl);
    /** `user` holds these seats of the Stalls ("A-1", …) and, with `pay`, buys them with sandbox_ok. */
    const take = async (user: TestUser, seats: string[], pay: boolean) => {
      const as = await user.auth();
      const { hold } = await tickets.holdSeats(
        {
          requestId: randomUUID(),
          eventId: event.id,
          items: seats.map((k) => {
            const [rowLabel = "", seatLabel = ""] = k.split("-");
            return { kind: { case: "seat" as const, value: { sectionId: stalls, rowLabel, seatLabel } } };
          }),
        },
        as,
      );
      if (pay)
        await tickets.checkout({ requestId: randomUUID(), holdId: hold?.id ?? "", paymentToken: "sandbox_ok" }, as);
    };
    await take(await platform.users.customer("bea"), ["A-1", "A-2", "B-6"], true);
    await take(await platform.users.customer("caio"), ["C-3"], true);
    await take(await platform.users.customer("duarte"), ["A-5", "B-1", "B-2"], false);
    const shot = (page: Page, name: string, fullPage = false) =>
      page.screenshot({ path: `${OUT}/${name}.png`, fullPage });

    const buyer = await platform.users.customer("ada");
    const desk = await (await newContext(browser)).newPage();
    await signIn(desk, platform.baseUrl, buyer.email, buyer.password);
    await desk.getByRole("link", { name: "Opening Night" }).waitFor();
    await shot(desk, "events");

    await desk.getByRole("link", { name: "Opening Night" }).click();
    await desk.locator('[data-seat="A-3"][data-state="available"]').waitFor();
    await desk.locator('[data-seat="C-3"][data-state="sold"]').waitFor();
    await desk.locator('[data-seat="B-1"][data-state="held"]').waitFor();
    await desk.locator('[data-seat="A-3"]').click();
    await desk.locator('[data-seat="A-4"]').click();
    await desk.getByTestId("basket").getByText("2 places").waitFor();
    await desk
      .getByTestId("availability-status")
      .filter({ hasText: /^Live:/ })
      .waitFor();
    await desk.setViewportSize({ width: 1200, height: 1200 });
    await shot(desk, "event");
    await desk.setViewportSize({ width: 1200, height: 900 });

    await desk.getByRole("button", { name: "Hold these places" }).click();
    await desk.getByTestId("checkout-lines").getByText("Stalls, row A, seat 3").waitFor();
    await shot(desk, "checkout", true);
    await desk.getByLabel("Test card: payment succeeds").check();
    await desk.getByRole("button", { name: /^Pay / }).click();
    await desk.getByTestId("order-state").filter({ hasText: "Confirmed" }).waitFor();
    await desk.getByTestId("qr").nth(1).waitFor();
    await shot(desk, "order", true);

    const phone = await (await newContext(browser, { phone: true })).newPage();
    await phone.goto(`${platform.baseUrl}/events/${event.id}`);
    await phone.locator('[data-seat="C-2"][data-state="available"]').waitFor();
    await phone.locator('[data-seat="A-3"][data-state="sold"]').waitFor();
    await phone.locator('[data-seat="C-2"]').click();
    await phone
      .getByTestId("availability-status")
      .filter({ hasText: /^Live:/ })
      .waitFor();
    // tall enough for the whole page, so the sticky basket sits where the page ends
    await phone.setViewportSize({ width: 375, height: 1400 });
    await shot(phone, "event-phone");

    const anon = await (await newContext(browser)).newPage();
    await anon.goto(`${platform.baseUrl}/register`);
    await anon.getByLabel("Your name").fill("Bo");
    await anon.getByLabel("Email").fill("bo@example");
    await anon.getByLabel("Password").fill("short");
    await anon.getByRole("button", { name: "Create account" }).click();
    await anon.locator("#password-error").waitFor();
    await shot(anon, "register-errors", true);

    const org = await (await newContext(browser)).newPage();
    await signIn(org, platform.baseUrl, organiser.email, organiser.password);
    await org.goto(`${platform.baseUrl}/organiser/events/${event.id}`);
    await org.getByTestId("event-state").waitFor();
    await org.getByRole("heading", { name: "Sales" }).waitFor();
    await shot(org, "organiser-event", true);
    await org.goto(`${platform.baseUrl}/organiser/venues/new`);
    await org.getByLabel("Venue name").fill("Teatro da Trindade");
    await org.getByRole("button", { name: "Add a standing section" }).click();
    await shot(org, "venue-new", true);

    const code = ((await desk.getByTestId("ticket-code").first().textContent()) ?? "").trim();
    await org.goto(`${platform.baseUrl}/door/${event.id}`);
    await org.getByLabel("Ticket code").fill(code);
    await org.keyboard.press("Enter");
    await org.getByTestId("verdict").getByText("VALID").waitFor();
    await org.getByLabel("Ticket code").fill(code);
    await org.keyboard.press("Enter");
    await org.getByTestId("verdict").getByText("ALREADY CHECKED IN").waitFor();
    await shot(org, "door", true);
  });
});
