// SPDX-License-Identifier: MIT
// Keyboard use, a phone-sized screen, and the pages' security headers and
// cookies.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  JetonServer, ADMIN_EMAIL, TEST_TIMEOUT, launchBrowser, newContext, login, waitLoggedIn, gotoConsole, screenshot,
} from './lib/jeton.js';

/** Whether the focused element shows a focus indicator (box-shadow or outline). */
function focusShown(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    return { tag: el.tagName, id: el.id, text: (el.innerText || el.value || '').slice(0, 40),
      shown: Boolean(outline || shadow), outline: `${s.outlineStyle} ${s.outlineWidth}`, shadow: s.boxShadow };
  });
}

describe('keyboard, small screens, security headers', { timeout: 180_000 }, () => {
  let server, browser;

  before(async () => {
    server = await new JetonServer().start();
    browser = await launchBrowser();
    // a couple of tokens for the list
    await server.cliOk(['token', 'create', '--user', ADMIN_EMAIL, '--name', 'ci-deploy',
      '--scopes', 'manage_tokens', '--expires', 'never']);
    await server.cliOk(['token', 'create', '--user', ADMIN_EMAIL, '--name', 'nightly-export-to-the-data-warehouse',
      '--scopes', 'manage_tokens manage_users manage_apps', '--expires', '30d']);
  });

  after(async () => {
    await browser?.close();
    await server?.finish();
  });

  test('8. the login form works with the keyboard alone, and focus is visible',
    { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext(browser, server);
      const page = await ctx.newPage();
      try {
        await page.goto('/login');
        // the email field has autofocus; if not, Tab to it (at most 10 presses)
        for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement?.id === 'email')); i++)
          await page.keyboard.press('Tab');
        let f = await focusShown(page);
        assert.equal(f.id, 'email', 'the keyboard cannot reach the email field');
        assert.ok(f.shown, `no visible focus on the email field (outline ${f.outline}, box-shadow ${f.shadow})`);
        await page.keyboard.type(ADMIN_EMAIL);
        await page.keyboard.press('Tab');
        f = await focusShown(page);
        assert.equal(f.id, 'password', `Tab from Email went to ${f.tag}#${f.id}, not Password`);
        assert.ok(f.shown, `no visible focus on the password field (outline ${f.outline}, box-shadow ${f.shadow})`);
        await page.keyboard.type(server.adminPassword);
        await page.keyboard.press('Tab');
        f = await focusShown(page);
        assert.equal(f.tag, 'BUTTON', `Tab from Password went to ${f.tag}#${f.id}`);
        assert.equal(f.text.trim(), 'Log in');
        assert.ok(f.shown, `no visible focus on "Log in" (outline ${f.outline}, box-shadow ${f.shadow})`);
        await page.keyboard.press('Enter');
        await waitLoggedIn(page, 'with the keyboard');
        assert.equal(new URL(page.url()).pathname, '/console/tokens');

        // in the console the first Tab reaches "Skip to content", visible on screen
        await page.evaluate(() => document.activeElement?.blur());
        await page.keyboard.press('Tab');
        f = await focusShown(page);
        assert.equal(f.text.trim(), 'Skip to content', `first Tab went to ${f.tag} "${f.text}"`);
        const box = await page.evaluate(() => {
          const r = document.activeElement.getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
        });
        assert.ok(box.left >= 0 && box.right <= 1280 && box.top >= 0 && box.bottom <= 800,
          `the focused skip link is off screen: ${JSON.stringify(box)}`);
        assert.ok(f.shown, 'no visible focus on the skip link');
        // and every control of the token form gets a visible focus ring
        await page.getByLabel('Name', { exact: true }).focus();
        const missing = [];
        for (let i = 0; i < 12; i++) {
          f = await focusShown(page);
          if (f.tag === 'BUTTON' && f.text.trim() === 'Create token') { if (!f.shown) missing.push(f); break; }
          // a date input's own calendar button takes focus last and shows the browser's ring
          const inPicker = await page.evaluate(() => document.activeElement.type === 'date' &&
            !document.activeElement.matches(':focus-visible'));
          if (!f.shown && !inPicker) missing.push(f);
          await page.keyboard.press('Tab');
        }
        assert.deepEqual(missing, [], 'controls without a visible focus indicator');
      } finally {
        await ctx.close();
      }
    });

  test('9. at 390x844 the tokens page has no horizontal scroll', { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await newContext(browser, server, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    try {
      await login(page, ADMIN_EMAIL, server.adminPassword);
      await gotoConsole(page, '/console/tokens');
      assert.equal(await page.locator('table.list tbody tr').count(), 2);
      const m = await page.evaluate(() => ({ scroll: document.scrollingElement.scrollWidth, inner: innerWidth }));
      await screenshot(page, 'tokens-mobile.png');
      assert.ok(m.scroll <= m.inner + 1, `horizontal scroll at 390 wide: scrollWidth ${m.scroll} > innerWidth ${m.inner}`);
    } finally {
      await ctx.close();
    }
  });

  test('10. pages carry CSP (no unsafe-inline), X-Frame-Options, Referrer-Policy; cookies HttpOnly, SameSite=Lax',
    { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext(browser, server);
      const page = await ctx.newPage();
      const violations = [];
      page.on('console', (msg) => {
        if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(`${page.url()}: ${msg.text()}`);
      });
      try {
        const check = (resp, where) => {
          const h = resp.headers();
          const csp = h['content-security-policy'];
          assert.ok(csp, `${where}: no Content-Security-Policy`);
          assert.ok(!csp.includes('unsafe-inline'), `${where}: CSP allows unsafe-inline: ${csp}`);
          assert.equal(h['x-frame-options'], 'DENY', `${where}: X-Frame-Options`);
          assert.equal(h['referrer-policy'], 'no-referrer', `${where}: Referrer-Policy`);
        };
        check(await page.goto('/login'), '/login');
        await login(page, ADMIN_EMAIL, server.adminPassword);
        for (const p of ['/console/tokens', '/console/spaces', '/console/apps', '/console/users',
          '/console/audit', '/console/account'])
          check(await gotoConsole(page, p), p);

        const cookies = await ctx.cookies(server.url);
        const byName = Object.fromEntries(cookies.map((c) => [c.name, c]));
        const session = byName.jeton_session;
        assert.ok(session, `no session cookie among ${cookies.map((c) => c.name)}`);
        for (const c of cookies) {
          assert.equal(c.httpOnly, true, `cookie ${c.name} is not HttpOnly`);
          assert.equal(c.sameSite, 'Lax', `cookie ${c.name} is SameSite=${c.sameSite}`);
        }
        assert.equal(await page.evaluate(() => document.cookie), '', 'scripts can read cookies');
        assert.deepEqual(violations, [], 'the pages break their own Content-Security-Policy');
      } finally {
        await ctx.close();
      }
    });
});
