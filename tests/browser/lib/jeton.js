// SPDX-License-Identifier: MIT
// Shared helpers for jeton's browser tests: a real `jeton serve` on a free
// loopback port with a throwaway store (as tests/e2e/conftest.py does), the
// CLI against that store, Debian's Chromium driven by playwright-core, and
// screenshots into build/screenshots/ ($JETON_SCREENSHOTS). Every wait is bounded.
import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync, mkdirSync, mkdtempSync, rmSync, existsSync, accessSync, constants, renameSync, writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..', '..');
// Screenshots go under build/ unless `make screenshots` asks for the README's copies.
export const SCREENSHOTS = process.env.JETON_SCREENSHOTS
  ? path.resolve(process.env.JETON_SCREENSHOTS)
  : path.join(REPO_ROOT, 'build', 'screenshots');
export const ADMIN_EMAIL = 'admin@localhost';
export const ADMIN_PASSWORD = 'browser-tests-Admin-42';  // what start() changes the one-time password to
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export const START_TIMEOUT = 10_000;  // jeton serve must answer /v1/ping within this
export const STOP_TIMEOUT = 10_000;   // SIGTERM -> exit within this
export const HTTP_TIMEOUT = 10_000;   // one HTTP exchange from Node
export const CLI_TIMEOUT = 60_000;    // one CLI command
export const UI_TIMEOUT = 10_000;     // one browser action or expectation
export const TEST_TIMEOUT = 60_000;   // one test

const SOURCE_BIN = process.env.JETON_BIN
  ? path.resolve(process.env.JETON_BIN)
  : path.join(REPO_ROOT, 'build', 'jeton');

// Servers and browsers must never go through a proxy from the environment.
const PROXY_VARS = ['http_proxy', 'https_proxy', 'all_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'];

function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('JETON_') || PROXY_VARS.includes(k)) continue;
    env[k] = v;
  }
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost';
  return { ...env, ...extra };
}

const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
  'ThreadSanitizer', 'Segmentation fault'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A bound on a wait that does not keep Node alive once the wait is over (a
// pending timer would hold each test file's process open until it fired).
const timeLimit = (ms) => new Promise((r) => setTimeout(r, ms).unref());

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** fetch with a bounded time and no redirects followed. */
export function fetchT(url, opts = {}) {
  return fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(HTTP_TIMEOUT), ...opts });
}

function run(bin, args, { input, cwd, env } = {}) {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { env: cleanEnv(env), cwd, timeout: CLI_TIMEOUT, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr, args });
      });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** One `jeton serve` on 127.0.0.1:<free port> with its own store in a temp dir. */
