// The unhappy paths of the seed's steps, in a real browser: a wrong Initial Client Secret,
// Auth0 failing during Create, a credentials page that must not come back, a form posted
// without its CSRF token, and field errors that say what to fix.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { screenshots, startAll } from "./harness.mjs";
import {
  adminSignIn,
  assertNoSecret,
  configureApplicationSetup,
  createApplication,
  fillApplicationForm,
  fillApplicationSetup,
  mainNav,
  openApplicationSetup,
  readCredentials,
  setupFields,
  signUp,
} from "./steps.mjs";

let world;

before(async () => {
  world = await startAll();
});

after(async () => {
  await world?.stop();
});

async function newPage() {
  const context = await world.browser.newContext({ viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

/** The issuer of the Auth0 Application Setup in force, or null. */
async function savedIssuer() {
  const setup = await world.portico.adminApi("GET", "/v1/portal/application-setup");
  if (setup.status !== 200 || setup.body.provider_type !== "auth0") return null;
  return setup.body.issuer.replace(/\/$/, "");
}

/** Saves the Application Setup unless an earlier test did. */
async function ensureSetup() {
  const { emulator, portico } = world;
  if (await savedIssuer()) return;
  const admin = await newPage();
  await adminSignIn(admin, portico);
  await configureApplicationSetup(admin, emulator);
  await admin.context().close();
}

async function applicationCount() {
  const listed = await world.portico.adminApi("GET", "/v1/applications");
  assert.equal(listed.status, 200);
  return listed.body.data.length;
}

test("a wrong Initial Client Secret shows the verification error and keeps the other fields", () =>
  world.explain(async () => {
    const { emulator, portico } = world;
    const page = await newPage();
    await adminSignIn(page, portico);
    await openApplicationSetup(page);
    const fields = setupFields(emulator, { clientSecret: "this-is-not-the-secret" });
    await fillApplicationSetup(page, fields);
    const [response] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === "POST"),
      page.getByRole("button", { name: "Save" }).click(),
    ]);
    assert.equal(response.status(), 422);
    const alert = page.getByRole("alert");
    await alert.getByText("could not verify these settings with Auth0").waitFor();
    // The verifier's own words name the cause.
    const words = (await alert.textContent()).toLowerCase();
    assert.match(words, /secret|credentials|unauthorized|access_denied/);
    // Everything typed is kept, except the secret.
    assert.equal(await page.getByLabel("Issuer", { exact: true }).inputValue(), fields.issuer);
    assert.equal(await page.getByLabel("Client Token Audience", { exact: true }).inputValue(), fields.audience);
    assert.equal(await page.getByLabel("Scopes").inputValue(), fields.scopes);
    assert.equal(await page.getByLabel("Consumer Claims", { exact: true }).inputValue(), fields.claims);
    assert.equal(await page.getByLabel("Initial Client ID", { exact: true }).inputValue(), fields.clientId);
    assert.equal(await page.getByLabel("Initial Client Secret").inputValue(), "");
    assert.ok(!(await page.content()).includes(fields.clientSecret), "the typed secret is not echoed");
    await screenshots(page, "admin-application-setup-verification-failed");
    // Nothing was saved: no setup at the emulator's issuer exists.
    assert.equal(await savedIssuer(), null);

    // Fixing the secret saves.
    await fillApplicationSetup(page, setupFields(emulator));
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Application Setup saved").waitFor();
    assert.equal(await savedIssuer(), emulator.issuer.replace(/\/$/, ""));
    await page.context().close();
  }));

