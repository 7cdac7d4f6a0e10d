// SPDX-License-Identifier: MIT
// Two-factor sign-in as a person sets it up and uses it: the QR code and the key on the
// Account page, a code from Debian's oathtool (a real authenticator nobody here wrote), the
// recovery codes shown once, then a sign-in that asks for the code after the password. Then an
// admin requires it of everyone on the Policy page and adds a user, whose generated one-time
// password must be changed first and who is then sent to enrol; that user counts their unused
// recovery codes and makes a new set, which ends the old one, signs in elsewhere with a recovery
// code and signs that session out; the admin resets her second factor and her password on the
// Users page; wrong codes are throttled.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  JetonServer, ADMIN_EMAIL, TEST_TIMEOUT, launchBrowser, newContext, login, submitLogin, gotoConsole,
  screenshot, rowWith,
} from './lib/jeton.js';

/** The code oathtool gives for the key at a unix time. */
function code(secret, at) {
  return execFileSync('oathtool', ['--totp', '-b', secret, '-N', `@${at}`], { encoding: 'utf8' }).trim();
}

const now = () => Math.floor(Date.now() / 1000);

const ANA = 'ana@example.com';
const ANA_PASSWORD = 'Ana-chose-this-42-horse';

describe('two-factor sign-in', { timeout: 180_000 }, () => {
  let server, browser, context, page, secret;
  let anaContext, ana, anaSecret, anaCodes;

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

  test('3. the Policy page requires it of everyone; a new user changes the one-time password, then enrols',
    { timeout: TEST_TIMEOUT }, async () => {
      await gotoConsole(page, '/console/policy');
      await page.getByLabel('Two-factor sign-in required of').selectOption('all');
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.waitForURL('**/console/policy?done=saved');   // enrolled already: not sent away
      assert.equal(await page.getByLabel('Two-factor sign-in required of').inputValue(), 'all');
      await screenshot(page, 'policy-two-factor.png');

      await gotoConsole(page, '/console/users');
      await page.getByLabel('Email', { exact: true }).fill(ANA);
      await page.getByRole('button', { name: 'Add user' }).click();
      await page.locator('#secret').waitFor();
      const oneTime = (await page.locator('#secret').innerText()).trim();
      assert.match(await page.getByRole('status').innerText(), /one-time password/);

      anaContext = await newContext(browser, server);
      ana = await anaContext.newPage();
      await login(ana, ANA, oneTime);
      await ana.waitForURL('**/console/account');
      assert.match(await ana.locator('#must-change').innerText(), /one-time password/);
      await ana.goto('/console/tokens');                        // nothing else opens before
      await ana.waitForURL('**/console/account');
      await ana.getByLabel('Current password').fill(oneTime);
      await ana.getByLabel('New password', { exact: true }).fill(ANA_PASSWORD);
      await ana.getByLabel('New password again').fill(ANA_PASSWORD);
      await ana.getByRole('button', { name: 'Change password' }).click();
      await ana.getByRole('status').waitFor();

      await ana.goto('/console/tokens');                        // the policy: enrol first
      await ana.waitForURL('**/console/account/2fa');
      assert.match(await ana.locator('#must-enrol').innerText(), /require two-factor sign-in/);
      await ana.getByRole('button', { name: 'Set up an authenticator app' }).click();
      anaSecret = (await ana.locator('#totp-secret').innerText()).trim();
      await ana.getByLabel('Code from the app').fill(code(anaSecret, now()));
      await ana.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      await ana.locator('#recovery-codes').waitFor();
      anaCodes = (await ana.locator('#recovery-codes li').allInnerTexts()).map((c) => c.trim());
      assert.equal(anaCodes.length, 10);
      await ana.goto('/console/tokens');
      assert.equal(await ana.getByRole('heading', { level: 1 }).innerText(), 'Personal access tokens');
    });

  test('4. the Account page counts unused recovery codes; a new set ends the old one',
    { timeout: TEST_TIMEOUT }, async () => {
      await gotoConsole(ana, '/console/account');
      assert.match(await ana.locator('#recovery-left').innerText(), /^10 of 10 recovery codes unused/);
      // the enrolment spent this step's code: the next step's is within the allowed skew
      await ana.locator('#recovery-code').fill(code(anaSecret, now() + 30));
      await ana.getByRole('button', { name: 'Generate new recovery codes' }).click();
      await ana.locator('#recovery-codes').waitFor();
      assert.equal(await ana.getByRole('heading', { level: 1 }).innerText(), 'New recovery codes');
      assert.match(await ana.getByRole('alert').innerText(), /previous recovery codes no longer work/);
      const fresh = (await ana.locator('#recovery-codes li').allInnerTexts()).map((c) => c.trim());
      assert.equal(fresh.length, 10);
      assert.ok(!fresh.some((c) => anaCodes.includes(c)), 'a new set repeats an old code');
      await screenshot(ana, 'two-factor-recovery-renewed.png');
      await ana.getByRole('link', { name: 'Done' }).click();
      await ana.waitForURL('**/console/account');
      assert.ok(!(await ana.content()).includes(fresh[0]), 'the new codes are shown again');

      // an old code no longer signs in; a new one does, once
      await ana.getByRole('button', { name: 'Log out' }).click();
      await ana.waitForURL('**/login');
      await submitLogin(ana, ANA, ANA_PASSWORD);
      await ana.waitForURL('**/login/2fa**');
      await ana.getByLabel('Code').fill(anaCodes[1]);
      await ana.getByRole('button', { name: 'Verify' }).click();
      assert.match(await ana.locator('#login-error').innerText(), /not right/);
      await ana.getByLabel('Code').fill(fresh[1]);
      await ana.getByRole('button', { name: 'Verify' }).click();
      await ana.waitForURL('**/console/tokens');
      await gotoConsole(ana, '/console/account');
      assert.match(await ana.locator('#recovery-left').innerText(), /^9 of 10 recovery codes unused/);
      await screenshot(ana, 'account-two-factor.png');
      anaCodes = fresh;
    });

  test('5. sessions: a second browser signs in with a recovery code (once), is listed and signed out',
    { timeout: TEST_TIMEOUT }, async () => {
      const otherContext = await newContext(browser, server);
      const other = await otherContext.newPage();
      await other.goto('/login');
      await submitLogin(other, ANA, ANA_PASSWORD);
      await other.waitForURL('**/login/2fa**');
      await other.getByLabel('Code').fill(anaCodes[1]);                  // used in test 4
      await other.getByRole('button', { name: 'Verify' }).click();
      assert.match(await other.locator('#login-error').innerText(), /not right/);
      await other.getByLabel('Code').fill(anaCodes[2]);
      await other.getByRole('button', { name: 'Verify' }).click();
      await other.waitForURL('**/console/tokens');

      await gotoConsole(ana, '/console/account');
      const rows = ana.locator('#sessions tbody tr');
      assert.equal(await rows.count(), 2);
      const others = rows.filter({ has: ana.getByRole('button', { name: 'Sign out', exact: true }) });
      assert.equal(await others.count(), 1);
      await others.getByRole('button', { name: 'Sign out', exact: true }).click();
      assert.match(await ana.getByRole('status').innerText(), /session was signed out/);
      assert.equal(await ana.locator('#sessions tbody tr').count(), 1);
      await other.goto('/console/tokens');
      await other.waitForURL('**/login**');
      await otherContext.close();
    });

  test('6. an admin resets Ana\'s second factor, then her password, on the Users page',
    { timeout: TEST_TIMEOUT }, async () => {
      await gotoConsole(page, '/console/users');
      // a row's actions wrap inside the page rather than widen it past the window
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
        'the users table is wider than the window');
      await rowWith(page, ANA).getByRole('button', { name: 'Reset two-factor sign-in' }).click();
      assert.match(await page.getByRole('status').innerText(), /signs in with a password alone now/);
      await ana.goto('/console/tokens');                      // every session of hers ended
      await ana.waitForURL('**/login**');
      await submitLogin(ana, ANA, ANA_PASSWORD);                // no code asked; the policy
      await ana.waitForURL('**/console/account/2fa');           // sends her to enrol again
      assert.match(await ana.locator('#must-enrol').innerText(), /require two-factor sign-in/);

      await gotoConsole(page, '/console/users');
      await rowWith(page, ANA).getByRole('button', { name: 'Reset password' }).click();
      await page.locator('#secret').waitFor();
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Password reset');
      const oneTime = (await page.locator('#secret').innerText()).trim();
      await ana.goto('/console/account/2fa');
      await ana.waitForURL('**/login**');
      await submitLogin(ana, ANA, ANA_PASSWORD);
      assert.match(await ana.locator('#login-error').innerText(), /incorrect/);
      await submitLogin(ana, ANA, oneTime);
      await ana.waitForURL('**/console/account');               // a new password first
      assert.match(await ana.locator('#must-change').innerText(), /one-time password/);
      await anaContext.close();
    });

  test('7. wrong codes after the password are throttled', { timeout: TEST_TIMEOUT }, async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await submitLogin(page, ADMIN_EMAIL, server.adminPassword);
    await page.waitForURL('**/login/2fa**');
    const statuses = [];
    while (statuses.length < 4 && !statuses.includes(429)) {
      const answer = page.waitForResponse((r) => r.request().method() === 'POST' &&
        new URL(r.url()).pathname === '/login/2fa');
      await page.getByLabel('Code').fill('000000');
      await page.getByRole('button', { name: 'Verify' }).click();
      statuses.push((await answer).status());
    }
    // the wrong codes of tests 1 (enrolment) and 2 and this one are the free failures; then
    // each attempt waits
    assert.deepEqual(statuses, [401, 429]);
    await page.locator('#login-error').filter({ hasText: /Too many failed attempts\. Try again in \d+ seconds?\./ }).waitFor();
  });
});