export class JetonServer {
  /** keepOneTimePassword: leave the first admin's printed password as it is (a test that
   * changes it in the browser); otherwise start() changes it to ADMIN_PASSWORD.
   * clock: the server and its CLI run on a test clock (JETON_TEST_CLOCK) that advance()
   * moves, so that a test waits for no real time. */
  constructor({ keepOneTimePassword = false, clock = false } = {}) {
    this.keepOneTimePassword = keepOneTimePassword;
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'jeton-browser-'));
    this.db = path.join(this.dir, 'jeton.db');
    this.env = {};
    if (clock) {
      this.clockOffset = 0;
      this.clockFile = path.join(this.dir, 'clock');
      writeFileSync(this.clockFile, '0\n', { mode: 0o600 });
      this.env.JETON_TEST_CLOCK = this.clockFile;
    }
    // test one fixed binary even if `make` replaces the original during the run
    accessSync(SOURCE_BIN, constants.X_OK);
    this.bin = path.join(this.dir, 'jeton');
    copyFileSync(SOURCE_BIN, this.bin);
    this.proc = null;
    this.stdout = '';
    this.stderr = '';
    this.adminPassword = null;
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  async start() {
    for (let attempt = 0; attempt < 3; attempt++) {
      this.port = await freePort();
      this.stdout = this.stderr = '';
      const proc = spawn(this.bin, ['serve', '--listen', `127.0.0.1:${this.port}`, '--db', this.db],
        { env: cleanEnv(this.env), cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      this.proc = proc;
      this.exited = new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
      proc.stdout.setEncoding('utf8').on('data', (d) => { this.stdout += d; });
      proc.stderr.setEncoding('utf8').on('data', (d) => { this.stderr += d; });
      process.once('exit', () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } });
      if (await this.#waitReady()) break;
      this.proc = null;
      if (!/in use/i.test(this.stderr))
        throw new Error(`jeton serve exited before answering /v1/ping\nstderr:\n${this.stderr.slice(-3000)}`);
      if (attempt === 2) throw new Error('jeton serve could not bind a port in 3 attempts');
    }
    // "jeton: admin admin@localhost one-time password: XXXX"; stdout may lag a moment
    const deadline = Date.now() + 5000;
    let m;
    while (!(m = /jeton: admin (\S+) one-time password: (\S+)/.exec(this.stdout)) && Date.now() < deadline)
      await sleep(50);
    if (!m) throw new Error(`no one-time password line on stdout:\n${this.stdout.slice(-2000)}`);
    this.adminEmail = m[1];
    this.adminPassword = this.adminOneTimePassword = m[2];
    if (!this.keepOneTimePassword) {
      await this.#changeOneTimePassword(m[2], ADMIN_PASSWORD);
      this.adminPassword = ADMIN_PASSWORD;
    }
    return this;
  }

  // The printed password is a one-time password, changed at the first sign-in (docs/console.md):
  // done once here through the same forms, without a browser.
  async #changeOneTimePassword(current, fresh) {
    const csrf = 'c'.repeat(32);
    let cookie = `jeton_csrf=${csrf}`;
    const form = (fields) => ({ method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, ...fields }).toString() });
    const r = await this.fetch('/login', form({ email: this.adminEmail, password: current, next: '/console' }));
    const session = (r.headers.getSetCookie?.() ?? []).find((c) => c.startsWith('jeton_session='));
    if (r.status !== 303 || !session) throw new Error(`the admin's first login failed: ${r.status}`);
    cookie += '; ' + session.split(';')[0];
    const c = await this.fetch('/console/account', form({ current, password: fresh, confirm: fresh }));
    if (c.status !== 200) throw new Error(`the admin's one-time password was not changed: ${c.status}`);
  }

  async #waitReady() {
    const deadline = Date.now() + START_TIMEOUT;
    let exited = false;
    this.exited.then(() => { exited = true; });
    while (Date.now() < deadline) {
      if (exited) return false;
      try {
        const r = await fetch(`${this.url}/v1/ping`, { signal: AbortSignal.timeout(1000) });
        // the port may have been taken by another server since freePort() saw it
        // free: the answer must come from this one
        if (r.status === 200 && this.stderr.includes(`jeton: listening on ${this.url}`)) return true;
      } catch { /* not yet */ }
      await sleep(50);
    }
    this.proc.kill('SIGKILL');
    throw new Error(`jeton serve did not answer /v1/ping within ${START_TIMEOUT} ms\n` +
      `stderr:\n${this.stderr.slice(-3000)}`);
  }

  /** SIGTERM, wait (bounded); returns the exit code (null if it had to be killed). */
  async stop() {
    const proc = this.proc;
    this.proc = null;
    let code = null;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const res = await Promise.race([this.exited, timeLimit(STOP_TIMEOUT).then(() => null)]);
      if (res === null) {
        proc.kill('SIGKILL');
        await this.exited;
      } else {
        code = res.code;
      }
    } else if (proc) {
      code = proc.exitCode;
    }
    rmSync(this.dir, { recursive: true, force: true });
    return code;
  }

  /** Teardown: stop with SIGTERM; fail on a bad exit or a sanitizer/crash report on stderr. */
  async finish() {
    const code = await this.stop();
    const problems = [];
    if (code !== 0) problems.push(`jeton serve exited ${code} on SIGTERM (null: killed after ${STOP_TIMEOUT} ms)`);
    for (const marker of SANITIZER_MARKERS) {
      const i = this.stderr.indexOf(marker);
      if (i >= 0) { problems.push(`sanitizer/crash report in server stderr:\n${this.stderr.slice(i, i + 3000)}`); break; }
    }
    if (problems.length) throw new Error(problems.join('\n'));
  }

  /** `jeton --db <this store> args...` */
  cli(args, opts = {}) {
    return run(this.bin, ['--db', this.db, ...args], { ...opts, cwd: this.dir, env: this.env });
  }

  /** Moves the test clock (of a server made with { clock: true }) forward by seconds. */
  advance(seconds) {
    if (!this.clockFile) throw new Error('advance() needs new JetonServer({ clock: true })');
    this.clockOffset += seconds;
    writeFileSync(`${this.clockFile}.tmp`, `${this.clockOffset}\n`, { mode: 0o600 });
    renameSync(`${this.clockFile}.tmp`, this.clockFile);
  }

  async cliOk(args, opts = {}) {
    const r = await this.cli(args, opts);
    if (r.code !== 0)
      throw new Error(`jeton ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  fetch(p, opts) { return fetchT(this.url + p, opts); }
}

/** A tiny HTTP server on 127.0.0.1 that records the requests it gets (an OAuth redirect target). */
export async function startCallbackServer() {
  const hits = [];
  const srv = http.createServer((req, res) => {
    hits.push(new URL(req.url, `http://${req.headers.host}`));
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>callback</title><h1>Callback received</h1>');
  });
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((resolve) => { srv.closeAllConnections?.(); srv.close(() => resolve()); }),
  };
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: cleanEnv(),
    timeout: 30_000,
  });
}

