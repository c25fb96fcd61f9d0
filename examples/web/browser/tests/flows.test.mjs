// The Credentials web application's remaining flows in headless Chromium (issue 17):
// resynchronising a drifted authenticator app, the MFA "Enabled" switch, the Preferred
// MFA Method, the forgot-password flow with MFA on, and an account managed by an
// identity provider. Every page visited gets a screenshot and an axe-core check.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { App, button, currentStep, launchBrowser, signIn as signInAt, signOut, signUp as signUpAt, startApp, totp, visit } from '../harness.mjs';

let server;
let browser;

before(async () => {
  server = await startApp();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const signUp = (page, username, password) => signUpAt(server.url, page, username, password);
const signIn = (page, username, password) => signInAt(server.url, page, username, password);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function newPage() {
  const context = await browser.newContext();
  return context.newPage();
}

const mainText = (page) => page.locator('main').innerText();

/** A new account, signed in on a new page, on its Credentials page. */
async function newAccount(username) {
  const page = await newPage();
  await signUp(page, username);
  await signIn(page, username);
  await page.waitForURL(/\/credentials$/);
  return page;
}

/** A fresh second factor when the page asks for one, with `app`. */
async function stepUpIfAsked(page, app) {
  if (new URL(page.url()).pathname !== '/step-up') return false;
  await page.getByLabel('Authorization code').fill(await app.freshCode());
  await button(page, 'Authorize').click();
  await page.waitForURL(/\/credentials$/);
  return true;
}

/**
 * Runs `action` (a form submission on the Credentials page); when the application asks
 * for a fresh second factor first, gives it with `app` and runs `action` again.
 */
async function withStepUp(page, app, action, what) {
  await action();
  await page.waitForLoadState();
  if (await stepUpIfAsked(page, app)) {
    console.log(`# ${what}: the application asked for a fresh second factor first`);
    await action();
  }
  await page.waitForURL(/\/credentials$/);
}

/** Sets up the first authenticator app (MFA goes on, recovery codes shown); returns its App. */
async function setUpFirstApp(page, name = 'Phone') {
  await page.goto(`${server.url}/credentials`);
  await page.getByLabel('Device name').fill(name);
  await button(page, 'Set up authenticator app').click();
  await page.waitForURL(/\/credentials\/app$/);
  const app = new App(await page.locator('#totp-key').innerText());
  const [first, second] = await app.twoCodes();
  await page.getByLabel('First code').fill(first);
  await page.getByLabel('Second code').fill(second);
  await button(page, 'Submit').click();
  await page.waitForURL(/\/credentials\/app\/activate$/);
  assert.match(await mainText(page), /multi-factor authentication is on/i);
  await page.goto(`${server.url}/credentials`);
  return app;
}

/** The newest message in the outbox whose row has `hasText`, and the code in it. */
async function outboxCode(hasText, pattern) {
  const outbox = await newPage();
  await outbox.goto(`${server.url}/dev/outbox`);
  const row = outbox.locator('tbody tr', { hasText }).first();
  const text = (await row.count()) ? await row.innerText() : '';
  await outbox.context().close();
  const code = text.match(pattern)?.[1];
  assert.ok(code, `a code in the outbox (${hasText}): ${text}`);
  return code;
}

/** Not in a step's last 3 s, so codes computed now are checked in the same step. */
async function awayFromStepEnd() {
  while (Date.now() % 30_000 > 27_000) await sleep(250);
}

/** The text of the Methods table's row for `method` (its display name). */
async function methodRow(page, method) {
  return page.locator('table', { has: page.locator('caption', { hasText: 'Methods' }) })
    .locator('tr', { has: page.getByRole('rowheader', { name: method, exact: true }) })
    .innerText();
}

describe('the remaining Credentials flows', () => {
  test('resync: a drifted app is refused, resynchronised with two codes, then accepted', async () => {
    const laptop = await newAccount('ruth');
    const app = await setUpFirstApp(laptop);
    // The phone's clock now runs 5 steps (2.5 minutes) fast: outside the server's
    // window of one step either way, inside resync's search of 10 steps either way
    // (tessera-otp's Totp::DEFAULT_RESYNC_RANGE, the registry's default).
    const DRIFT = 5;
    const drifted = (offset = 0) => totp(app.key, currentStep() + DRIFT + offset);
    const phone = await newPage();
    await signIn(phone, 'ruth');
    await phone.waitForURL(/\/sign-in\/second-factor$/);
    await awayFromStepEnd();
    await phone.getByLabel('Authorization code').fill(drifted());
    await button(phone, 'Authorize').click();
    await phone.waitForURL(/\/sign-in\/second-factor$/);
    assert.match(await phone.getByRole('alert').innerText(), /That code did not work/);
    // Two consecutive codes of the drifted phone: the previous step's and the current one's.
    await laptop.goto(`${server.url}/credentials`);
    await awayFromStepEnd();
    await laptop.getByLabel('Code', { exact: true }).fill(drifted(-1));
    await laptop.getByLabel('Next code', { exact: true }).fill(drifted());
    await button(laptop, 'Resync Phone').click();
    await laptop.waitForURL(/\/credentials$/);
    assert.match(await laptop.getByRole('status').first().innerText(), /The device is in sync again/);
    await visit(laptop, 'flows-resync', assert);
    // The drifted phone's next code is accepted now (the resync used the current one).
    await phone.getByLabel('Authorization code').fill(drifted(1));
    await button(phone, 'Authorize').click();
    await phone.waitForURL(/\/credentials$/);
    assert.match(await mainText(phone), /Signed in as ruth/);
    await phone.context().close();
    await laptop.context().close();
  });

  test('the Enabled switch: off, sign-in needs no second factor; on, it does', async () => {
    const page = await newAccount('sandor');
    const app = await setUpFirstApp(page);
    assert.ok(await page.getByLabel('Enabled').isChecked());
    await withStepUp(page, app, async () => {
      await page.getByLabel('Enabled').uncheck();
      await button(page, 'Save').click();
    }, 'turning MFA off');
    assert.match(await page.getByRole('status').first().innerText(), /Multi-factor authentication is off/);
    assert.equal(await page.getByLabel('Enabled').isChecked(), false);
    await visit(page, 'flows-mfa-off', assert);
    // The device stays: only the switch changed.
    assert.equal(await button(page, 'Remove Phone').count(), 1);
    await signOut(page);
    await signIn(page, 'sandor');
    await page.waitForURL(/\/credentials$/);
    // On again.
    await page.getByLabel('Enabled').check();
    await button(page, 'Save').click();
    await page.waitForLoadState();
    assert.match(await mainText(page), /Multi-factor authentication is on/);
    await page.goto(`${server.url}/credentials`);
    assert.ok(await page.getByLabel('Enabled').isChecked());
    await signOut(page);
    await signIn(page, 'sandor');
    await page.waitForURL(/\/sign-in\/second-factor$/);
    await page.getByLabel('Authorization code').fill(await app.freshCode());
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/credentials$/);
    await page.context().close();
  });

  test('the Preferred MFA Method: SMS chosen, the sign-in offers it first; unavailable methods say why', async () => {
    const page = await newAccount('tamsin');
    const app = await setUpFirstApp(page);
    const preferred = page.getByLabel('Preferred MFA Method');
    assert.equal(await preferred.inputValue(), 'authenticator_app');
    // A phone number linked but not verified yet: shown with its reason, not offered.
    await withStepUp(page, app, async () => {
      await page.getByLabel(/international format/).fill('+447700900125');
      await button(page, 'Send a code by text message').click();
    }, 'linking a phone');
    const texted = Date.now();
    assert.match(await methodRow(page, 'text message (SMS) code'), /Unavailable: phone not verified/);
    assert.equal(await preferred.locator('option[value="sms"]').count(), 0);
    const smsCode = await outboxCode('verify this phone number', /is (\d+)\./);
    await withStepUp(page, app, async () => {
      await page.getByLabel('Code from the text message').fill(smsCode);
      await button(page, 'Verify phone number').click();
    }, 'verifying the phone');
    assert.match(await page.getByRole('status').first().innerText(), /phone number is verified/);
    assert.doesNotMatch(await methodRow(page, 'text message (SMS) code'), /Unavailable/);
    // A method that cannot be preferred: no hardware token, so not offered, and why.
    assert.match(await methodRow(page, 'hardware token'), /Unavailable: not configured/);
    assert.equal(await preferred.locator('option[value="hardware_token"]').count(), 0);
    // Every method the table calls unavailable is missing from the choice.
    const methods = page.locator('table', { has: page.locator('caption', { hasText: 'Methods' }) });
    for (const row of await methods.locator('tr').all()) {
      if (!/Unavailable/.test(await row.innerText())) continue;
      const name = (await row.getByRole('rowheader').innerText()).trim();
      assert.equal(await preferred.locator('option', { hasText: name }).count(), 0, `${name} is offered`);
    }
    await withStepUp(page, app, async () => {
      await preferred.selectOption('sms');
      await button(page, 'Save').click();
    }, 'choosing the preferred method');
    assert.match(await page.getByRole('status').first().innerText(), /Preferred method saved/);
    assert.equal(await preferred.inputValue(), 'sms');
    await visit(page, 'flows-preferred-method', assert);
    await signOut(page);
    // The send limits space codes to one account 30 s apart: wait out the verification's.
    while (Date.now() - texted < 31_000) await sleep(500);
    await signIn(page, 'tamsin');
    await page.waitForURL(/\/sign-in\/second-factor$/);
    assert.match(await mainText(page), /We sent a code to your phone by text message/);
    await visit(page, 'flows-second-factor-sms', assert);
    const offered = await page.getByLabel('Method', { exact: true }).locator('option').allInnerTexts();
    assert.ok(offered.includes('authenticator app'), `the app is another method: ${offered}`);
    // The method in use is offered only to send a new code.
    assert.ok(offered.includes('text message (SMS) code (send a new code)'), `${offered}`);
    assert.ok(!offered.includes('text message (SMS) code'), `${offered}`);
    await page.getByLabel('Authorization code').fill(await outboxCode('sign-in code', /sign-in code is (\d+)\./));
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/credentials$/);
    await page.context().close();
  });

  test('forgot password with MFA on: the emailed code, the second factor, a new password', async () => {
    const page = await newAccount('ulrike');
    const app = await setUpFirstApp(page);
    await signOut(page);
    await page.goto(`${server.url}/forgot-password`);
    await page.getByLabel('Username').fill('ulrike');
    await button(page, 'Email me a code').click();
    await page.waitForURL(/\/forgot-password\/code$/);
    await page.getByLabel('Code from the email').fill(await outboxCode('password reset code', /password reset code is (\d+)/));
    await button(page, 'Continue').click();
    // MFA is on: the emailed code alone does not reset the password.
    await page.waitForURL(/\/forgot-password\/second-factor$/);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Enter the authorization code');
    assert.match(await mainText(page), /Enter the 6-digit code your authenticator app shows/);
    await visit(page, 'flows-reset-second-factor', assert);
    // A wrong second factor is refused.
    const wrong = String((Number(app.lastCode()) + 1) % 1_000_000).padStart(6, '0');
    await page.getByLabel('Authorization code').fill(wrong);
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/forgot-password\/second-factor$/);
    assert.match(await page.getByRole('alert').innerText(), /That code did not work/);
    await page.getByLabel('Authorization code').fill(await app.freshCode());
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/forgot-password\/new$/);
    const fresh = 'violet tractor lemonade sunrise';
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('Confirm new password').fill(fresh);
    await button(page, 'Set new password').click();
    await page.waitForURL(/\/sign-in$/);
    assert.match(await page.getByRole('status').innerText(), /password was reset/);
    // The old password no longer works; the new one does, with the second factor.
    await signIn(page, 'ulrike');
    assert.match(await page.getByRole('alert').innerText(), /username or password is not right/);
    await signIn(page, 'ulrike', fresh);
    await page.waitForURL(/\/sign-in\/second-factor$/);
    await page.getByLabel('Authorization code').fill(await app.freshCode());
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/credentials$/);
    await page.context().close();
  });

  test('an account managed by an identity provider: no MFA controls, and the reason', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/sign-in`);
    await page.getByRole('link', { name: 'Sign in with the development identity provider' }).click();
    await page.waitForURL(/\/dev\/identity-provider$/);
    assert.match(await mainText(page), /Development only/);
    await visit(page, 'flows-identity-provider', assert);
    await page.getByLabel('Username').fill('valentina');
    await button(page, 'Continue to the application').click();
    await page.waitForURL(/\/credentials$/);
    await visit(page, 'flows-federated-credentials', assert);
    const text = await mainText(page);
    assert.match(text, /Signed in as valentina/);
    assert.match(text, /Your sign-in and its second factor are managed by Example Identity Provider \(development\)/);
    for (const label of ['Enabled', 'Preferred MFA Method', 'Current password', 'Device name', 'Code from the text message']) {
      assert.equal(await page.getByLabel(label).count(), 0, `${label} is shown`);
    }
    for (const name of ['Save', 'Change password', 'Set up authenticator app', 'Send a code by text message', 'Regenerate recovery codes']) {
      assert.equal(await button(page, name).count(), 0, `${name} is shown`);
    }
    assert.equal(await page.getByRole('heading', { name: 'Devices' }).count(), 0);
    // Force Logout and sign-out stay.
    await button(page, 'Force Logout').click();
    await page.waitForURL(/\/credentials$/);
    assert.match(await page.getByRole('status').first().innerText(), /Every other session was signed out/);
    await signOut(page);
    // A password account's username is refused by the provider.
    await signUp(page, 'wilhelmina');
    await page.goto(`${server.url}/dev/identity-provider`);
    await page.getByLabel('Username').fill('wilhelmina');
    await button(page, 'Continue to the application').click();
    assert.match(await page.getByRole('alert').innerText(), /belongs to an account that does not sign in through this identity provider/);
    await visit(page, 'flows-identity-provider-refused', assert);
    await page.goto(`${server.url}/credentials`);
    await page.waitForURL(/\/sign-in$/);
    await page.context().close();
  });
});