test("Auth0 failing during Create shows its message and creates nothing", () =>
  world.explain(async () => {
    const { emulator, portico } = world;
    await ensureSetup();

    const page = await newPage();
    await signUp(page, portico, { fullName: "Grace Hopper", email: "grace@example.com" });
    const before = await applicationCount();
    await emulator.failNext("POST", "/api/v2/clients", 1, 503);
    const attempt = await createApplication(page, {
      name: "Compiler",
      redirectUri: "https://compiler.example.com/callback",
      description: "Never made.",
    });
    assert.equal(attempt.response.status(), 502);
    assert.equal(attempt.clientSecret, null, "no credentials are shown");
    const alert = page.getByRole("alert");
    await alert.getByText("The application was not created.").waitFor();
    assert.match(await alert.textContent(), /identity provider is unavailable/i);
    // What was typed is still there, to try again.
    assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Compiler");
    await screenshots(page, "portal-create-failed");
    assert.equal(await applicationCount(), before, "no application was created");
    await mainNav(page).getByRole("link", { name: "My Apps" }).click();
    await page.getByText("You have no applications yet.").waitFor();

    // Once Auth0 answers again, the same form creates the application.
    await page.getByRole("link", { name: "New App" }).first().click();
    const retried = await createApplication(page, {
      name: "Compiler",
      redirectUri: "https://compiler.example.com/callback",
      description: "Made on the second try.",
    });
    assert.ok(retried.clientSecret);
    assert.equal(await applicationCount(), before + 1);
    await page.context().close();
  }));

test("the credentials page cannot be shown again after leaving it", () =>
  world.explain(async () => {
    const { portico } = world;
    await ensureSetup();
    const page = await newPage();
    await signUp(page, portico, { fullName: "Alan Turing", email: "alan@example.com" });
    const created = await createApplication(page, {
      name: "Enigma",
      redirectUri: "https://enigma.example.com/callback",
      description: "Reads messages.",
    });
    assert.ok(created.clientSecret);
    const detailsUrl = `${portico.portalUrl}/apps/`;
    await page.getByRole("link", { name: "Proceed" }).click();
    await page.waitForURL((url) => url.href.startsWith(detailsUrl));
    const applicationUrl = page.url();
    await assertNoSecret(page, created.clientSecret, "details page");

    // Back to where the secret was, then reload: the secret must not come back.
    await page.goBack().catch(() => {});
    await page.waitForLoadState("domcontentloaded").catch(() => {});
    await assertNoSecret(page, created.clientSecret, "after going back");
    await page.reload().catch(() => {});
    await page.waitForLoadState("domcontentloaded").catch(() => {});
    await assertNoSecret(page, created.clientSecret, "after reloading");
    if (page.url().endsWith("/apps/new")) {
      // Chromium sent the form again: the idempotency key in it made nothing new.
      await page.getByRole("heading", { name: "This application was already created" }).waitFor();
      await screenshots(page, "portal-create-resent");
    }
    const again = await readCredentials(page);
    assert.notEqual(again.clientSecret, created.clientSecret);

    // No GET shows it: the form, the list, the details.
    for (const path of ["/apps/new", "/apps", applicationUrl.slice(portico.portalUrl.length)]) {
      await page.goto(`${portico.portalUrl}${path}`);
      await assertNoSecret(page, created.clientSecret, `GET ${path}`);
    }
    // A re-sent form made no second application (its idempotency key was used up).
    await page.goto(`${portico.portalUrl}/apps`);
    assert.equal(await page.getByText("Enigma", { exact: true }).count(), 1);

    // Regenerating shows a new secret once, the same way.
    await page.goto(applicationUrl);
    await page.getByRole("link", { name: "Regenerate secret" }).click();
    const [response] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === "POST"),
      page.getByRole("button", { name: "Regenerate secret" }).click(),
    ]);
    assert.equal(response.headers()["cache-control"], "no-store");
    const regenerated = await readCredentials(page);
    assert.equal(regenerated.clientId, created.clientId);
    assert.ok(regenerated.clientSecret && regenerated.clientSecret !== created.clientSecret);
    await page.getByText("the Client Secret is shown only once").waitFor();
    await page.getByRole("link", { name: "Proceed" }).click();
    await page.waitForURL(applicationUrl);
    await assertNoSecret(page, regenerated.clientSecret, "details after regenerating");

    // Delete, after a confirmation page.
    await page.getByRole("link", { name: "Delete" }).click();
    await page.getByRole("heading", { name: "Delete Enigma?" }).waitFor();
    await screenshots(page, "portal-delete-confirmation");
    await page.getByRole("button", { name: "Delete application" }).click();
    await page.getByText("Application deleted.").waitFor();
    assert.equal(await page.getByText("Enigma", { exact: true }).count(), 0);
    await page.context().close();
  }));

