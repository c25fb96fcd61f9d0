// The test harness: starts the application binary on a free port, launches Debian's
// Chromium through playwright-core (never a downloaded browser), computes TOTP codes
// (RFC 6238 with HMAC-SHA1, RFC 4226 §5.3 truncation), and runs axe-core on pages.

import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const repo = resolve(here, '../../..');
export const screenshots = join(here, 'screenshots');

/** The application binary: $TESSERA_WEB_BIN, else the cargo target folder's debug build. */
function binary() {
  if (process.env.TESSERA_WEB_BIN) return process.env.TESSERA_WEB_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(repo, 'target');
  return join(target, 'debug', 'tessera-web');
}

/** Starts the application on a free port, with the fast lockout (see `Options::fast_lockout`); resolves with its base URL and a stop function. */
export function startApp() {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary(), ['--port', '0', '--fast-lockout'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`the app printed no address in 30 s: ${err}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/(?:localhost|127\.0\.0\.1):\d+)/);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ url: match[1], stop: () => child.kill('SIGTERM'), logs: () => err });
      }
    });
    child.stderr.on('data', (chunk) => { err += chunk; });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the app exited (${code}): ${err}`)); });
  });
}

/** Debian's Chromium, headless, a fresh profile (playwright makes a temporary user-data-dir). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-quic',
    ],
  });
}

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/[=\s]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The TOTP code of `key` (base32) at time step `step` (30 s steps, 6 digits, SHA-1). */
export function totp(key, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(key)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(binary).padStart(6, '0');
}

export const currentStep = () => Math.floor(Date.now() / 30_000);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * An authenticator app for one key: the server refuses a step it has seen (replay), and
 * accepts one step either way, so the next code is the step after the last one used,
 * once the clock allows it.
 */
export class App {
  constructor(key) { this.key = key; this.last = currentStep(); }
  /** Two consecutive codes for activation: the previous step's and the current one's. */
  async twoCodes() {
    // Not in a step's last 3 s: the server checks the pair against its own clock, and
    // a step that ends in flight would leave the older code outside the ±1 window.
    while (Date.now() % 30_000 > 27_000) await sleep(250);
    const t = currentStep();
    this.last = t;
    return [totp(this.key, t - 1), totp(this.key, t)];
  }
  /** A code the server has not seen, waiting for the clock when needed. */
  async freshCode() {
    const next = this.last + 1;
    while (next > currentStep() + 1) await sleep(500);
    this.last = next;
    return totp(this.key, next);
  }
  /** The last code used (a replay). */
  lastCode() { return totp(this.key, this.last); }
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const a11y = {};

/**
 * The accessibility figures of this process's test file: `a11y-<file>.json` beside
 * this harness (`a11y-credentials.json` for tests/credentials.test.mjs). `node --test`
 * runs each test file in a process of its own, each with its own `a11y`; one shared
 * file would keep only the last process's pages.
 */
export const a11yReport = join(here, `a11y-${reportName(process.argv[1])}.json`);

function reportName(script) {
  const name = script ? basename(script).replace(/(\.test)?\.m?js$/, '') : '';
  return name || `pid-${process.pid}`;
}

/**
 * axe-core on the page; records the violations by impact under `name`. The script is
 * evaluated through DevTools (page.evaluate), which the page's CSP does not govern: the
 * application's CSP stays as strict as in production.
 */
export async function checkA11y(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  const counts = { minor: 0, moderate: 0, serious: 0, critical: 0 };
  for (const v of result.violations) counts[v.impact] = (counts[v.impact] || 0) + v.nodes.length;
  a11y[name] = { counts, rules: result.violations.map((v) => `${v.impact}: ${v.id}`) };
  mkdirSync(screenshots, { recursive: true });
  writeFileSync(a11yReport, JSON.stringify(a11y, null, 2) + '\n');
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The pages the README shows, as small viewport-only screenshots in screenshots/readme/. */
const README_PAGES = new Set(['credentials', 'authenticator-setup', 'second-factor']);

/** A screenshot of the page, and the accessibility check; fails on serious or critical. */
export async function visit(page, name, assert) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  if (process.env.UPDATE_README_SCREENSHOTS && README_PAGES.has(name)) {
    mkdirSync(join(screenshots, 'readme'), { recursive: true });
    await page.setViewportSize({ width: 900, height: 640 });
    await page.screenshot({ path: join(screenshots, 'readme', `${name}.png`) });
    await page.setViewportSize({ width: 1280, height: 720 });
  }
  const bad = await checkA11y(page, name);
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), [], `accessibility of ${name}`);
}

/** The password every test account signs up with. */
export const PASSWORD = 'correct horse battery staple';

/** The button named exactly `name`. */
export const button = (page, name) => page.getByRole('button', { name, exact: true });

/** Signs `username` up on the application at `base`, and waits for the sign-in page. */
export async function signUp(base, page, username, password = PASSWORD) {
  await page.goto(`${base}/sign-up`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await button(page, 'Create account').click();
  await page.waitForURL(/\/sign-in$/);
}

/** Signs in with the password on the application at `base`; the next page has loaded. */
export async function signIn(base, page, username, password = PASSWORD) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await button(page, 'Sign in').click();
  await page.waitForLoadState();
}

/** Signs out, back on the sign-in page. */
export async function signOut(page) {
  await button(page, 'Sign out').click();
  await page.waitForURL(/\/sign-in$/);
}
