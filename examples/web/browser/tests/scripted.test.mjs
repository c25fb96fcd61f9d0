// The two things the pages use JavaScript for, in headless Chromium:
// - a FIDO security key end to end through Chromium's virtual authenticator (the
//   DevTools WebAuthn domain, a CTAP2 USB key with user verification): registered on the
//   Credentials page, used for the second factor at sign-in and for a step-up, and the
//   attacks a page cannot stop but the server must: the same key registered twice, a
//   forged assertion, a replayed one;
// - the password policy's violations shown as the person types.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { button, launchBrowser, signIn as signInAt, signUp as signUpAt, startApp, visit } from '../harness.mjs';

const KEY_FAILED = /The security key was not accepted/;
let server;
let browser;

before(async () => {
  server = await startApp();
  // WebAuthn needs a secure context: the app is served on http://localhost.
  assert.match(server.url, /^http:\/\/localhost:\d+$/);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const signIn = (page, username, password) => signInAt(server.url, page, username, password);

/** A page with a virtual security key attached; the DevTools session and the key's id. */
async function pageWithKey() {
  const page = await (await browser.newContext()).newPage();
  const devtools = await page.context().newCDPSession(page);
  await devtools.send('WebAuthn.enable');
  const { authenticatorId } = await devtools.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const credentials = async () =>
    (await devtools.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  return { page, credentials };
}

async function signUpAndIn(page, username) {
  await signUpAt(server.url, page, username);
  await signIn(page, username);
}

/** The credential JSON the page posted to `path` (read from the request the browser sent). */
function capturePosted(page, path) {
  const posted = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === path) {
      posted.push(new URLSearchParams(request.postData() || '').get('credential'));
    }
  });
  return posted;
}

/** On a ceremony page, posts `credential` instead of asking the key (what a forger sends). */
async function postInstead(page, credential) {
  await page.evaluate((value) => {
    const form = document.getElementById('webauthn-form');
    form.elements.credential.value = value;
    form.submit();
  }, credential);
  await page.waitForLoadState();
}

describe('a FIDO security key through Chromium\'s virtual authenticator', () => {
  test('registered, used at sign-in and for a step-up; duplicates, forgeries and replays refused', async () => {
    const { page, credentials } = await pageWithKey();
    await signUpAndIn(page, 'kiri');
    await page.waitForURL(/\/credentials$/);

    // Registration: the first factor bound turns MFA on and shows the recovery codes.
    await page.getByLabel('Security key name').fill('Blue key');
    await button(page, 'Add security key').click();
    await page.waitForURL(/\/credentials\/security-key$/);
    await visit(page, 'security-key-register', assert);
    await button(page, 'Register security key').click();
    await page.waitForURL(/\/credentials\/security-key\/finish$/);
    assert.match(await page.locator('main').innerText(), /security key is registered and multi-factor authentication is on/i);
    assert.equal(await page.locator('ul.codes li').count(), 10, 'ten recovery codes, shown once');
    assert.equal((await credentials()).length, 1, 'the key holds one credential');

    await page.goto(`${server.url}/credentials`);
    const row = page.getByRole('row', { name: /Blue key/ });
    assert.match(await row.innerText(), /Security key/);
    assert.equal(await row.getByRole('button', { name: /^Resync/ }).count(), 0, 'a key has nothing to resync');
    assert.ok(await page.getByLabel('Enabled').isChecked(), 'MFA is on');

    // Sign-in: the password, then the key.
    await button(page, 'Sign out').click();
    await page.waitForURL(/\/sign-in$/);
    const posted = capturePosted(page, '/sign-in/security-key/finish');
    await signIn(page, 'kiri');
    await page.waitForURL(/\/sign-in\/second-factor$/);
    await button(page, 'Use a security key').click();
    await page.waitForURL(/\/sign-in\/security-key$/);
    await visit(page, 'security-key-sign-in', assert);
    const before = (await credentials())[0].signCount;
    await button(page, 'Use security key').click();
    await page.waitForURL(/\/credentials$/);
    assert.ok((await credentials())[0].signCount > before, 'the signature counter grew');
    assert.equal(posted.length, 1);
    const used = posted[0];
    assert.match(JSON.parse(used).response.signature, /^[A-Za-z0-9_-]+$/, 'a real assertion was posted');

    // The same key again (the second factor is fresh: no step-up): the browser refuses,
    // as the server excluded the key's credential, and the page says so.
    await page.getByLabel('Security key name').fill('Blue key again');
    await button(page, 'Add security key').click();
    await page.waitForURL(/\/credentials\/security-key$/);
    await button(page, 'Register security key').click();
    await page.getByText('This security key is already registered.').waitFor();
    assert.equal((await credentials()).length, 1, 'no second credential was made');

    await page.goto(`${server.url}/credentials`);

    // A forged assertion and a replayed one: each refused with the one message, and
    // neither signs in.
    await button(page, 'Sign out').click();
    await page.waitForURL(/\/sign-in$/);
    await signIn(page, 'kiri');
    await page.waitForURL(/\/sign-in\/second-factor$/);
    await button(page, 'Use a security key').click();
    await page.waitForURL(/\/sign-in\/security-key$/);
    const forged = JSON.parse(used);
    forged.response.signature = forged.response.signature.slice(0, -4) + 'AAAA';
    await postInstead(page, JSON.stringify(forged));
    await page.waitForURL(/\/sign-in\/second-factor$/);
    assert.match(await page.getByRole('alert').innerText(), KEY_FAILED, 'a forged signature');

    await button(page, 'Use a security key').click();
    await page.waitForURL(/\/sign-in\/security-key$/);
    await postInstead(page, used);
    await page.waitForURL(/\/sign-in\/second-factor$/);
    assert.match(await page.getByRole('alert').innerText(), KEY_FAILED, 'a replayed assertion');

    await page.goto(`${server.url}/credentials`);
    assert.notEqual(new URL(page.url()).pathname, '/credentials', 'not signed in');
    await page.goto(`${server.url}/sign-in/second-factor`);

    // The key still works after the refusals (within the throttle's free attempts).
    await button(page, 'Use a security key').click();
    await page.waitForURL(/\/sign-in\/security-key$/);
    await button(page, 'Use security key').click();
    await page.waitForURL(/\/credentials$/);

    // A step-up answered with the key (the page a sensitive change sends to once the
    // second factor is older than the app's five minutes).
    await page.goto(`${server.url}/step-up`);
    await button(page, 'Use a security key').click();
    await page.waitForURL(/\/step-up\/security-key$/);
    await button(page, 'Use security key').click();
    await page.waitForURL(/\/credentials$/);
    assert.match(await page.getByRole('status').first().innerText(), /Confirmed/);
  });
});