test("a form posted without its CSRF token is refused", () =>
  world.explain(async () => {
    const { portico } = world;
    const page = await newPage();
    await signUp(page, portico, { fullName: "Katherine Johnson", email: "katherine@example.com" });
    const before = await applicationCount();
    await mainNav(page).getByRole("link", { name: "My Apps" }).click();
    await page.getByRole("link", { name: "New App" }).first().click();
    await fillApplicationForm(page, { name: "Trajectory", redirectUri: "", description: "" });
    await page.evaluate(() =>
      document.querySelector('form[action="/apps/new"] input[name="_csrf"]').remove());
    const [response] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === "POST"),
      page.getByRole("button", { name: "Create" }).click(),
    ]);
    assert.equal(response.status(), 403);
    await page.getByRole("heading", { name: "This form could not be accepted" }).waitFor();
    await screenshots(page, "portal-csrf-refused");
    assert.equal(await applicationCount(), before, "nothing was created");

    // A token from another browser does not do either.
    await page.goto(`${portico.portalUrl}/apps/new`);
    await fillApplicationForm(page, { name: "Trajectory", redirectUri: "", description: "" });
    await page.evaluate(() => {
      document.querySelector('form[action="/apps/new"] input[name="_csrf"]').value = "0".repeat(64);
    });
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "This form could not be accepted" }).waitFor();

    // A cross-site style POST with the browser's cookies but no token: refused too.
    const forged = await page.request.post(`${portico.portalUrl}/apps/new`, {
      form: { name: "Forged", description: "", redirect_uri: "" },
      maxRedirects: 0,
    });
    assert.equal(forged.status(), 403);
    assert.equal(await applicationCount(), before);

    // The admin console refuses the same way.
    const admin = await newPage();
    await adminSignIn(admin, portico);
    await admin.goto(`${portico.adminUrl}/settings/portal`);
    await admin.evaluate(() =>
      document.querySelector('form[action="/settings/portal"] input[name="_csrf"]').remove());
    await admin.getByRole("button", { name: "Save" }).click();
    await admin.getByRole("heading", { name: "This form could not be accepted" }).waitFor();
    await admin.context().close();
    await page.context().close();
  }));

test("field errors say what to fix, next to the field", () =>
  world.explain(async () => {
    const { portico } = world;
    const page = await newPage();
    await page.goto(`${portico.portalUrl}/signup`);
    await page.getByLabel("Full name").fill("Short Password");
    await page.getByLabel("Email").fill("short@example.com");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByText("Password must be at least 8 characters").waitFor();
    assert.equal(await page.getByLabel("Email").inputValue(), "short@example.com");
    assert.equal(await page.getByLabel("Password").getAttribute("aria-invalid"), "true");
    await screenshots(page, "portal-signup-field-error");

    // A wrong password at sign-in says so, without telling which part was wrong.
    await page.goto(`${portico.portalUrl}/signin`);
    await page.getByLabel("Email").fill("nobody@example.com");
    await page.getByLabel("Password").fill("whatever-it-is");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("The email or password is wrong").waitFor();

    // A wrong admin token is refused with a hint where the right one is.
    const admin = await newPage();
    await admin.goto(`${portico.adminUrl}/signin`);
    await admin.getByLabel("Admin token").fill("not-the-token");
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.getByText("That admin token is not right.").waitFor();
    await screenshots(admin, "admin-signin-wrong-token");
    await admin.context().close();
    await page.context().close();
  }));
