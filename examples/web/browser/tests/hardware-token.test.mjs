// A hardware TOTP token added on the Credentials page (serial, seed and two consecutive
// codes, as from a seed sheet), then used for the second factor at sign-in. The token
// is simulated by the harness's RFC 6238 code generator on a seed the test makes.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { App, button, launchBrowser, signIn as signInAt, signUp as signUpAt, startApp, visit } from '../harness.mjs';

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

const signIn = (page, username, password) => signInAt(server.url, page, username, password);

/** A random 20-byte seed in base32, grouped in fours as seed sheets print it. */
function seedSheet() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of randomBytes(20)) bits += byte.toString(2).padStart(8, '0');
  let text = '';
  for (let i = 0; i < bits.length; i += 5) text += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return text.match(/.{1,4}/g).join(' ');
}

describe('a hardware token', () => {
  test('added with its serial, seed and two codes, then signs in; a bad seed is refused', async () => {
    const page = await (await browser.newContext()).newPage();
    await signUpAt(server.url, page, 'octavia');
    await signIn(page, 'octavia');
    await page.waitForURL(/\/credentials$/);

    const fill = async (serial, seed, first, second) => {
      await page.getByLabel('Token name').fill('Office fob');
      await page.getByLabel('Serial number').fill(serial);
      await page.getByLabel('Seed (base32, from the token\'s seed sheet)').fill(seed);
      await page.getByLabel('First token code').fill(first);
      await page.getByLabel('Second token code').fill(second);
      await button(page, 'Add hardware token').click();
      await page.waitForLoadState();
    };

    // A seed that is not base32: refused with what to type, nothing added.
    await fill('FOB-42', 'not a seed!', '123456', '654321');
    assert.match(await page.getByRole('alert').innerText(), /base32/);
    assert.match(await page.locator('main').innerText(), /0 of 8 devices/);

    // Wrong codes for a good seed: refused, nothing added.
    const seed = seedSheet();
    await fill('FOB-42', seed, '000000', '000000');
    assert.equal(await page.getByRole('alert').count(), 1);
    assert.match(await page.locator('main').innerText(), /0 of 8 devices/);

    const fob = new App(seed.replace(/ /g, ''));
    const [first, second] = await fob.twoCodes();
    await fill('FOB-42', seed, first, second);
    assert.match(await page.locator('main').innerText(), /hardware token is added and multi-factor authentication is on/i);
    assert.equal(await page.locator('ul.codes li').count(), 10);
    await page.goto(`${server.url}/credentials`);
    const row = page.getByRole('row', { name: /Office fob/ });
    assert.match(await row.innerText(), /Hardware token/);
    await visit(page, 'credentials-hardware-token', assert);

    await button(page, 'Sign out').click();
    await page.waitForURL(/\/sign-in$/);
    await signIn(page, 'octavia');
    await page.waitForURL(/\/sign-in\/second-factor$/);
    assert.match(await page.locator('#code-help').innerText(), /hardware token/);
    await page.getByLabel('Authorization code').fill(await fob.freshCode());
    await button(page, 'Authorize').click();
    await page.waitForURL(/\/credentials$/);
  });
});
