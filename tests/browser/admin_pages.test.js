// SPDX-License-Identifier: MIT
// Users and Spaces & members, as an instance administrator uses them.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  JetonServer, ADMIN_EMAIL, TEST_TIMEOUT, launchBrowser, newContext, login, submitLogin, gotoConsole,
  screenshot, rowWith, cell,
} from './lib/jeton.js';

const ADA = 'ada@example.com';

describe('users, spaces and members', { timeout: 180_000 }, () => {
  let server, browser, context, page;

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

  test('7. add a user (password shown once), disable them, add them to a space with a role',
    { timeout: TEST_TIMEOUT }, async () => {
      // --- Users: add
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
      await page.waitForURL('**/console/users');
      await page.getByLabel('Email', { exact: true }).fill(ADA);
      await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
      await page.getByRole('button', { name: 'Add user' }).click();
      await page.locator('#secret').waitFor();
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'User added');
      const password = (await page.locator('#secret').innerText()).trim();
      assert.ok(password.length >= 12, `generated password too short: ${password.length}`);
      assert.match(await page.locator('dl.facts').innerText(), new RegExp(ADA.replace('.', '\\.')));
      assert.ok(await page.getByText(/will not be shown again/).isVisible(), 'no "not shown again" warning');

      // the shown password is the user's, for one sign-in (in her own browser): a one-time
      // password, so Ada lands on her Account page to choose her own before anything else
      const adaCtx = await newContext(browser, server);
      const ada = await adaCtx.newPage();
      await login(ada, ADA, password);
      await ada.waitForURL('**/console/account');
      assert.match(await ada.locator('#must-change').innerText(), /one-time password/);

      await page.getByRole('link', { name: 'Done' }).click();
      await page.waitForURL('**/console/users');
      let row = rowWith(page, ADA);
      assert.equal(await row.count(), 1);
      assert.equal(await cell(row, 'Name'), 'Ada Lovelace');
      assert.equal(await cell(row, 'Role'), 'user');
      assert.equal(await cell(row, 'Status'), 'active');
      const html = await page.content();
      assert.ok(!html.includes(password), 'the users page shows the generated password');
      assert.equal(await cell(rowWith(page, ADMIN_EMAIL), 'Actions'), 'you');

      // --- Users: disable
      await row.getByRole('button', { name: 'Disable' }).click();
      await page.getByRole('status').waitFor();
      assert.equal((await page.getByRole('status').innerText()).trim(), `${ADA} is now disabled.`);
      row = rowWith(page, ADA);
      assert.equal(await cell(row, 'Status'), 'disabled');
      assert.equal(await row.getByRole('button', { name: 'Enable' }).count(), 1);

      // a disabled user's session stops, and they cannot log in again
      await ada.goto('/console/tokens');
      assert.match(new URL(ada.url()).pathname, /^\/login$/, 'a disabled user keeps their session');
      await submitLogin(ada, ADA, password);
      await ada.getByRole('alert').waitFor();
      await adaCtx.close();

      // --- Spaces: create two, open one
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Spaces' }).click();
      await page.waitForURL('**/console/spaces');
      for (const name of ['Marketing site', 'Docs']) {
        await gotoConsole(page, '/console/spaces');
        await page.getByLabel('Name', { exact: true }).fill(name);
        await page.getByRole('button', { name: 'Create space' }).click();
        await page.waitForURL(/\/console\/spaces\/\d+$/);
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), name);
      }
      await gotoConsole(page, '/console/spaces');
      assert.equal(await rowWith(page, 'Marketing site').count(), 1);
      assert.equal(await cell(rowWith(page, 'Docs'), 'Your role'), 'none');
      await rowWith(page, 'Marketing site').getByRole('link', { name: 'Marketing site' }).click();
      await page.waitForURL(/\/console\/spaces\/\d+$/);

      // --- Members: add Ada as viewer, then make her an editor
      await page.getByLabel('Email', { exact: true }).fill(ADA);
      await page.getByLabel('Role', { exact: true }).selectOption('viewer');
      await page.getByRole('button', { name: 'Add member' }).click();
      await page.getByRole('status').waitFor();
      assert.equal((await page.getByRole('status').innerText()).trim(), `${ADA} is now viewer of this space.`);
      const role = page.getByLabel(`Role of ${ADA}`);
      assert.equal(await role.inputValue(), 'viewer');
      await role.selectOption('editor');
      await rowWith(page, ADA).getByRole('button', { name: 'Change' }).click();
      await page.getByText(`${ADA} is now editor of this space.`).waitFor();
      assert.equal(await page.getByLabel(`Role of ${ADA}`).inputValue(), 'editor');

      // the CLI sees the same
      // --json prints one compact object a line
      const spaces = (await server.cliOk(['space', 'list', '--json']))
        .trim().split('\n').map((line) => JSON.parse(line));
      assert.ok(JSON.stringify(spaces).includes('Marketing site'));
      await screenshot(page, 'spaces.png');

      await gotoConsole(page, '/console/users');
      await screenshot(page, 'users.png');
    });
});
