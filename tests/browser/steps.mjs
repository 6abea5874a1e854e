// The seed how-to's steps as clicks, shared by the test files. Each step uses the words a
// person sees on the page (labels, button and link names), not CSS selectors, so that a
// renamed button breaks the test the way it would confuse the reader of the how-to.

import assert from "node:assert/strict";

export const DEVELOPER_PASSWORD = "correct horse battery staple";

/** Admin console: sign in with the admin token. */
export async function adminSignIn(page, portico) {
  await page.goto(`${portico.adminUrl}/`);
  await page.waitForURL(/\/signin/);
  await page.getByLabel("Admin token").fill(portico.adminToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
}

/** Admin console: Settings > Application Setup, as the seed's steps 2 and 3 say. */
export async function openApplicationSetup(page) {
  await mainNav(page).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("navigation", { name: "Settings" })
    .getByRole("link", { name: "Application Setup" }).click();
  await page.getByRole("heading", { name: "Application Setup" }).waitFor();
}

/** Steps 4 to 10: the identity provider and the fields, as typed by a person. */
export async function fillApplicationSetup(page, fields) {
  await page.getByLabel("Auth0").check();
  await page.getByLabel("Issuer", { exact: true }).fill(fields.issuer);
  await page.getByLabel("Client Token Audience", { exact: true }).fill(fields.audience);
  await page.getByLabel("Scopes").fill(fields.scopes);
  await page.getByLabel("Consumer Claims", { exact: true }).fill(fields.claims);
  await page.getByLabel("Initial Client ID", { exact: true }).fill(fields.clientId);
  await page.getByLabel("Initial Client Secret").fill(fields.clientSecret);
}

export function setupFields(emulator, overrides = {}) {
  return {
    issuer: emulator.issuer,
    audience: emulator.api_audience,
    scopes: "openid",
    claims: "azp",
    clientId: emulator.management_client_id,
    clientSecret: emulator.management_client_secret,
    ...overrides,
  };
}

/** The whole of "Configure the Dev Portal": Settings, Application Setup, fields, Save. */
export async function configureApplicationSetup(page, emulator) {
  await openApplicationSetup(page);
  await fillApplicationSetup(page, setupFields(emulator));
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Application Setup saved").waitFor();
}

/** Admin console: APIs > New API, published, routed at `path` to `upstreamUrl`. */
export async function createPublishedApi(page, { name, upstreamUrl, path, description }) {
  await mainNav(page).getByRole("link", { name: "APIs" }).click();
  await page.getByRole("link", { name: "New API" }).first().click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Description").fill(description ?? "");
  await page.getByLabel("Upstream URL").fill(upstreamUrl);
  await page.getByLabel("Route paths").fill(path);
  await page.getByLabel("Published").check();
  await page.getByRole("button", { name: "Create API" }).click();
  await page.getByText("API created.").waitFor();
}

/** Dev Portal: sign up (auto-approved portals sign the developer in at once). */
export async function signUp(page, portico, { fullName, email }) {
  await page.goto(`${portico.portalUrl}/`);
  await page.getByRole("banner").getByRole("link", { name: "Sign up" }).click();
  await page.getByLabel("Full name").fill(fullName);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEVELOPER_PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("heading", { name: "My Apps" }).waitFor();
}

/**
 * "Create an application with DCR": My Apps, New App, the Create New Application form,
 * Create. Returns the credentials read from the page and the POST's response.
 */
export async function createApplication(page, { name, redirectUri, description }) {
  await mainNav(page).getByRole("link", { name: "My Apps" }).click();
  await page.getByRole("heading", { name: "My Apps" }).waitFor();
  await page.getByRole("link", { name: "New App" }).first().click();
  await page.getByRole("heading", { name: "Create New Application" }).waitFor();
  await fillApplicationForm(page, { name, redirectUri, description });
  const [response] = await Promise.all([
    page.waitForResponse((response) => response.request().method() === "POST"),
    page.getByRole("button", { name: "Create" }).click(),
  ]);
  await page.waitForLoadState("domcontentloaded");
  return { response, ...(await readCredentials(page)) };
}

export async function fillApplicationForm(page, { name, redirectUri, description }) {
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Redirect URI").fill(redirectUri ?? "");
  await page.getByLabel("Description").fill(description ?? "");
}

/** The Client ID and Client Secret as the page shows them (or nulls when it does not). */
export async function readCredentials(page) {
  const hasSecret = (await page.getByText("Client Secret", { exact: true }).count()) > 0
    && (await page.locator("#client-secret").count()) > 0;
  if (!hasSecret) return { clientId: null, clientSecret: null };
  const clientId = (await page.locator("#client-id").textContent()).trim();
  const clientSecret = (await page.locator("#client-secret").textContent()).trim();
  return { clientId, clientSecret };
}

export function mainNav(page) {
  return page.getByRole("navigation", { name: "Main" });
}

/** Calls the gateway the way the seed's curl line does. */
export async function callGateway(proxyUrl, path, clientId, clientSecret) {
  const response = await fetch(`${proxyUrl}${path}`, {
    headers: clientId ? { authorization: `Basic ${clientId}:${clientSecret}` } : {},
  });
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** Asserts the page's whole HTML does not contain `secret`. */
export async function assertNoSecret(page, secret, where) {
  let html;
  for (let attempt = 0; ; attempt++) {
    await page.waitForLoadState("load").catch(() => {});
    try {
      html = await page.content();
      break;
    } catch (error) {
      // The page was still navigating (a reload that re-sends a form); look again.
      if (attempt >= 20) throw error;
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  if (process.env.PORTICO_DEBUG_PAGES) {
    console.error(`[${where}] ${page.url()}\n${html.replace(/\s+/g, " ").slice(0, 1500)}`);
  }
  assert.ok(!html.includes(secret), `the client secret must not be shown again (${where})`);
}
