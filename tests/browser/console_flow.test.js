// SPDX-License-Identifier: MIT
// The console as an administrator uses it, in order, on one server: log in
// (and fail to), personal access tokens (create, copy, use, revoke), an
// OAuth app (secret shown once), the authorization-code consent page, and
// the audit log that records all of it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  JetonServer, ADMIN_EMAIL, TEST_TIMEOUT, launchBrowser, newContext, startCallbackServer,
  login, submitLogin, gotoConsole, screenshot, rowWith, cell, pkce, utcDate, pageTextAndSource, fetchT,
} from './lib/jeton.js';

const TOKEN_RE = /^jtp_[0-9A-Za-z]{38}$/;
const SPACE = 'Demo';

describe('console flow: login, tokens, apps, consent, audit', { timeout: 240_000 }, () => {
  let server, browser, context, page, callback;
  // what earlier tests made, for later ones
  const made = { neverToken: null, neverName: 'ci-deploy', datedName: 'nightly-export', datedDay: null,
    app: null, appName: 'Reporting dashboard' };

  before(async () => {
    server = await new JetonServer({ keepOneTimePassword: true }).start();
    // the admin must be in a space to consent to an app
    await server.cliOk(['space', 'add', SPACE]);
    await server.cliOk(['space', 'grant', SPACE, ADMIN_EMAIL, 'editor']);
    callback = await startCallbackServer();
    browser = await launchBrowser();
    context = await newContext(browser, server);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await callback?.close();
    await server?.finish();
  });

  test('1. log in through the form; a failed login does not tell whether the account exists',
    { timeout: TEST_TIMEOUT }, async () => {
      await page.goto('/login');
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Log in');
      await screenshot(page, 'login.png');

      const failure = async (email, password) => {
        await page.goto('/login');
        await submitLogin(page, email, password);
        const alert = page.getByRole('alert');
        await alert.waitFor();
        assert.match(new URL(page.url()).pathname, /^\/login$/);
        // the message sits with the form, in the same card
        const card = page.locator('section.card', { has: page.locator('form[action="/login"]') });
        assert.equal(await card.getByRole('alert').count(), 1, 'the error is not next to the form');
        return (await alert.innerText()).trim();
      };
      const unknown = await failure('nobody@example.com', 'not-the-password-1');
      const wrong = await failure(ADMIN_EMAIL, 'not-the-password-1');
      assert.ok(unknown.length > 0, 'empty error message');
      assert.equal(unknown, wrong, 'an unknown email and a wrong password get different messages');
      assert.doesNotMatch(unknown, /no such|not found|unknown|does not exist|no account/i);

      // the printed password is a one-time password: the Account page asks for a new one first
      await login(page, ADMIN_EMAIL, server.adminPassword);
      assert.equal(new URL(page.url()).pathname, '/console/account', 'a one-time password was not sent to be changed');
      assert.match(await page.locator('#must-change').innerText(), /one-time password/);
      await gotoConsole(page, '/console/tokens');
      assert.equal(new URL(page.url()).pathname, '/console/account', 'the console opens before the password is changed');
      await screenshot(page, 'password-must-change.png');
      const fresh = 'my-own-Admin-password-1';
      await page.getByLabel('Current password').fill(server.adminPassword);
      await page.getByLabel('New password', { exact: true }).fill(fresh);
      await page.getByLabel('New password again').fill(fresh);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByRole('status').waitFor();
      server.adminPassword = fresh;
      await gotoConsole(page, '/console');
      assert.equal(new URL(page.url()).pathname, '/console/tokens', 'the console does not open on My tokens');
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Personal access tokens');
      assert.equal(await page.locator('header').getByRole('link', { name: ADMIN_EMAIL }).count(), 1,
        'the header does not show who is signed in');
      assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 1);
    });

  // Creates a token through the form; returns the secret as shown and copied.
  async function createToken({ name, scope, day }) {
    await gotoConsole(page, '/console/tokens');
    await page.getByLabel('Name', { exact: true }).fill(name);
    const box = page.getByRole('checkbox', { name: new RegExp(`\\b${scope}\\b`) });
    await box.check();
    if (day) {
      await page.getByRole('radio', { name: 'On a date' }).check();
      await page.getByLabel(/^Date/).fill(day);
    } else {
      await page.getByRole('radio', { name: 'Never' }).check();
    }
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/console/tokens'),
      page.getByRole('button', { name: 'Create token' }).click(),
    ]);
    await page.locator('#secret').waitFor();
    assert.equal(resp.status(), 200);
    assert.match((await resp.allHeaders())['cache-control'] ?? '', /no-store/,
      'the page showing the secret may be cached');
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Token created');
    const secret = (await page.locator('#secret').innerText()).trim();
    assert.match(secret, TOKEN_RE);
    const warning = page.getByText(/will not be shown again/);
    assert.ok(await warning.isVisible(), 'no warning that the token will not be shown again');
    const copy = page.getByRole('button', { name: 'Copy' });
    assert.ok(await copy.isVisible(), 'no visible Copy button');
    await copy.click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(clip, secret, 'the clipboard does not hold the shown token');
    return secret;
  }

  test('2. my tokens: create (never / on a date), shown once, copy, then listed without the secret',
    { timeout: TEST_TIMEOUT }, async () => {
      const never = await createToken({ name: made.neverName, scope: 'manage_tokens' });
      made.neverToken = never;
      made.datedDay = utcDate(10);
      const dated = await createToken({ name: made.datedName, scope: 'read_content', day: made.datedDay });
      await screenshot(page, 'token-created.png');

      await page.getByRole('link', { name: 'Done' }).click();
      await page.waitForURL('**/console/tokens');
      for (const [name, secret, expires, scopes] of [
        [made.neverName, never, 'Never', 'manage_tokens'],
        [made.datedName, dated, `${made.datedDay} 00:00 UTC`, 'read_content'],
      ]) {
        const row = rowWith(page, name);
        assert.equal(await row.count(), 1, `no single row for ${name}`);
        assert.equal(await cell(row, 'Name'), name);
        assert.equal(await cell(row, 'Token'), `${secret.slice(0, 8)}…`, 'display prefix');
        assert.equal(await cell(row, 'Scopes'), scopes);
        assert.equal(await cell(row, 'Expires'), expires);
        assert.equal(await cell(row, 'Status'), 'active');
      }
      const { text, html } = await pageTextAndSource(page);
      for (const secret of [never, dated]) {
        assert.ok(!text.includes(secret) && !html.includes(secret), 'the token is on the list page');
        assert.ok(!html.includes(secret.slice(8)), 'the secret part of a token is on the list page');
      }
      await screenshot(page, 'tokens.png');
    });

  test('3. the copied token works on the API; revoked in the console, the API refuses it',
    { timeout: TEST_TIMEOUT }, async () => {
      assert.ok(made.neverToken, 'needs the token of test 2');
      const auth = { headers: { Authorization: `Bearer ${made.neverToken}` } };
      let r = await server.fetch('/v1/me', auth);
      const raw = await r.text();
      assert.equal(r.status, 200, raw);
      const me = JSON.parse(raw);
      assert.equal(me.user.email, ADMIN_EMAIL);
      assert.equal(me.token.name, made.neverName);

      await gotoConsole(page, '/console/tokens');
      const row = rowWith(page, made.neverName);
      await row.getByRole('link', { name: 'Revoke' }).click();
      await page.waitForURL(/\/console\/tokens\/\d+\/revoke$/);
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Revoke token?');
      assert.match(await page.locator('main').innerText(), new RegExp(made.neverName));
      await page.getByRole('button', { name: 'Revoke token' }).click();
      await page.waitForURL(/\/console\/tokens\?done=revoked$/);
      assert.equal((await page.getByRole('status').innerText()).trim(), 'The token was revoked.');
      const after = rowWith(page, made.neverName);
      assert.equal(await cell(after, 'Status'), 'revoked');
      assert.equal(await after.getByRole('link', { name: 'Revoke' }).count(), 0,
        'a revoked token still offers Revoke');
      assert.equal(await cell(rowWith(page, made.datedName), 'Status'), 'active',
        'revoking one token touched another');

      // "will stop working at once, everywhere"
      r = await server.fetch('/v1/me', auth);
      assert.equal(r.status, 401, 'the revoked token still works on the API');
    });

  test('4. apps: create a confidential app; the secret is shown once with the client ID, never again',
    { timeout: TEST_TIMEOUT }, async () => {
      const redirect = `${callback.url}/cb`;
      await gotoConsole(page, '/console/apps');
      await page.getByRole('link', { name: 'New app' }).click();
      await page.waitForURL('**/console/apps/new');
      await page.getByLabel('Name', { exact: true }).fill(made.appName);
      await page.getByRole('radio', { name: /^Confidential/ }).check();
      await page.getByLabel('Redirect URIs').fill(redirect);
      await page.getByRole('checkbox', { name: 'authorization_code' }).check();
      await page.getByRole('checkbox', { name: 'refresh_token' }).check();
      await page.getByRole('checkbox', { name: 'client_credentials' }).uncheck();
      const scopes = page.locator('fieldset', { has: page.getByText('Scopes the app may ask for') });
      for (const box of await scopes.getByRole('checkbox').all()) await box.uncheck();
      await scopes.getByRole('checkbox', { name: /read_content/ }).check();
      await page.getByRole('button', { name: 'Create app' }).click();

      await page.locator('#secret').waitFor();
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'App created');
      const secret = (await page.locator('#secret').innerText()).trim();
      assert.match(secret, /^jts_[0-9A-Za-z]+$/);
      const details = await page.locator('dl.facts').innerText();
      const clientId = /Client ID\s+(\S+)/.exec(details)?.[1];
      assert.ok(clientId, `no client ID shown with the secret: ${details}`);
      assert.ok(await page.getByText(/will not be shown again/).isVisible(), 'no "not shown again" warning');
      assert.ok(await page.getByRole('button', { name: 'Copy' }).isVisible(), 'no Copy button');
      await screenshot(page, 'app-created.png');

      await page.getByRole('link', { name: 'Done' }).click();
      await page.waitForURL(/\/console\/apps\/\d+$/);
      const id = Number(/\/console\/apps\/(\d+)$/.exec(page.url())[1]);
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), made.appName);
      assert.equal((await page.locator('#client-id').innerText()).trim(), clientId);
      const facts = await page.locator('dl.facts').innerText();
      assert.match(facts, /confidential/);
      assert.ok(facts.includes(redirect), 'the redirect URI is not shown');
      assert.match(facts, /authorization_code refresh_token/);
      assert.match(facts, /read_content/);
      let { text, html } = await pageTextAndSource(page);
      assert.ok(!text.includes(secret) && !html.includes(secret), 'the app page shows the secret');

      await gotoConsole(page, '/console/apps');
      const row = rowWith(page, made.appName);
      assert.equal(await cell(row, 'Client ID'), clientId);
      assert.equal(await cell(row, 'Type'), 'confidential');
      ({ text, html } = await pageTextAndSource(page));
      assert.ok(!html.includes(secret), 'the app list shows the secret');
      await screenshot(page, 'apps.png');
      made.app = { id, clientId, secret, redirect };
    });

  test('5. authorization code with consent in the browser, then the code exchanged for a token',
    { timeout: TEST_TIMEOUT }, async () => {
      assert.ok(made.app, 'needs the app of test 4');
      const { clientId, secret, redirect } = made.app;
      const { verifier, challenge } = pkce();
      const q = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: redirect,
        scope: 'read_content', state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256' });
      await gotoConsole(page, `/oauth/authorize?${q}`);
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), `${made.appName} wants access`);
      assert.match(await page.locator('ul.scopes').innerText(), /read_content/);
      const select = page.getByLabel('Space');
      const options = await select.locator('option').allInnerTexts();
      assert.deepEqual(options, [`${SPACE} (editor)`]);
      await screenshot(page, 'consent.png');
      const spaceId = await select.inputValue();

      const toCb = () => callback.hits.filter((u) => u.pathname === '/cb').length;
      const before = toCb();
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((u) => u.href.startsWith(redirect));
      await page.getByRole('heading', { name: 'Callback received' }).waitFor();
      assert.equal(toCb(), before + 1, 'the redirect target was not reached exactly once');
      const got = new URL(page.url());
      const code = got.searchParams.get('code');
      assert.match(code ?? '', /^jtk_/);
      assert.equal(got.searchParams.get('state'), 'xyz');
      assert.equal(got.searchParams.get('space_id'), spaceId);
      assert.equal(got.searchParams.get('iss'), server.url);

      const r = await fetchT(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect,
          code_verifier: verifier }).toString(),
      });
      const body = await r.json();
      assert.equal(r.status, 200, JSON.stringify(body));
      assert.match(body.access_token, /^jto_/);
      assert.match(body.refresh_token, /^jtr_/);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.scope, 'read_content');
      assert.equal(String(body.space_id), spaceId);

      const info = await server.fetch('/oauth/user_info', { headers: { Authorization: `Bearer ${body.access_token}` } });
      assert.equal(info.status, 200);
      const who = await info.json();
      assert.equal(who.user.email, ADMIN_EMAIL);
      assert.equal(who.space.name, SPACE);
    });

  test('6. the audit log shows these events, and filtering by action works',
    { timeout: TEST_TIMEOUT }, async () => {
      await gotoConsole(page, '/console/audit');
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Audit log');
      const actions = await page.locator('table.list tbody td[data-label="Action"]').allInnerTexts();
      for (const a of ['token.created', 'token.revoked', 'app.created', 'consent.allowed',
        'login.succeeded', 'login.failed'])
        assert.ok(actions.includes(a), `the audit log lacks ${a}: ${[...new Set(actions)].join(', ')}`);
      await screenshot(page, 'audit.png');

      await page.getByLabel('Action').selectOption('login.failed');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/[?&]action=login\.failed/);
      const rows = page.locator('table.list tbody tr');
      const filtered = await rows.locator('td[data-label="Action"]').allInnerTexts();
      assert.equal(filtered.length, 2, `expected the 2 failed logins, got ${filtered.length}`);
      assert.ok(filtered.every((a) => a === 'login.failed'), `filter let through: ${filtered.join(', ')}`);
      const actors = await rows.locator('td[data-label="Actor"]').allInnerTexts();
      assert.deepEqual(new Set(actors), new Set(['nobody@example.com', ADMIN_EMAIL]));
      const outcomes = await rows.locator('td[data-label="Outcome"]').allInnerTexts();
      assert.ok(outcomes.every((o) => !/^success/i.test(o.trim())), `failed logins shown as ${outcomes}`);
      assert.equal(await page.getByLabel('Action').inputValue(), 'login.failed', 'the filter is not kept');

      // the group "token" covers token.created and token.revoked, nothing else
      await page.getByLabel('Action').selectOption('token');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/[?&]action=token(&|$)/);
      const tokens = await page.locator('table.list tbody td[data-label="Action"]').allInnerTexts();
      assert.deepEqual([...new Set(tokens)].sort(), ['token.created', 'token.revoked']);

      await page.getByRole('link', { name: 'Clear' }).click();
      await page.waitForURL(/\/console\/audit$/);
      assert.ok((await page.locator('table.list tbody tr').count()) >= actions.length);
    });
});
