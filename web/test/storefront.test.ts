/**
 * The storefront in headless Chromium against the real platform (every service on one port, real
 * MariaDB/Redis/NATS): accounts and sessions, the organiser's venue and event, the buyer's list,
 * search and event page, errors beside their fields, keyboard and phone-sized use. The buying itself
 * (holds, checkout, tickets, the door) is onsale.test.ts; both share one platform and browser.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { publishedEvent } from "./support/api.js";
import { newContext, watchErrors } from "./support/browser.js";
import { type SharedStorefront, sharedStorefront } from "./support/shared.js";
import { createVenueAndEvent, focusedId, STOREFRONT_PASSWORD, signIn } from "./support/steps.js";

describe("web storefront (headless Chromium, real platform)", function () {
  this.timeout(60_000);
  let browser: Browser;
  let platform: SharedStorefront["platform"];
  let ctx: BrowserContext;
  let page: Page;
  let errors: string[];

  before(async () => {
    // the run's platform (its per-email sign-in limit is 4, so throttling is reachable from the form)
    ({ browser, platform } = await sharedStorefront());
  });
  beforeEach(async () => {
    ctx = await newContext(browser);
    page = await ctx.newPage();
    errors = watchErrors(page);
  });
  afterEach(async () => {
    await ctx.close();
    assert.deepEqual(errors, [], "uncaught errors in the page");
  });

  it("a buyer registers, stays signed in across a reload, and signing out revokes the session", async () => {
    const email = `buyer-${randomUUID().slice(0, 8)}@example.com`;
    await page.goto(`${platform.baseUrl}/register`);
    await page.getByLabel("Your name").fill("Ada Buyer");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(STOREFRONT_PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByTestId("signed-in-as").filter({ hasText: "Ada Buyer" }).waitFor();
    assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Events on sale");

    // the access token lives in memory only; a reload restores the session from the refresh token
    const stored = await page.evaluate(() => localStorage.getItem("boxoffice.session"));
    assert.ok(stored, "refresh token stored");
    assert.doesNotMatch(stored, /accessToken|eyJ/, "no access token in storage");
    await page.reload();
    await page.getByTestId("signed-in-as").filter({ hasText: "Ada Buyer" }).waitFor();
    const after = await page.evaluate(() => localStorage.getItem("boxoffice.session"));
    assert.notEqual(after, stored, "the refresh token rotated on restore");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("link", { name: "Sign in" }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem("boxoffice.session")), null);
    const { refreshToken } = JSON.parse(after ?? "{}") as { refreshToken: string };
    await assert.rejects(platform.users.auth.refresh({ refreshToken }), /unauthenticated|revoked|unknown/i);
  });

  it("shows the server's field violations beside their fields, and a wrong password plainly", async () => {
    await page.goto(`${platform.baseUrl}/register`);
    await page.getByLabel("Your name").fill("Bo");
    await page.getByLabel("Email").fill("not-an-email");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    const summary = page.getByTestId("error-summary");
    await summary.waitFor();
    assert.equal(
      await summary.evaluate((el) => el === el.ownerDocument.activeElement),
      true,
      "the summary takes focus",
    );
    const emailError = await page.locator("#email-error").textContent();
    const passwordError = await page.locator("#password-error").textContent();
    assert.match(emailError ?? "", /email/i);
    assert.match(passwordError ?? "", /12 characters|at least/i);
    assert.equal(await page.getByLabel("Password").getAttribute("aria-invalid"), "true");
    assert.match((await page.getByLabel("Password").getAttribute("aria-describedby")) ?? "", /password-error/);
    // the summary links to the field
    await summary.getByRole("link", { name: /password/i }).click();
    assert.equal(await focusedId(page), "password");

    await page.goto(`${platform.baseUrl}/sign-in`);
    await page.getByLabel("Email").fill(`nobody-${randomUUID().slice(0, 8)}@example.com`);
    await page.getByLabel("Password").fill(STOREFRONT_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await summary.getByText("That email and password do not match an account.").waitFor();
  });

  it("refreshes tokens transparently: a call refused as UNAUTHENTICATED is retried with a new token", async () => {
    const user = await platform.users.customer("refresher");
    await signIn(page, platform.baseUrl, user.email, user.password);
    const seen: string[] = [];
    page.on("request", (r) => seen.push(new URL(r.url()).pathname.split("/").pop() ?? ""));
    // the next ListEvents carries a token the server refuses, as it would an expired one
    let spoiled = false;
    await page.route("**/boxoffice.event.v1.EventService/ListEvents**", async (route) => {
      if (spoiled) return route.continue();
      spoiled = true;
      return route.continue({ headers: { ...route.request().headers(), authorization: "Bearer spoiled.token.value" } });
    });
    const before = await page.evaluate(() => localStorage.getItem("boxoffice.session"));
    await page.getByLabel("Event name or description").fill("anything");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText(/No events match your search|match your search/).waitFor();
    assert.ok(spoiled);
    assert.deepEqual(
      seen.filter((p) => p === "ListEvents" || p === "Refresh"),
      ["ListEvents", "Refresh", "ListEvents"],
    );
    assert.notEqual(await page.evaluate(() => localStorage.getItem("boxoffice.session")), before);
    await page.getByTestId("signed-in-as").waitFor();
  });

  it("an organiser creates a venue and publishes an event; buyers find it by name and city", async () => {
    const organiser = await platform.users.organizer("organiser");
    await signIn(page, platform.baseUrl, organiser.email, organiser.password);
    const tag = randomUUID().slice(0, 6);
    const { eventName, city } = await createVenueAndEvent(page, { tag });
    await page.getByRole("button", { name: "Publish" }).click();
    await page.getByTestId("event-state").filter({ hasText: "Published" }).waitFor();

    const buyer = await newContext(browser, { phone: true });
    const b = await buyer.newPage();
    const bErrors = watchErrors(b);
    await b.goto(`${platform.baseUrl}/`);
    await b.getByRole("link", { name: eventName }).waitFor();
    await b.getByLabel("Event name or description").fill(`Gala ${tag}`);
    await b.getByRole("button", { name: "Search" }).click();
    await b.waitForURL(/\?q=/);
    await b.getByRole("link", { name: eventName }).waitFor();
    assert.equal(await b.getByTestId("event-list").getByRole("listitem").count(), 1);
    await b.getByLabel("Event name or description").fill("");
    await b.getByLabel("City").fill(city);
    await b.getByRole("button", { name: "Search" }).click();
    await b.getByRole("link", { name: eventName }).waitFor();
    await b.getByLabel("City").fill(`Nowhere-${tag}`);
    await b.getByRole("button", { name: "Search" }).click();
    await b.getByText("No events match your search.").waitFor();
    // a reload keeps the search (it lives in the URL)
    await b.reload();
    assert.equal(await b.getByLabel("City").inputValue(), `Nowhere-${tag}`);
    assert.equal(await b.evaluate("document.documentElement.scrollWidth"), 375, "no sideways scrolling on a phone");
    await buyer.close();
    assert.deepEqual(bErrors, []);
  });

  it("a throttled sign-in says when to try again (RetryInfo) and holds the button until then", async () => {
    const user = await platform.users.customer("throttled");
    await page.goto(`${platform.baseUrl}/sign-in`);
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill("a wrong password, surely");
    const submit = page.getByRole("button", { name: /Sign in|Try again/ });
    const summary = page.getByTestId("error-summary");
    for (let i = 0; i < 6 && !(await summary.getByText(/Too many attempts/).isVisible()); i++) {
      await submit.click();
      await summary.waitFor();
      await page.getByRole("button", { name: "Signing in…" }).waitFor({ state: "hidden" });
    }
    const text = (await summary.textContent()) ?? "";
    assert.match(text, /Too many attempts\. Try again in \d+ (seconds|minutes)\./);
    // the countdown is drawn by an effect right after the summary: wait for it, then read it
    await page.getByRole("button", { name: /^Try again in \d+ s$/ }).waitFor({ timeout: 2_000 });
    assert.match((await submit.textContent()) ?? "", /^Try again in \d+ s$/);
    assert.equal(await submit.isDisabled(), true);
  });

  it("the event page draws the seat map from the layout, usable with the keyboard, and says what availability it has", async () => {
    const organiser = await platform.users.organizer("layout");
    const name = `Layout ${randomUUID().slice(0, 6)}`;
    await publishedEvent(platform.baseUrl, organiser, { name });
    const phone = await newContext(browser, { phone: true });
    const p = await phone.newPage();
    const pErrors = watchErrors(p);
    await p.goto(`${platform.baseUrl}/`);
    await p.getByRole("link", { name }).click();
    await p.getByRole("heading", { level: 1, name }).waitFor();
    assert.equal(await focusedId(p), "", "focus on the page heading after navigating (an h1 has no id)");
    assert.equal(await p.evaluate("document.activeElement.tagName"), "H1");
    const map = p.getByTestId("seat-map");
    await map.waitFor();
    assert.equal(await map.locator("button.seat").count(), 18, "rows A–C × 6 seats from the venue layout");
    assert.deepEqual(await map.getByRole("rowheader").allTextContents(), ["A", "B", "C"]);
    // live from WatchAvailability: every seat of a new event on sale
    await p
      .getByTestId("availability-status")
      .filter({ hasText: /^Live:/ })
      .waitFor();
    await map.locator('[data-state="available"]').nth(17).waitFor();
    assert.equal(await map.locator('[data-state="available"]').count(), 18);
    // one Tab stop for the whole map; arrows move between seats
    await map.locator('[tabindex="0"]').focus();
    assert.equal(
      await map.locator("button.seat").evaluateAll((bs) => bs.filter((b) => b.getAttribute("tabindex") === "0").length),
      1,
    );
    await p.keyboard.press("ArrowRight");
    await p.keyboard.press("ArrowDown");
    assert.match((await p.evaluate("document.activeElement.getAttribute('aria-label')")) as string, /^Row B, seat 2, /);
    await p.keyboard.press("End");
    assert.match((await p.evaluate("document.activeElement.getAttribute('aria-label')")) as string, /^Row B, seat 6, /);
    // sections are a radio group with what they cost
    await p.getByRole("radio", { name: /Standing.*€25\.00/ }).check();
    await p.getByLabel("Number of places").waitFor();
    assert.equal(await p.evaluate("document.documentElement.scrollWidth"), 375, "no sideways scrolling on a phone");
    await phone.close();
    assert.deepEqual(pErrors, []);
  });

  it("every form control on the main pages has a label, and the door refuses an unknown code plainly", async () => {
    const organiser = await platform.users.organizer("audit");
    const { event } = await publishedEvent(platform.baseUrl, organiser, { name: `Audit ${randomUUID().slice(0, 6)}` });
    await signIn(page, platform.baseUrl, organiser.email, organiser.password);
    for (const path of [
      "/",
      "/register",
      `/events/${event.id}`,
      "/organiser/venues/new",
      `/organiser/events/${event.id}`,
      `/door/${event.id}`,
    ]) {
      await page.goto(`${platform.baseUrl}${path}`);
      await page.getByRole("heading", { level: 1 }).waitFor();
      // not "networkidle": the event page keeps its WatchAvailability stream open
      await page.waitForLoadState("load");
      await page.waitForTimeout(300);
      const unlabelled = (await page.evaluate(`[...document.querySelectorAll("input, select, textarea, button")]
        .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || (el.tagName === "BUTTON" && el.textContent.trim())))
        .map((el) => el.outerHTML.slice(0, 80))`)) as string[];
      assert.deepEqual(unlabelled, [], `unlabelled controls on ${path}`);
    }
    // the door (already open): a code that belongs to no ticket is refused, and the field is ready for the next scan
    await page.getByLabel("Ticket code").fill("BX1.not-a-ticket");
    await page.keyboard.press("Enter");
    await page.getByTestId("verdict").getByText("REFUSED").waitFor();
    assert.equal(await focusedId(page), "ticket-code");
    assert.equal(await page.getByLabel("Ticket code").inputValue(), "");
  });
});
