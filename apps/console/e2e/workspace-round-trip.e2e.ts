/**
 * Issue 20's round trip, as its acceptance names it, on the app as `npm start` runs it (demo
 * tenant), with an SMTP server on loopback as everyone's mailbox:
 * - the demo agent logs a phone ticket for a new requester with an attachment and tags, finds it
 *   by a word of its body and by its number, replies and solves it in one step;
 * - the new requester sets a password through the mailed reset link, signs in to the portal,
 *   sees the request solved with the agent's reply and the file, and reopens it with a reply;
 * - the agent's "My open tickets" view shows it again.
 * The same pages at 390 px wide.
 */
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import type { ParsedMail } from 'mailparser';
import { chromiumPath, expectOn as expectOnPage, launchBrowser, removeDataDir, SCREENSHOTS, signInToConsole, startApp, startMailbox, type Mailbox, type RunningApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const AGENT = 'agent@demo.bulwark.test';
const NEWCOMER = { name: 'Priya Newcomer', email: 'priya.newcomer@example.test' };
const SUBJECT = 'Badge reader at the loading dock';
const BODY_WORD = 'intermittently';
const NEW_PASSWORD = 'a long new passphrase for the portal';
const PHONE = { width: 390, height: 844 };

/** A real 2×2 PNG (signature, IHDR, IDAT, IEND): the server checks the kind from the content. */
function png(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

maybe('issue 20: a ticket from the agent to the requester’s portal and back', () => {
  let mail: Mailbox;
  let app: RunningApp;
  let browser: Browser;
  let number = '';
  let ticketUrl = '';

  beforeAll(async () => {
    mail = await startMailbox();
    app = await startApp(undefined, { BULWARK_SMTP_URL: mail.url });
    browser = await launchBrowser(executable as string);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (app) removeDataDir(app.dataDir);
    await mail?.close();
  });

  const expectOn = (page: Page, step: string, what: () => Promise<unknown>) => expectOnPage(page, `round-trip-${step}`, what);
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `round-trip-${name}.png`), fullPage: true, animations: 'disabled' });
  const search = (page: Page) => page.getByRole('textbox', { name: 'Search tickets' });
  const views = (page: Page) => page.getByRole('navigation', { name: 'Views' });
  const mineCount = async (page: Page) => Number((await views(page).getByRole('button', { name: /^My open tickets/ }).innerText()).match(/(\d+)$/)?.[1]);

  async function mailTo(address: string, subject: RegExp, ms = 20_000): Promise<ParsedMail> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = mail.messages.find((x) => (x.to && !Array.isArray(x.to) ? x.to.text : '').includes(address) && subject.test(x.subject ?? ''));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no mail to ${address} about ${subject} within ${ms} ms (have: ${mail.messages.map((x) => x.subject).join(' | ')})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('the agent logs a phone ticket for a new requester with a file and tags, finds it by a word and by its number, and solves it with the reply', async () => {
    const page = await signInToConsole(browser, app.url, AGENT);
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    await expectOn(page, 'list', () => views(page).getByRole('button', { name: /^My open tickets \d+$/ }).waitFor({ timeout: 30_000 }));
    const mineBefore = await mineCount(page);

    await page.getByRole('link', { name: 'New ticket' }).click();
    await expectOn(page, 'create', () => page.getByRole('heading', { level: 1, name: 'New ticket' }).waitFor({ timeout: 15_000 }));
    await page.getByLabel('New requester').check();
    await page.getByRole('textbox', { name: /Their name/ }).fill(NEWCOMER.name);
    await page.getByRole('textbox', { name: /Their email address/ }).fill(NEWCOMER.email);
    await page.getByRole('textbox', { name: /Subject/ }).fill(SUBJECT);
    await page.locator('.ProseMirror').first().click();
    await page.keyboard.type(`The badge reader at the loading dock fails ${BODY_WORD} since Monday. Photo attached.`);
    expect(await page.getByRole('combobox', { name: /Received by/ }).innerText()).toBe('Phone');
    const tags = page.getByRole('combobox', { name: 'Tags' });
    await tags.fill('facilities');
    await tags.press('Enter');
    await tags.fill('access control');
    await tags.press('Enter');
    await page.getByRole('button', { name: 'access-control' }).waitFor();
    await page.getByRole('combobox', { name: 'Assignee' }).fill('Alan');
    await page.getByRole('option', { name: /Alan Agent/ }).click();
    await page.getByLabel('Attach files').setInputFiles({ name: 'badge-reader.png', mimeType: 'image/png', buffer: png() });
    await expectOn(page, 'attached', () => page.getByLabel('Attached: badge-reader.png').waitFor({ timeout: 15_000 }));
    await shot(page, 'create');
    await page.getByRole('button', { name: 'Create ticket' }).click();

    await expectOn(page, 'created', () => page.waitForURL(/\/tickets\/[0-9a-f-]{36}\/show$/, { timeout: 15_000 }));
    ticketUrl = page.url();
    const heading = page.getByRole('heading', { level: 1 });
    await expectOn(page, 'page', () => heading.getByText(SUBJECT).waitFor({ timeout: 15_000 }));
    number = (await heading.innerText()).match(/#(\d+)/)?.[1] ?? '';
    expect(Number(number)).toBeGreaterThan(1000);
    const first = page.getByRole('article', { name: `Message from ${NEWCOMER.name}` });
    await first.getByRole('link', { name: 'Download badge-reader.png' }).or(first.getByRole('link', { name: /badge-reader\.png/ })).first().waitFor();
    await shot(page, 'ticket');

    // Found by a word of its body…
    await page.getByRole('link', { name: 'Back to the tickets' }).click();
    await search(page).fill(BODY_WORD);
    await expectOn(page, 'by-word', () => page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1, undefined, { timeout: 15_000 }));
    expect(await page.locator('tbody tr').innerText()).toContain(`#${number}`);
    await expectOn(page, 'mine-counts-it', () => views(page).getByRole('button', { name: `My open tickets ${mineBefore + 1}` }).waitFor({ timeout: 15_000 }));
    await shot(page, 'found');
    // …and by its number.
    await search(page).fill(`#${number}`);
    await search(page).press('Enter');
    await expectOn(page, 'by-number', () => page.waitForURL(ticketUrl, { timeout: 15_000 }));

    // The reply that solves it, in one step.
    const reply = page.getByRole('region', { name: 'Reply box' });
    await expectOn(page, 'reply', () => reply.locator('.ProseMirror').click({ timeout: 15_000 }));
    await page.keyboard.type('We re-seated the reader’s cable; it reads every badge again.');
    await reply.getByRole('button', { name: 'Submit as another status' }).click();
    await page.getByRole('menuitem', { name: 'Submit as Solved' }).click();
    await expectOn(page, 'solved', () => page.getByTestId('ticket-header').getByText('Solved', { exact: true }).waitFor({ timeout: 15_000 }));
    await page.getByRole('article', { name: 'Message from Alan Agent' }).getByText('re-seated').waitFor();
    await shot(page, 'solved');
    await page.context().close();
  }, 240_000);

  it('the new requester sets a password from the mailed link, sees the request solved in the portal and reopens it with a reply', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(`${app.url}/#/forgot-password`);
    await page.getByLabel('Workspace').fill('demo');
    await page.getByLabel('Email').fill(NEWCOMER.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    const mail = await mailTo(NEWCOMER.email, /password/i);
    const token = (mail.text ?? '').match(/reset-password\?token=([^\s]+)/)?.[1];
    expect(token).toBeTruthy();
    await page.goto(`${app.url}/#/reset-password?token=${token}`);
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Save password' }).click();
    await expectOn(page, 'password-set', () => page.getByText('Your password is changed').waitFor({ timeout: 15_000 }));

    await page.goto(app.url);
    await page.getByLabel('Workspace').fill('demo');
    await page.getByLabel('Email').fill(NEWCOMER.email);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const portal = page.getByTestId('portal');
    await expectOn(page, 'portal', () => portal.getByRole('heading', { name: 'My requests' }).waitFor({ timeout: 30_000 }));
    // Solved, so under the Solved tab.
    await page.getByRole('tab', { name: /Solved/ }).click();
    await expectOn(page, 'solved-tab', () => portal.getByText(`#${number}`).first().waitFor({ timeout: 15_000 }));
    await shot(page, 'portal-solved');
    await portal.getByText(SUBJECT).first().click();
    await expectOn(page, 'request', () => page.getByText('re-seated').waitFor({ timeout: 15_000 }));
    await page.getByText('Solved').first().waitFor();
    await page.getByRole('link', { name: /badge-reader\.png/ }).first().waitFor();
    await shot(page, 'portal-request');

    // Reopened with a reply.
    await page.getByRole('textbox').last().fill('It failed again this morning at 7:40.');
    await page.getByRole('button', { name: 'Reply and reopen' }).click();
    await expectOn(page, 'reopened', () => page.getByText('In progress').first().waitFor({ timeout: 15_000 }));
    await page.getByText('It failed again this morning').waitFor();
    await shot(page, 'portal-reopened');

    // The same portal pages at 390 px: nothing scrolls sideways.
    await page.setViewportSize(PHONE);
    await page.reload();
    await page.getByText('It failed again this morning').waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'phone-portal-request');
    await page.context().close();
  }, 180_000);

  it('the agent’s "My open tickets" shows it again, also at 390 px', async () => {
    const page = await signInToConsole(browser, app.url, AGENT);
    await page.goto(`${app.url}/#/tickets`);
    await expectOn(page, 'views-again', () => views(page).getByRole('button', { name: /^My open tickets \d+$/ }).waitFor({ timeout: 30_000 }));
    await views(page).getByRole('button', { name: /^My open tickets/ }).click();
    await expectOn(page, 'mine-again', () => page.locator('tbody tr', { hasText: `#${number}` }).waitFor({ timeout: 15_000 }));
    expect(await page.locator('tbody tr', { hasText: `#${number}` }).innerText()).toMatch(/Open/);
    await shot(page, 'mine-again');

    await page.setViewportSize(PHONE);
    await page.evaluate(() => localStorage.setItem('RaStore.sidebar.open', 'false'));
    await page.reload();
    await expectOn(page, 'phone-list', () => page.getByText(new RegExp(`#${number} `)).first().waitFor({ timeout: 30_000 }));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'phone-list');
    await page.goto(ticketUrl);
    await expectOn(page, 'phone-ticket', () => page.getByRole('heading', { level: 1 }).getByText(SUBJECT).waitFor({ timeout: 15_000 }));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'phone-ticket');
    await page.context().close();
  }, 180_000);
});
