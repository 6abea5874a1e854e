// The seed how-to (shared/reference/seed-auth0-dcr-howto.md), word for word, in a real
// browser: the admin console's Settings > Application Setup > Save; the Dev Portal's sign up,
// My Apps > New App > Create New Application > Create > Client ID and Client Secret >
// Proceed > register for an API; then a request through the gateway with those credentials.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { eventually, screenshots, startAll } from "./harness.mjs";
import {
  adminSignIn,
  assertNoSecret,
  callGateway,
  configureApplicationSetup,
  createApplication,
  createPublishedApi,
  mainNav,
  signUp,
} from "./steps.mjs";

let world;

before(async () => {
  world = await startAll();
});

after(async () => {
  await world?.stop();
});

test("the seed's journey, from Application Setup to a request through the gateway", () =>
  world.explain(async () => {
  const { emulator, upstream, portico, browser } = world;

  // ---------------------------------------------------------------- Admin console
  const admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const adminPage = await admin.newPage();
  await adminSignIn(adminPage, portico);
  await screenshots(adminPage, "admin-overview-before-setup");

  await configureApplicationSetup(adminPage, emulator);
  // What was saved is shown again, except the secret, which is never shown.
  const issuerShown = await adminPage.getByLabel("Issuer", { exact: true }).inputValue();
  assert.equal(issuerShown.replace(/\/$/, ""), emulator.issuer.replace(/\/$/, ""));
  assert.equal(await adminPage.getByLabel("Initial Client Secret").inputValue(), "");
  assert.ok(!(await adminPage.content()).includes(emulator.management_client_secret));
  await adminPage.getByText("Leave blank to keep the stored secret").waitFor();
  await screenshots(adminPage, "admin-application-setup-saved");

  await createPublishedApi(adminPage, {
    name: "Weather",
    description: "Forecasts for any city, updated hourly.",
    upstreamUrl: upstream.url,
    path: "/weather",
  });
  await screenshots(adminPage, "admin-apis");
  await adminPage.getByRole("link", { name: "Weather" }).click();
  await screenshots(adminPage, "admin-api-edit");

  // ---------------------------------------------------------------- Dev Portal
  const developer = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await developer.newPage();
  await page.goto(`${portico.portalUrl}/`);
  await page.getByRole("link", { name: /Weather/ }).waitFor();
  await screenshots(page, "portal-catalog");

  await signUp(page, portico, { fullName: "Ada Lovelace", email: "ada@example.com" });
  await screenshots(page, "portal-my-apps-empty");

  // "From the My Apps page in the Dev Portal": New App, the form, Create.
  await mainNav(page).getByRole("link", { name: "My Apps" }).click();
  await page.getByRole("link", { name: "New App" }).first().click();
  await page.getByRole("heading", { name: "Create New Application" }).waitFor();
  await screenshots(page, "portal-create-new-application");
  await page.goBack();

  const created = await createApplication(page, {
    name: "Weather dashboard",
    redirectUri: "https://dashboard.example.com/callback",
    description: "Shows the forecast on the office screen.",
  });
  assert.equal(created.response.status(), 200);
  assert.equal(created.response.headers()["cache-control"], "no-store");
  assert.ok(created.clientId, "the Client ID is shown");
  assert.ok(created.clientSecret && created.clientSecret.length >= 32, "the Client Secret is shown");
  await page.getByText("the Client Secret is shown only once").waitFor();
  // The copy buttons appear (progressive enhancement).
  await page.getByRole("button", { name: "Copy" }).first().waitFor();
  await screenshots(page, "portal-credentials");
  // The client exists in the IdP under the Client ID shown.
  const client = await portico.adminApi("GET", "/v1/applications");
  assert.equal(client.status, 200);
  assert.equal(client.body.data.length, 1);
  assert.equal(client.body.data[0].client_id, created.clientId);

  // "Click Proceed to continue to the application's details page."
  await page.getByRole("link", { name: "Proceed" }).click();
  await page.getByRole("heading", { name: "Weather dashboard" }).waitFor();
  await assertNoSecret(page, created.clientSecret, "application details");
  assert.equal((await page.locator("#client-id").textContent()).trim(), created.clientId);

  // Register the application for the API, and see the registration's status.
  await page.getByLabel("Register for an API").selectOption({ label: "Weather" });
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByText("Registered: the application can call this API now.").waitFor();
  const registration = page.locator(".registrations li", { hasText: "Weather" });
  await registration.getByText("Approved").waitFor();
  await screenshots(page, "portal-application-details");

  // The API's page in the catalog shows the registration too.
  await mainNav(page).getByRole("link", { name: "APIs" }).click();
  await page.getByRole("link", { name: /Weather/ }).click();
  await page.getByRole("heading", { name: /Weather/ }).first().waitFor();
  await page.locator("aside").getByText("Approved").waitFor();
  await screenshots(page, "portal-api");
  await mainNav(page).getByRole("link", { name: "My Apps" }).click();
  await page.getByRole("link", { name: /Weather dashboard/ }).waitFor();
  await screenshots(page, "portal-my-apps");

  // ---------------------------------------------------------------- "Make a successful request"
  const path = "/weather/today";
  const unauthenticated = await callGateway(portico.proxyUrl, path);
  assert.equal(unauthenticated.status, 401, "no credentials, no entry");

  // The gateway follows changes within 2 seconds.
  const answer = await eventually(async () => {
    const result = await callGateway(portico.proxyUrl, path, created.clientId, created.clientSecret);
    return result.status === 200 ? result : null;
  });
  assert.ok(answer, "the gateway lets the registered application through");
  assert.equal(answer.body.upstream, "weather");
  assert.equal(answer.body.forecast, "sunny");
  assert.equal(answer.body.client_id, created.clientId);
  const seen = upstream.requests.at(-1);
  assert.ok(!JSON.stringify(seen.headers).includes(created.clientSecret),
    "the upstream never sees the client secret");

  const wrong = await callGateway(portico.proxyUrl, path, created.clientId, "not-the-secret");
  assert.equal(wrong.status, 401, "a wrong secret is refused");

  // ---------------------------------------------------------------- Admin console views
  await adminPage.goto(`${portico.adminUrl}/developers`);
  await adminPage.getByText("ada@example.com").waitFor();
  await screenshots(adminPage, "admin-developers");
  await adminPage.goto(`${portico.adminUrl}/registrations?status=all`);
  await adminPage.getByText("Weather dashboard").waitFor();
  await screenshots(adminPage, "admin-registrations");
  await adminPage.goto(`${portico.adminUrl}/settings/portal`);
  await screenshots(adminPage, "admin-portal-settings");
  await adminPage.goto(`${portico.adminUrl}/`);
  await screenshots(adminPage, "admin-overview");

  await admin.close();
  await developer.close();
}));
