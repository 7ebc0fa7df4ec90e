/**
 * Ring 3 of the tests (DESIGN.md §4): the app started the way the README starts it (`npm start`,
 * embedded PostgreSQL in a fresh data folder, no DATABASE_URL), driven in Debian's Chromium.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Download, type Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export const ROOT = resolve(__dirname, '../..');
export const SCREENSHOTS = join(ROOT, 'test-output');

export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
  const found = candidates.find((p) => existsSync(p)) ?? null;
  if (!found && process.env.CI) throw new Error('Chromium is required in CI (apt-get install chromium); browser tests may not skip there');
  return found;
}

export async function launchBrowser(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // Root in CI needs --no-sandbox; the rest keeps Chromium off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const freePort = () =>
  new Promise<number>((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });

/** Removes a data folder made by startApp (call after the last app using it stopped). */
export function removeDataDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

export interface RunningApp {
  url: string;
  dataDir: string;
  output: () => string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `npm start` in a fresh data folder; resolves once the console URL is printed and /readyz is 200. */
export async function startApp(dataDir?: string, extraEnv: Record<string, string> = {}): Promise<RunningApp> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'bulwark-e2e-'));
  chmodSync(dir, 0o755);
  mkdirSync(SCREENSHOTS, { recursive: true });
  const port = await freePort();
  const env: Record<string, string | undefined> = { ...process.env, PORT: String(port), BULWARK_DATA_DIR: dir, NODE_ENV: 'development', ...extraEnv };
  delete env.DATABASE_URL; // the README's run command: the embedded database
  const child = spawn(process.execPath, [join(ROOT, 'tools/scripts/start.mjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (!out.includes('Bulwark console:')) {
    if (child.exitCode !== null) throw new Error(`the app exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`the app did not start in time:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const ready = await fetch(`${url}/readyz`);
  if (ready.status !== 200) throw new Error(`/readyz answered ${ready.status}`);
  return {
    url,
    dataDir: dir,
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the operator CLI as a script would: `npm run cli -- ...` is this command. */
export function runCli(args: string[], env: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/cli/src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The demo tenant every browser test signs in to (seeded by the first `npm start`). */
export const DEMO_PASSWORD = 'correct horse battery staple';

/**
 * Signs in through the console's own sign-in page, in a fresh browser context (workspace and
 * email, then the password); `code` answers the two-factor step when the account has one.
 * Resolves on the dashboard.
 */
export async function signInToConsole(browser: Browser, url: string, email: string, code?: () => string): Promise<Page> {
  const page = await signInPage(browser, url, email, code, { width: 1400, height: 900 });
  await expectOn(page, `sign-in-${email.split('@')[0]}`, () => page.getByText('Welcome,').waitFor({ timeout: 30_000 }));
  return page;
}

/** The same sign-in for a requester, who lands in the portal (its "My requests"); `viewport` for a phone's. */
export async function signInToPortal(browser: Browser, url: string, email: string, opts: { code?: () => string; viewport?: { width: number; height: number } } = {}): Promise<Page> {
  const page = await signInPage(browser, url, email, opts.code, opts.viewport ?? { width: 1400, height: 900 });
  await page.getByTestId('portal').getByRole('heading', { name: 'My requests' }).waitFor({ timeout: 30_000 });
  return page;
}

async function signInPage(browser: Browser, url: string, email: string, code: (() => string) | undefined, viewport: { width: number; height: number }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto(url);
  await page.getByLabel('Workspace').fill('demo');
  await page.getByLabel('Email').fill(email);
  // Identifier first: the page asks whether the email's domain signs in elsewhere (single sign-on).
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (code) {
    await page.getByLabel('Authentication code').fill(code());
    await page.getByRole('button', { name: 'Verify' }).click();
  }
  return page;
}

/** Waits for `what`; on failure saves `failed-<step>.png` (the whole page), to see why. */
export async function expectOn(page: Page, step: string, what: () => Promise<unknown>): Promise<void> {
  try {
    await what();
  } catch (e) {
    await page.screenshot({ path: join(SCREENSHOTS, `failed-${step}.png`), fullPage: true }).catch(() => undefined);
    throw e;
  }
}

/** A GraphQL request from inside the page, with its session cookie (what the console itself sends). */
export function gqlInPage<T>(page: Page, query: string, variables: Record<string, unknown> = {}): Promise<{ data: T; errors?: unknown[] }> {
  return page.evaluate(
    async ([q, v]) => {
      const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q, variables: v }) });
      return res.json();
    },
    [query, variables] as const,
  ) as Promise<{ data: T; errors?: unknown[] }>;
}

/**
 * The demo admin creates a custom role holding `permissions` and gives it to the demo agent
 * (agent@demo.bulwark.test), through the API in a browser session of its own; fails on any error.
 */
export async function giveAgentCustomRole(browser: Browser, url: string, name: string, permissions: string[]): Promise<void> {
  const admin = await signInToConsole(browser, url, 'admin@demo.bulwark.test');
  const ok = <T>(r: { data: T; errors?: unknown[] }) => {
    if (r.errors) throw new Error(`giving the agent the role "${name}" failed: ${JSON.stringify(r.errors)}`);
    return r.data;
  };
  try {
    ok(await gqlInPage(admin, 'mutation($p: String!) { reauthenticate(password: $p) { expiresAt } }', { p: DEMO_PASSWORD }));
    const role = ok(await gqlInPage<{ createRole: { key: string } }>(admin, 'mutation($input: RoleInput!) { createRole(input: $input) { key } }', { input: { name, permissions } }));
    const people = ok(await gqlInPage<{ users: { nodes: { id: string }[] } }>(admin, '{ users(filter: { search: "agent@demo" }) { nodes { id } } }'));
    ok(await gqlInPage(admin, 'mutation($input: ChangeRoleInput!) { changeUserRole(input: $input) { role } }', { input: { id: people.users.nodes[0].id, role: role.createRole.key } }));
  } finally {
    await admin.context().close();
  }
}

/**
 * Inside a describe block: the app as `npm start` runs it (fresh data folder) and a Chromium,
 * started before the block's tests and removed after them.
 */
/**
 * After a click on something that needs a recent password and then downloads (an audit export, a
 * backup file): answers the console's password prompt with the demo password, saving a screenshot
 * of it as `<screenshot>.png` (and `failed-<screenshot>.png` if it never shows), and returns the
 * download the browser starts once the prompt has closed.
 */
export async function downloadAfterPassword(page: Page, screenshot: string): Promise<Download> {
  const prompt = page.getByRole('dialog', { name: 'Confirm it is you' });
  await prompt.waitFor({ timeout: 15_000 }).catch(async (e: unknown) => {
    await page.screenshot({ path: join(SCREENSHOTS, `failed-${screenshot}.png`), fullPage: true }).catch(() => undefined);
    throw e;
  });
  await prompt.getByLabel('Your password').fill(DEMO_PASSWORD);
  await page.screenshot({ path: join(SCREENSHOTS, `${screenshot}.png`), animations: 'disabled' });
  const downloading = page.waitForEvent('download', { timeout: 30_000 });
  await prompt.getByRole('button', { name: 'Confirm' }).click();
  const download = await downloading;
  await prompt.waitFor({ state: 'hidden' });
  return download;
}

export function useConsoleApp(executablePath: string): { readonly app: RunningApp; readonly browser: Browser } {
  let app: RunningApp | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    app = await startApp();
    browser = await launchBrowser(executablePath);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (app) removeDataDir(app.dataDir);
  });
  return {
    get app() {
      return app as RunningApp;
    },
    get browser() {
      return browser as Browser;
    },
  };
}

/** Everyone's mailbox on loopback: an SMTP server that keeps every message it is given, parsed. */
export interface Mailbox {
  readonly messages: ParsedMail[];
  /** `smtp://127.0.0.1:<port>`, for BULWARK_SMTP_URL. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startMailbox(): Promise<Mailbox> {
  const messages: ParsedMail[] = [];
  const sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((m) => void messages.push(m))
        .finally(() => cb());
    },
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  return {
    messages,
    url: `smtp://127.0.0.1:${(sink.server.address() as { port: number }).port}`,
    close: () => new Promise<void>((r) => sink.close(() => r())),
  };
}
