// SPDX-License-Identifier: MIT
// Two-factor sign-in as a person sets it up and uses it: the QR code and the key on the
// Account page, a code from Debian's oathtool (a real authenticator nobody here wrote), the
// recovery codes shown once, then a sign-in that asks for the code after the password.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  JetonServer, ADMIN_EMAIL, TEST_TIMEOUT, launchBrowser, newContext, login, submitLogin, gotoConsole,
  screenshot,
} from './lib/jeton.js';

/** The code oathtool gives for the key at a unix time. */
function code(secret, at) {
  return execFileSync('oathtool', ['--totp', '-b', secret, '-N', `@${at}`], { encoding: 'utf8' }).trim();
}

const now = () => Math.floor(Date.now() / 1000);

describe('two-factor sign-in', { timeout: 120_000 }, () => {
  let server, browser, context, page, secret;

  before(async () => {
    server = await new JetonServer().start();
    browser = await launchBrowser();
    context = await newContext(browser, server);
    page = await context.newPage();
    await login(page, ADMIN_EMAIL, server.adminPassword);
  });

  after(async () => {
    await browser?.close();
    await server?.finish();
  });

  test('1. enrol: the QR code and the key, on only after a code; recovery codes shown once',
    { timeout: TEST_TIMEOUT }, async () => {
      await gotoConsole(page, '/console/account');
      await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
      await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
      const qr = page.getByRole('img', { name: 'QR code of your two-factor key' });
      await qr.waitFor();
      assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code did not load');
      secret = (await page.locator('#totp-secret').innerText()).trim();
      assert.match(secret, /^[A-Z2-7]{32}$/);
      await screenshot(page, 'two-factor-enrol.png');

      await page.getByLabel('Code from the app').fill('000000');
      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      await page.locator('#totp-error').waitFor();
      await page.getByLabel('Code from the app').fill(code(secret, now()));
      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      await page.locator('#recovery-codes').waitFor();
      assert.equal(await page.locator('#recovery-codes li').count(), 10);
      await screenshot(page, 'two-factor-recovery-codes.png');
      await page.getByRole('link', { name: 'Done' }).click();
      assert.match(await page.locator('#two-factor').innerText(), /On: sign-in asks for a code/);
    });

  test('2. sign-in asks for the code after the password', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await submitLogin(page, ADMIN_EMAIL, server.adminPassword);
    await page.waitForURL('**/login/2fa**');
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Two-factor sign-in');
    await screenshot(page, 'two-factor-sign-in.png');
    await page.getByLabel('Code').fill('123456');
    await page.getByRole('button', { name: 'Verify' }).click();
    assert.match(await page.locator('#login-error').innerText(), /not right/);
    // the enrolment spent this step's code: the next step's is within the allowed skew
    await page.getByLabel('Code').fill(code(secret, now() + 30));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL('**/console/tokens');
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Personal access tokens');
  });
});