describe('password violations as the person types', () => {
  test('the sign-up and change forms list what the policy says before submit', async () => {
    const page = await (await browser.newContext()).newPage();
    const checks = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/password/check') checks.push(request);
    });
    await page.goto(`${server.url}/sign-up`);
    await page.getByLabel('Username').fill('mirela');
    await page.getByLabel('Email').fill('mirela@example.com');
    const password = page.getByLabel('Password', { exact: true });
    const list = page.locator('#password-violations li');
    await password.pressSequentially('mirela2024', { delay: 20 });
    await list.first().waitFor();
    const said = (await list.allInnerTexts()).join(' | ');
    assert.match(said, /15/, `the length is named: ${said}`);
    assert.match(said, /username|name/i, `the username inside is named: ${said}`);
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    await visit(page, 'sign-up-typing', assert);

    await password.fill('');
    await password.pressSequentially('quiet lanterns drift over harbour', { delay: 5 });
    await page.waitForFunction(() =>
      document.getElementById('password')?.getAttribute('aria-invalid') === 'false');
    assert.equal(await list.count(), 0, 'a good passphrase: nothing listed');
    // The password went in POST bodies only, never in a URL.
    assert.ok(checks.length >= 2);
    for (const request of checks) {
      assert.equal(request.method(), 'POST');
      assert.equal(new URL(request.url()).search, '');
      assert.doesNotMatch(request.url(), /lanterns|mirela2024/);
    }

    // The submit still checks everything, and the account works.
    await button(page, 'Create account').click();
    await page.waitForURL(/\/sign-in$/);
    await page.getByLabel('Username').fill('mirela');
    await page.getByLabel('Password').fill('quiet lanterns drift over harbour');
    await button(page, 'Sign in').click();
    await page.waitForURL(/\/credentials$/);

    // The change form: the account's own name counts, as on submit.
    const fresh = page.getByLabel('New password', { exact: true });
    await fresh.pressSequentially('mirela mirela mirela', { delay: 5 });
    const changeList = page.locator('#new-violations li');
    await changeList.first().waitFor();
    assert.match((await changeList.allInnerTexts()).join(' | '), /username|name/i);

    // A form posted with another token (a forged cross-site post): refused, with a page
    // that says what to do.
    await page.evaluate(() => {
      const form = document.querySelector('form[action="/credentials/password"]');
      form.elements.csrf.value = 'forged';
      form.submit();
    });
    // The submit navigates: wait for the answer's page, not the current one's load state.
    await page.getByRole('heading', { level: 1, name: 'Form expired' }).waitFor();
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Form expired');
    await visit(page, 'form-expired', assert);
  });
});
