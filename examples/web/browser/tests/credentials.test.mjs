// The Credentials web application end to end in headless Chromium: every scenario of
// issue 17's browser tests that the application offers, an axe-core check and a
// screenshot of every page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { App, button, launchBrowser, PASSWORD, signIn as signInAt, signOut, signUp as signUpAt, startApp, visit } from '../harness.mjs';

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

async function newPage() {
  const context = await browser.newContext();
  return context.newPage();
}

/** A fresh second factor when the page asks for one, with `app`. */
async function stepUpIfAsked(page, app) {
  if (new URL(page.url()).pathname !== '/step-up') return false;
  await page.getByLabel('Authorization code').fill(await app.freshCode());
  await button(page, 'Authorize').click();
  await page.waitForURL(/\/credentials$/);
  return true;
}

/** Sets up an authenticator app named `name`; returns its App and the page's status text. */
async function setUpApp(page, name, stepUpApp, shoot = false) {
  await page.goto(`${server.url}/credentials`);
  await page.getByLabel('Device name').fill(name);
  await button(page, 'Set up authenticator app').click();
  await page.waitForLoadState();
  if (stepUpApp && (await stepUpIfAsked(page, stepUpApp))) {
    await page.getByLabel('Device name').fill(name);
    await button(page, 'Set up authenticator app').click();
    await page.waitForLoadState();
  }
  const key = page.locator('#totp-key');
  if ((await key.count()) === 0) return { app: null, text: await page.locator('main').innerText() };
  if (shoot) await visit(page, 'authenticator-setup', assert);
  assert.ok(await page.locator('figure.qr svg').count(), 'the QR code is shown');
  const app = new App(await key.innerText());
  const [first, second] = await app.twoCodes();
  await page.getByLabel('First code').fill(first);
  await page.getByLabel('Second code').fill(second);
  await button(page, 'Submit').click();
  await page.waitForLoadState();
  return { app, text: await page.locator('main').innerText() };
}

