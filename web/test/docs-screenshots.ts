/**
 * `make web-screenshots`: the storefront's main pages as PNGs in docs/storefront/, from a running
 * platform (the harness's), in headless Chromium. Run with mocha for the infrastructure fixture.
 * While the ticket service answers UNIMPLEMENTED, its answers are simulated inside the page
 * (support/simulated-ticket.ts) for the buyer pages, and README says which pictures those are.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Page } from "playwright-core";
import { apiClients, publishedEvent } from "./support/api.js";
import { launchChromium, newContext } from "./support/browser.js";
import { startPlatform } from "./support/platform.js";
import { simulateTicketService } from "./support/simulated-ticket.js";
import { signIn } from "./support/steps.js";

const OUT = resolve(import.meta.dirname, "../../docs/storefront");

describe("docs: storefront screenshots", function () {
  this.timeout(120_000);
  it("writes docs/storefront/*.png", async () => {
    mkdirSync(OUT, { recursive: true });
    const [browser, platform] = await Promise.all([launchChromium(), startPlatform()]);
    try {
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
      const ticketBuilt = await apiClients(platform.baseUrl)
        .tickets.getAvailability({ eventId: event.id })
        .then(
          () => true,
          (e) => ConnectError.from(e).code !== Code.Unimplemented,
        );
      const shot = (page: Page, name: string, fullPage = false) =>
        page.screenshot({ path: `${OUT}/${name}.png`, fullPage });

      const buyer = await platform.users.customer("ada");
      const desk = await (await newContext(browser)).newPage();
      if (!ticketBuilt) {
        await simulateTicketService(desk, event.id, venue, {
          sold: ["A-1", "A-2", "B-6", "C-3"],
          held: ["A-5", "B-1", "B-2"],
        });
      }
      await signIn(desk, platform.baseUrl, buyer.email, buyer.password);
      await desk.getByRole("link", { name: "Opening Night" }).waitFor();
      await shot(desk, "events");

      await desk.getByRole("link", { name: "Opening Night" }).click();
      await desk.locator('[data-seat="A-3"][data-state="available"]').waitFor();
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
      await desk.getByRole("button", { name: /^Pay / }).click();
      await desk.getByTestId("order-state").filter({ hasText: "Confirmed" }).waitFor();
      await desk.getByTestId("qr").nth(1).waitFor();
      await shot(desk, "order", true);

      const phone = await (await newContext(browser, { phone: true })).newPage();
      if (!ticketBuilt)
        await simulateTicketService(phone, event.id, venue, {
          sold: ["A-1", "A-2", "A-3", "A-4", "B-6"],
          held: ["B-1", "B-2"],
        });
      await phone.goto(`${platform.baseUrl}/events/${event.id}`);
      await phone.locator('[data-seat="C-2"][data-state="available"]').waitFor();
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
      if (!ticketBuilt) await simulateTicketService(org, event.id, venue, { sold: [], held: [] });
      await org.goto(`${platform.baseUrl}/door/${event.id}`);
      for (let i = 0; i < (ticketBuilt ? 2 : 1); i++) {
        await org.getByLabel("Ticket code").fill(code);
        await org.keyboard.press("Enter");
        await org.getByTestId("verdict").waitFor();
      }
      if (!ticketBuilt) {
        // the simulation's first answer was VALID (on the desk's code, in another page): scan again
        await org.getByLabel("Ticket code").fill(code);
        await org.keyboard.press("Enter");
      }
      await org.getByTestId("verdict").getByText("ALREADY CHECKED IN").waitFor();
      await shot(org, "door", true);
    } finally {
      await browser.close();
      await platform.proc.stop();
    }
  });
});
