// SPDX-License-Identifier: MIT
// Token governance (issue 14) in Chromium: Authorized apps (an app authorized on the consent
// page, then revoked), the token Policy page and how My tokens follows it, All tokens
// (filter, count, confirm, revoke), and what a token's owner sees once a secret scanner's
// signed leak report has revoked it; My tokens' notice of the tokens that expire within 7 days.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  JetonServer, ADMIN_EMAIL, TEST_TIMEOUT, launchBrowser, newContext, startCallbackServer, login,
  gotoConsole, screenshot, rowWith, cell, pkce, fetchT,
} from './lib/jeton.js';

const SPACE = 'Marketing site';
const APP = 'Weekly report';

describe('token governance: authorized apps, policy, all tokens, leaks', { timeout: 240_000 }, () => {
  let server, browser, context, page, callback, app;

  before(async () => {
    server = await new JetonServer().start();
    await server.cliOk(['space', 'add', SPACE]);
    await server.cliOk(['space', 'grant', SPACE, ADMIN_EMAIL, 'editor']);
    callback = await startCallbackServer();
    const out = await server.cliOk(['app', 'create', '--name', APP, '--redirect-uri',
      `${callback.url}/cb`, '--scopes', 'read_content', '--json']);
    app = JSON.parse(out);
    browser = await launchBrowser();
    context = await newContext(browser, server);
    page = await context.newPage();
    page.on('dialog', (d) => d.accept());  // the Revoke buttons' confirmation
    await login(page, ADMIN_EMAIL, server.adminPassword);
  });

  after(async () => {
    await browser?.close();
    await callback?.close();
    await server?.finish();
  });

  test('1. an app authorized on the consent page is listed under Authorized apps and revoked there',
    { timeout: TEST_TIMEOUT }, async () => {
      const redirect = `${callback.url}/cb`;
      const { verifier, challenge } = pkce();
      const q = new URLSearchParams({ client_id: app.client_id, response_type: 'code', redirect_uri: redirect,
        scope: 'read_content', state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
      await gotoConsole(page, `/oauth/authorize?${q}`);
      const link = page.getByRole('link', { name: 'Authorized apps' });
      assert.equal(await link.getAttribute('href'), '/console/authorizations');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((u) => u.href.startsWith(redirect));
      const code = new URL(page.url()).searchParams.get('code');
      const r = await fetchT(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${encodeURIComponent(app.client_id)}:${encodeURIComponent(app.client_secret)}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect,
          code_verifier: verifier }).toString(),
      });
      const tokens = await r.json();
      assert.equal(r.status, 200, JSON.stringify(tokens));

      await gotoConsole(page, '/console');
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Authorized apps' }).click();
      await page.waitForURL('**/console/authorizations');
      const row = rowWith(page, APP);
      assert.equal(await row.count(), 1);
      assert.equal(await cell(row, 'Space'), SPACE);
      assert.equal(await cell(row, 'Scopes'), 'read_content');
      assert.equal(await cell(row, 'Live tokens'), '2');
      await screenshot(page, 'authorized-apps.png');

      await row.getByRole('button', { name: `Revoke ${APP} in ${SPACE}` }).click();
      await page.waitForURL('**/console/authorizations?done=revoked');
      assert.match(await page.getByRole('status').innerText(), /revoked/);
      assert.equal(await rowWith(page, APP).count(), 0);
      const me = await server.fetch('/v1/me', { headers: { Authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(me.status, 401);
    });

  test('2. the Policy page sets the longest lifetime, and My tokens offers only what it allows',
    { timeout: TEST_TIMEOUT }, async () => {
      await gotoConsole(page, '/console');
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Policy' }).click();
      await page.waitForURL('**/console/policy');
      await page.getByLabel('Longest lifetime').fill('30d');
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.waitForURL('**/console/policy?done=saved');
      assert.equal(await page.getByLabel('Longest lifetime').inputValue(), '30d');
      await screenshot(page, 'policy.png');

      await gotoConsole(page, '/console/tokens');
      const expiry = page.getByRole('group', { name: 'Expires' });
      assert.equal(await expiry.getByLabel('Never').count(), 0);
      assert.equal(await expiry.getByLabel('In 90 days').count(), 0);
      assert.equal(await expiry.getByLabel('In 30 days').count(), 1);
      assert.match(await page.locator('#expiry-policy').innerText(), /at most 30d/);
      await screenshot(page, 'tokens-policy.png');

      await gotoConsole(page, '/console/policy');
      await page.getByLabel('Longest lifetime').fill('');
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.waitForURL('**/console/policy?done=saved');
    });

  test('3. All tokens: filter, count what a bulk revoke would take, confirm, revoked',
    { timeout: TEST_TIMEOUT }, async () => {
      await server.cliOk(['user', 'add', 'lin@example.com', '--name', 'Lin']);
      for (const name of ['old-ci', 'old-export'])
        await server.cliOk(['token', 'create', '--user', 'lin@example.com', '--name', name]);
      await gotoConsole(page, '/console');
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'All tokens' }).click();
      await page.waitForURL('**/console/all-tokens');
      await page.getByLabel('User').fill('lin@example.com');
      await page.getByLabel('Kind').selectOption('pat');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL('**/console/all-tokens?**');
      assert.equal(await page.locator('table.list tbody tr').count(), 2);
      assert.equal(await cell(rowWith(page, 'old-ci'), 'Status'), 'active');
      await screenshot(page, 'all-tokens.png');

      await page.getByRole('button', { name: 'Revoke matching tokens…' }).click();
      await page.waitForURL('**/console/all-tokens/revoke');
      assert.match(await page.locator('#revoke-count').innerText(), /2 unrevoked token\(s\) match/);
      await screenshot(page, 'all-tokens-confirm.png');
      await page.getByRole('button', { name: 'Revoke 2 token(s)' }).click();
      await page.waitForURL('**/console/all-tokens?revoked=2');
      assert.match(await page.getByRole('status').innerText(), /2 tokens were revoked/);
    });

  test('4. a token a scanner reports as leaked is revoked, and its owner sees why and where on My tokens',
    { timeout: TEST_TIMEOUT }, async () => {
      // A scanner as GitHub's secret-scanning partner program runs one: its public key
      // registered with the CLI, its report signed over the raw body (ECDSA P-256).
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = path.join(server.dir, 'scanner.pem');
      writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
      const keyId = (await server.cliOk(['scanner', 'add', 'browser-scanner', '--public-key', pem])).trim();
      const token = (await server.cliOk(['token', 'create', '--user', ADMIN_EMAIL, '--name', 'ci-deploy'])).trim();
      const url = 'https://github.com/octocat/deploy/blob/4f2a/.env';
      const body = JSON.stringify([{ token, type: 'jeton_personal_access_token', url, source: 'content' }]);
      const r = await server.fetch('/v1/token_leaks', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Github-Public-Key-Identifier': keyId,
          'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), privateKey).toString('base64'),
        },
        body,
      });
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal((await r.json())[0].label, 'true_positive');
      const me = await server.fetch('/v1/me', { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(me.status, 401);

      await gotoConsole(page, '/console');
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'My tokens' }).click();
      await page.waitForURL('**/console/tokens');
      const row = rowWith(page, 'ci-deploy');
      assert.equal(await row.count(), 1);
      assert.match(await cell(row, 'Status'), /^revoked/);
      assert.equal((await row.locator('small.leak').innerText()).trim(), `revoked: leaked at ${url}`);
      assert.equal(await row.getByRole('link', { name: 'Revoke' }).count(), 0);
      await screenshot(page, 'token-leaked.png');
    });

  test('5. My tokens points out the tokens that expire within 7 days',
    { timeout: TEST_TIMEOUT }, async () => {
      await server.cliOk(['token', 'create', '--user', ADMIN_EMAIL, '--name', 'short-lived', '--expires', '3d']);
      await server.cliOk(['token', 'create', '--user', ADMIN_EMAIL, '--name', 'long-lived', '--expires', '60d']);
      await gotoConsole(page, '/console/tokens');
      assert.match(await page.locator('#expiring').innerText(), /^1 of your tokens expires within 7 days/);
      assert.match(await cell(rowWith(page, 'short-lived'), 'Expires'), /expires within 7 days$/);
      assert.doesNotMatch(await cell(rowWith(page, 'long-lived'), 'Expires'), /within 7 days/);
    });
});
