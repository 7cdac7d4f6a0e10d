// SPDX-License-Identifier: MIT
// The device sign-in (RFC 8628) as a person does it: a command-line tool shows a code, its
// user opens /device in Chromium, signs in, confirms the code, sees the consent page (the
// app, the scopes in words, the space to grant) and allows; the tool's next poll gets tokens.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  JetonServer, ADMIN_EMAIL, TEST_TIMEOUT, launchBrowser, newContext, submitLogin, screenshot,
} from './lib/jeton.js';

const URN = 'urn:ietf:params:oauth:grant-type:device_code';

describe('device sign-in', { timeout: 120_000 }, () => {
  let server, browser, context, page, app;

  const form = (fields) => ({
    method: 'POST', body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

  before(async () => {
    server = await new JetonServer({ clock: true }).start();
    await server.cliOk(['space', 'add', 'Blog']);
    await server.cliOk(['space', 'grant', 'Blog', ADMIN_EMAIL, 'editor']);
    app = JSON.parse(await server.cliOk(['app', 'create', '--name', 'Storyblok CLI', '--public',
      '--grants', 'device_code,refresh_token', '--scopes', 'read_content write_content', '--json']));
    browser = await launchBrowser();
    context = await newContext(browser, server);
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.finish();
  });

  test('the code page, then the consent page, then the device has its tokens',
    { timeout: TEST_TIMEOUT }, async () => {
      const r = await server.fetch('/oauth/device_authorization',
        form({ client_id: app.client_id, scope: 'read_content' }));
      assert.equal(r.status, 200);
      const d = await r.json();
      assert.match(d.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      const poll = () => server.fetch('/oauth/token',
        form({ grant_type: URN, device_code: d.device_code, client_id: app.client_id }));
      assert.equal((await (await poll()).json()).error, 'authorization_pending');
      // polling sooner than the interval slows the device down by 5 s (RFC 8628 3.5)
      const early = await (await poll()).json();
      assert.equal(early.error, 'slow_down', JSON.stringify(early));

      await page.goto(d.verification_uri_complete);
      await page.waitForURL('**/login**');
      await submitLogin(page, ADMIN_EMAIL, server.adminPassword);
      await page.waitForURL('**/device**');
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Sign in a device');
      assert.equal(await page.getByLabel('Code').inputValue(), d.user_code);
      await screenshot(page, 'device-code.png');
      await page.getByRole('button', { name: 'Continue' }).click();

      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Storyblok CLI wants access');
      const scopes = await page.locator('ul.scopes').innerText();
      assert.match(scopes, /read_content/);
      assert.doesNotMatch(scopes, /write_content/);
      assert.match(await page.getByLabel('Space').locator('option').first().innerText(), /Blog/);
      await screenshot(page, 'device-consent.png');
      await page.getByRole('button', { name: 'Allow' }).click();
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Device signed in');

      // the next poll once the slowed-down interval has passed
      server.advance(d.interval + 5 + 1);
      const body = await (await poll()).json();
      assert.match(body.access_token ?? '', /^jto_/, JSON.stringify(body));
      const me = await server.fetch('/v1/me', { headers: { authorization: `Bearer ${body.access_token}` } });
      assert.equal(me.status, 200);
    });
});
