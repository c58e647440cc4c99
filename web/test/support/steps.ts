/** What a person does in the storefront, step by step, shared by the browser suites. */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";

/** Long enough for the password policy (12+), not a common one. */
export const STOREFRONT_PASSWORD = "correct horse battery staple";

/** Signs in through the form and waits for the header to show the account. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("signed-in-as").waitFor();
}

/**
 * As a signed-in organiser: creates a venue ("Stalls": rows A–C × 6 seats; "Standing": 5 places)
 * through the venue form, then a draft event at it with prices. Ends on the event's editor page.
 */
export async function createVenueAndEvent(
  page: Page,
  opts: { tag: string; standing?: number },
): Promise<{ eventName: string; city: string; eventId: string }> {
  const city = `City-${opts.tag}`;
  const eventName = `Gala ${opts.tag}`;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Organiser" }).click();
  await page.getByRole("link", { name: "New venue" }).click();
  await page.getByRole("heading", { name: "New venue" }).waitFor();

  // an empty form: the server's violations appear beside their fields
  await page.getByRole("button", { name: "Create venue" }).click();
  await page.getByTestId("error-summary").waitFor();
  assert.equal(await page.getByLabel("Venue name").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Section name").getAttribute("aria-invalid"), "true");
  assert.match((await page.locator("#venue-name-error").textContent()) ?? "", /required|must/i);

  await page.getByLabel("Venue name").fill(`Hall ${opts.tag}`);
  await page.getByLabel("Street address").fill("Rua do Teste 1");
  await page.getByLabel("City").fill(city);
  await page.getByLabel("Country code").fill("PT");
  await page.getByLabel("Time zone").selectOption("Europe/Lisbon");
  await page.getByLabel("Section name").fill("Stalls");
  await page.getByLabel("Row labels").fill("A-C");
  await page.getByLabel("Seats per row").fill("6");
  await page.getByRole("button", { name: "Add a standing section" }).click();
  await page.getByLabel("Section name").nth(1).fill("Standing");
  await page.getByLabel("Capacity").fill(String(opts.standing ?? 5));
  await page.getByRole("button", { name: "Create venue" }).click();

  await page.getByRole("heading", { name: "New event" }).waitFor();
  await page.getByLabel("Venue").selectOption({ label: `Hall ${opts.tag}, ${city}` });
  await page.getByLabel("Event name").fill(eventName);
  await page.getByLabel("Description").fill(`An evening of tests, tag ${opts.tag}.`);
  await page.getByLabel("Price in Stalls").fill("45.00");
  await page.getByLabel("Price in Standing").fill("25.00");
  await page.getByRole("button", { name: "Create draft" }).click();
  await page.getByTestId("event-state").filter({ hasText: "Draft" }).waitFor();
  const eventId = new URL(page.url()).pathname.split("/").pop() ?? "";
  return { eventName, city, eventId };
}

/** The id of the focused element (evaluated in the page; the tests are typed without the DOM library). */
export async function focusedId(page: Page): Promise<string> {
  return String(await page.evaluate("document.activeElement ? document.activeElement.id : ''"));
}