describe('the Credentials web application', () => {
  let ana; // Ana's authenticator app "Phone"

  test('sign-up, sign-in, an authenticator app, sign-out, sign-in with a code', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/sign-up`);
    await visit(page, 'sign-up', assert);
    // A weak password: every violation shown on submit.
    await page.getByLabel('Username').fill('analima');
    await page.getByLabel('Email').fill('analima@example.com');
    await page.getByLabel('Password', { exact: true }).fill('analima');
    await button(page, 'Create account').click();
    assert.match(await page.getByRole('alert').innerText(), /That password cannot be used/);
    await signUp(page, 'analima');
    await visit(page, 'sign-in', assert);
    await signIn(page, 'analima');
    await page.waitForURL(/\/credentials$/);
    await visit(page, 'credentials', assert);
    const { app, text } = await setUpApp(page, 'Phone', null, true);
    ana = app;
    assert.match(text, /multi-factor authentication is on/i);
    assert.equal(await page.locator('ul.codes li').count(), 10, 'ten recovery codes, shown once');
    await visit(page, 'recovery-codes', assert);
    await page.goto(`${server.url}/credentials`);
    assert.ok(await page.getByLabel('Enabled').isChecked(), 'MFA is enabled');
    assert.equal(await page.getByLabel('Preferred MFA Method').inputValue(), 'authenticator_app');
    // A second app, so that one can be removed later.
    const tablet = await setUpApp(page, 'Tablet', ana);
    assert.match(tablet.text, /Tablet/);
    await signOut(page);
    await signIn(page, 'analima');
    await page.waitForURL(/\/sign-in\/second-factor$/);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Enter the authorization code');
    await visit(page, 'second-factor', assert);
    const offered = await page.getByLabel('Method', { exact: true }).locator('option').allInnerTexts();
    assert.ok(!offered.includes('authenticator app'), `the app in use is not "another method": ${offered}`);
    assert.ok(offered.includes('recovery code'), `${offered}`);
    await page.getByLabel('Authorization code').fill(await ana.freshCode());
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/credentials$/);
    await signOut(page);
    await page.context().close();
  });

  test('a replayed code is refused', async () => {
    const page = await newPage();
    await signIn(page, 'analima');
    await page.waitForURL(/\/sign-in\/second-factor$/);
    await page.getByLabel('Authorization code').fill(ana.lastCode());
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/sign-in\/second-factor$/);
    assert.match(await page.getByRole('alert').innerText(), /That code did not work/);
    // The next code works, and this browser is trusted from now on.
    await page.getByLabel('Authorization code').fill(await ana.freshCode());
    await page.getByLabel('Trust this browser for 30 days').check();
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/credentials$/);
    await signOut(page);
    // The trusted browser skips the second factor...
    await signIn(page, 'analima');
    await page.waitForURL(/\/credentials$/);
    assert.match(await page.locator('#browsers + ul').innerText(), /Browser/);
    // ...and removing a device asks for a fresh one (a remembered browser is not one).
    await button(page, 'Remove Tablet').click();
    await page.waitForURL(/\/step-up$/);
    assert.match(await page.locator('main').innerText(), /needs a fresh second factor/);
    await visit(page, 'step-up', assert);
    await page.getByLabel('Authorization code').fill(await ana.freshCode());
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/credentials$/);
    await button(page, 'Remove Tablet').click();
    await page.waitForURL(/\/credentials$/);
    assert.match(await page.getByRole('status').first().innerText(), /The device was removed/);
    assert.equal(await button(page, 'Remove Tablet').count(), 0);
    // Still within the step-up's five minutes: new recovery codes, shown once.
    await button(page, 'Regenerate recovery codes').click();
    await page.waitForURL(/\/credentials\/recovery-codes$/);
    assert.equal(await page.locator('ul.codes li').count(), 10);
    await page.goto(`${server.url}/credentials`);
    // Rename, and forget the trusted browser.
    await page.getByLabel('New name').fill('Main phone');
    await button(page, 'Rename Phone').click();
    await page.waitForURL(/\/credentials$/);
    assert.equal(await button(page, 'Remove Main phone').count(), 1);
    await button(page, 'Revoke Browser').click();
    await page.waitForURL(/\/credentials$/);
    assert.match(await page.locator('#browsers + ul').innerText(), /No trusted browsers/);
    await page.context().close();
  });

  test('Force Logout in one browser ends the other browser\'s session', async () => {
    await signUp(await newPage(), 'bolanle');
    const laptop = await newPage();
    const phone = await newPage();
    await signIn(laptop, 'bolanle');
    await laptop.waitForURL(/\/credentials$/);
    await signIn(phone, 'bolanle');
    await phone.waitForURL(/\/credentials$/);
    // The password change shows the policy's violations on submit.
    await laptop.getByLabel('Current password').fill(PASSWORD);
    await laptop.getByLabel('New password', { exact: true }).fill('violet tractor lemonade sunrise');
    await laptop.getByLabel('Confirm new password').fill('violet tractor lemonade sunrse');
    await button(laptop, 'Change password').click();
    await laptop.waitForURL(/\/credentials$/);
    assert.match(await laptop.getByRole('alert').innerText(), /That password cannot be used/);
    // A phone number, verified by the code texted to it (read from the outbox).
    await laptop.getByLabel(/international format/).fill('+447700900123');
    await button(laptop, 'Send a code by text message').click();
    await laptop.waitForURL(/\/credentials$/);
    const outbox = await newPage();
    await outbox.goto(`${server.url}/dev/outbox`);
    const sms = await outbox.locator('tbody tr', { hasText: 'SMS' }).first().innerText();
    await outbox.context().close();
    await laptop.getByLabel('Code from the text message').fill(sms.match(/is (\d+)\./)[1]);
    await button(laptop, 'Verify phone number').click();
    await laptop.waitForURL(/\/credentials$/);
    assert.match(await laptop.getByRole('status').first().innerText(), /phone number is verified/);
    await button(laptop, 'Force Logout').click();
    await laptop.waitForURL(/\/credentials$/);
    assert.match(await laptop.getByRole('status').first().innerText(), /Every other session was signed out/);
    await phone.reload();
    await phone.waitForURL(/\/sign-in$/);
    // The one that pressed it is still signed in.
    await laptop.reload();
    assert.match(laptop.url(), /\/credentials$/);
  });

  test('the ninth device is refused', async () => {
    const page = await newPage();
    await signUp(page, 'cyrille');
    await signIn(page, 'cyrille');
    await page.waitForURL(/\/credentials$/);
    const first = await setUpApp(page, 'App 1', null);
    for (let i = 2; i <= 8; i++) {
      const added = await setUpApp(page, `App ${i}`, first.app);
      assert.ok(added.app, `device ${i} set up: ${added.text}`);
    }
    await page.goto(`${server.url}/credentials`);
    assert.match(await page.locator('main').innerText(), /8 of 8 devices/);
    const ninth = await setUpApp(page, 'App 9', first.app);
    assert.equal(ninth.app, null, 'no ninth setup page');
    assert.match(ninth.text, /already have eight devices/);
  });

  test('repeated failures lock sign-in, and the account holder is told', async () => {
    const page = await newPage();
    await signUp(page, 'dmitri');
    let locked = false;
    // The app runs with --fast-lockout: delays of 1 s after 3 failures, locked at 5.
    for (let i = 0; i < 12 && !locked; i++) {
      if (i >= 3) await new Promise((r) => setTimeout(r, 1100));
      await signIn(page, 'dmitri', 'not the password at all');
      assert.match(await page.getByRole('alert').innerText(), /sign-in is paused after too many failed attempts/);
      if (i >= 3) {
        await page.goto(`${server.url}/dev/outbox`);
        locked = /Sign-in is locked until/.test(await page.locator('main').innerText());
      }
    }
    assert.ok(locked, 'the lockout notification was sent');
    // Locked: even the right password gets the same message.
    await signIn(page, 'dmitri');
    assert.match(await page.getByRole('alert').innerText(), /sign-in is paused after too many failed attempts/);
  });

  test('forgot password: a code from the outbox, a new password', async () => {
    const page = await newPage();
    // An account of its own: another test's texted code would hold the next send back
    // (the send limits' spacing per account).
    await signUp(page, 'esther');
    await page.goto(`${server.url}/forgot-password`);
    await visit(page, 'forgot-password', assert);
    await page.getByLabel('Username').fill('esther');
    await button(page, 'Email me a code').click();
    await page.waitForURL(/\/forgot-password\/code$/);
    await visit(page, 'forgot-password-code', assert);
    const outbox = await newPage();
    await outbox.goto(`${server.url}/dev/outbox`);
    await visit(outbox, 'outbox', assert);
    // The newest reset email (notifications of other tests may arrive after it).
    const text = await outbox.locator('tbody tr', { hasText: 'password reset code' }).first().innerText();
    const code = text.match(/password reset code is (\d+)/)?.[1];
    assert.ok(code, `a reset code in the outbox: ${text}`);
    await page.getByLabel('Code from the email').fill(code);
    await button(page, 'Continue').click();
    await page.waitForURL(/\/forgot-password\/new$/);
    await visit(page, 'forgot-password-new', assert);
    const fresh = 'violet tractor lemonade sunrise';
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('Confirm new password').fill(fresh);
    await button(page, 'Set new password').click();
    await page.waitForURL(/\/sign-in$/);
    assert.match(await page.getByRole('status').innerText(), /password was reset/);
    await signIn(page, 'esther', fresh);
    await page.waitForURL(/\/credentials$/);
  });
});