/** A fresh browser context on the server at 1280 wide, with bounded waits. */
export async function newContext(browser, server, opts = {}) {
  const ctx = await browser.newContext({
    baseURL: server.url,
    viewport: { width: 1280, height: 800 },
    ...opts,
  });
  ctx.setDefaultTimeout(UI_TIMEOUT);
  ctx.setDefaultNavigationTimeout(UI_TIMEOUT);
  return ctx;
}

/** Fills the login form through its labels and presses "Log in". */
export async function submitLogin(page, email, password) {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** After the login form was sent: waits to land in the console, or fails with the page's error. */
export async function waitLoggedIn(page, email = '') {
  const landed = page.waitForURL(/\/console(\/|$)/).then(() => null);
  const refused = page.locator('#login-error').waitFor().then(() => page.locator('#login-error').innerText());
  landed.catch(() => {});
  refused.catch(() => {});
  const error = await Promise.race([landed, refused]);
  if (error !== null) throw new Error(`logging in ${email} failed, the page says: ${error}`);
}

/** Logs in through the form and waits to land in the console. */
export async function login(page, email, password) {
  await page.goto('/login');
  await submitLogin(page, email, password);
  await waitLoggedIn(page, `as ${email}`);
}

/** Opens a console page; fails at once if the browser was sent to log in instead. */
export async function gotoConsole(page, p) {
  const resp = await page.goto(p);
  const now = new URL(page.url());
  if (now.pathname === '/login')
    throw new Error(`${p} sent the browser to /login: not logged in (did the login test fail?)`);
  return resp;
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true, animations: 'disabled' });
}

/** A row of the first table on the page holding `text`. */
export function rowWith(page, text) {
  return page.locator('table.list tbody tr').filter({ hasText: text });
}

/** The text of a cell of a row, by its data-label (the column). */
export async function cell(row, label) {
  return (await row.locator(`td[data-label="${label}"]`).innerText()).trim();
}

export function pkce() {
  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** YYYY-MM-DD of today + days, in UTC. */
export function utcDate(days) {
  return new Date(Date.now() + days * 86400_000).toISOString().slice(0, 10);
}

/** Visible text of the whole document and its HTML source, to look for secrets. */
export async function pageTextAndSource(page) {
  return { text: await page.locator('body').innerText(), html: await page.content() };
}
