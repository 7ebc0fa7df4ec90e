import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, DEMO_PASSWORD, gqlInPage, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
if (!executable) {
  process.stderr.write('\n[polish e2e] SKIPPED: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)\n');
}

/** A phone's width (an iPhone 12 to 15 in portrait). */
const PHONE = { width: 390, height: 844 };

/** Every page the demo admin has: the resources' lists, a form, and the plugins' own pages. */
const PAGES = [
  '/',
  '/tickets',
  '/tickets/create',
  '/users',
  '/roles',
  '/groups',
  '/audit',
  '/security-alerts',
  '/deliveries',
  '/backups',
  '/sso-connections',
  '/support-grants',
  '/api-tokens',
  '/account',
  '/security',
  '/network',
  '/rate-limits',
  '/mail',
  '/held-mail',
  '/mail-templates',
  '/quarantine',
];

/**
 * react-admin's own English, which reads like a framework talking, and its message keys, which
 * show when a key has no words at all (`ra.action.foo`).
 */
const DEFAULT_WORDS = [
  /\bra\.(action|page|message|navigation|notification|validation|auth|input|boolean|sort|saved_queries|configurable|guesser)\.[a-z_]+/,
  /\bElement (created|updated|deleted)\b/,
  /\bCreate (Tickets|People|Roles|Groups|Single sign-on)\b/,
  /Do you want to add one\?/,
  /No [A-Z][a-z]+ (yet|found)/,
  /Rows per page/,
  /Go Back|Go to (next|previous) page/,
  /dataProvider error/,
];

async function defaultsShown(page: Page): Promise<string[]> {
  // The page's text and its labels for assistive technology (button names live there too).
  const text = await page.evaluate(() => {
    const labels = [...document.querySelectorAll('[aria-label],[title],[placeholder]')].map((e) => [e.getAttribute('aria-label'), e.getAttribute('title'), e.getAttribute('placeholder')].join(' '));
    return `${document.body.innerText}\n${labels.join('\n')}`;
  });
  return DEFAULT_WORDS.filter((re) => re.test(text)).map((re) => `${re}: ${re.exec(text)?.[0]}`);
}

/** How far the page scrolls sideways (0: it fits the screen). */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

const shot = (name: string) => join(SCREENSHOTS, `polish-${name}.png`);
const fileName = (route: string) => route.replace(/^\/$/, 'dashboard').replace(/^\//, '').replace(/\W+/g, '-');

maybe('words and layout across the console (issue 20, item 8)', () => {
  const env = useConsoleApp(executable as string);

  /** The console's sign-in, on a phone from the start; resolves once `landed` shows. */
  async function signInOnPhone(email: string, landed: string): Promise<Page> {
    const page = await (await env.browser.newContext({ viewport: PHONE })).newPage();
    await page.goto(env.app.url);
    await page.getByLabel('Workspace').fill('demo');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(landed).first().waitFor({ timeout: 30_000 });
    return page;
  }

  it('the sign-in page has a title and fits a phone', async () => {
    const page = await (await env.browser.newContext({ viewport: PHONE })).newPage();
    await page.goto(env.app.url);
    await page.getByLabel('Workspace').waitFor();
    await page.waitForFunction(() => document.title === 'Sign in · Bulwark');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    expect(await defaultsShown(page)).toEqual([]);
    await page.screenshot({ path: shot('390-sign-in') });
    // Pages outside the console's layout are named by their heading.
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForFunction(() => document.title === 'Forgot your password? · Bulwark');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: shot('390-forgot-password') });
    await page.context().close();
  });

  it('every page at 390 px: a title of its own, a visible heading, our words, no sideways scroll', async () => {
    const page = await signInToConsole(env.browser, env.app.url, 'admin@demo.bulwark.test');
    await page.setViewportSize(PHONE);
    const problems: string[] = [];
    for (const route of PAGES) {
      await page.goto(`${env.app.url}/#${route}`);
      // Loaded: the app bar's title is set and nothing is still "Loading…".
      await page.waitForFunction(() => !!document.getElementById('react-admin-title')?.textContent?.trim(), undefined, { timeout: 15_000 });
      await page.waitForFunction(() => !/Loading…/.test(document.body.innerText), undefined, { timeout: 15_000 }).catch(() => undefined);
      await page.waitForTimeout(300);
      const heading = (await page.locator('#react-admin-title').innerText()).trim();
      const title = await page.title();
      if (title !== `${heading} · Bulwark`) problems.push(`${route}: the title "${title}" is not the heading "${heading}"`);
      if (!(await page.locator('#react-admin-title').isVisible())) problems.push(`${route}: no visible heading`);
      const wide = await overflow(page);
      if (wide > 0) problems.push(`${route}: scrolls ${wide}px sideways at 390 px`);
      for (const d of await defaultsShown(page)) problems.push(`${route}: react-admin default ${d}`);
      await page.screenshot({ path: shot(`390-${fileName(route)}`) });
    }
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('the requester’s portal at 390 px: titled after the workspace, our words, no sideways scroll', async () => {
    const page = await signInOnPhone('requester@demo.bulwark.test', 'My requests');
    const problems: string[] = [];
    for (const [route, title] of [
      ['/requests', 'My requests · Demo Company'],
      ['/requests/new', 'New request · Demo Company'],
    ]) {
      await page.goto(`${env.app.url}/#${route}`);
      await page.waitForFunction((t) => document.title === t, title, { timeout: 15_000 }).catch(async () => problems.push(`${route}: the title is "${await page.title()}", not "${title}"`));
      const wide = await overflow(page);
      if (wide > 0) problems.push(`${route}: scrolls ${wide}px sideways at 390 px`);
      for (const d of await defaultsShown(page)) problems.push(`${route}: react-admin default ${d}`);
      await page.screenshot({ path: shot(`390-portal-${fileName(route)}`) });
    }
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('at 390 px the menu is folded away and opens from the app bar', async () => {
    // Signed in on the phone itself: the menu's open or folded state is remembered per browser.
    const page = await signInOnPhone('admin@demo.bulwark.test', 'Welcome,');
    await page.goto(`${env.app.url}/#/tickets`);
    await page.locator('#react-admin-title').getByText('Tickets').waitFor();
    expect(await page.getByRole('menuitem', { name: 'People' }).isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Open the menu' }).click();
    await page.getByRole('menuitem', { name: 'People' }).waitFor();
    await page.screenshot({ path: shot('390-menu-open') });
    await page.getByRole('menuitem', { name: 'People' }).click();
    await page.waitForFunction(() => document.title === 'People · Bulwark');
    await page.context().close();
  });

  it('a form says what is missing in words, and shows the server’s refusal under its field', async () => {
    const page = await signInToConsole(env.browser, env.app.url, 'agent@demo.bulwark.test');
    await page.goto(`${env.app.url}/#/tickets/create`);
    await page.waitForFunction(() => document.title === 'New ticket · Bulwark');
    const subject = page.getByRole('textbox', { name: /Subject/ });
    const subjectField = page.locator('.MuiFormControl-root').filter({ has: subject });
    // The requester is someone new; the description is written; the subject is still empty.
    await page.getByLabel('New requester').check();
    await page.getByRole('textbox', { name: /Their name/ }).fill('Polly Polish');
    await page.getByRole('textbox', { name: /Their email address/ }).fill('polly.polish@example.test');
    await page.locator('.ProseMirror').first().click();
    await page.keyboard.type('A body');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await subjectField.getByText('Give the ticket a subject').waitFor();
    expect(await page.getByText('Required', { exact: true }).count()).toBe(0);
    await page.screenshot({ path: shot('form-required') });

    // The API's input validation as it answers (errors.plugin.ts), whatever the form checked first.
    await page.route('**/graphql', async (route) => {
      if (!route.request().postData()?.includes('createTicket')) return route.continue();
      await route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          data: null,
          errors: [{ message: 'Invalid input', extensions: { code: 'BAD_USER_INPUT', fields: { subject: 'subject must be shorter than or equal to 200 characters' } } }],
        }),
      });
    });
    await subject.fill('A subject');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    // Under the Subject field, in words, without the property's name.
    await subjectField.getByText('At most 200 characters').waitFor();
    expect(await page.evaluate(() => document.body.innerText)).not.toMatch(/subject must|Invalid input/);
    await page.screenshot({ path: shot('form-field-error') });
    await page.context().close();
  });

  it('a save says so in words: the ticket by its number, never "Element created"', async () => {
    const page = await signInToConsole(env.browser, env.app.url, 'agent@demo.bulwark.test');
    await page.goto(`${env.app.url}/#/tickets/create`);
    await page.getByLabel('New requester').check();
    await page.getByRole('textbox', { name: /Their name/ }).fill('Polly Polish');
    await page.getByRole('textbox', { name: /Their email address/ }).fill('polly.polish@example.test');
    await page.getByRole('textbox', { name: /Subject/ }).fill('Polish: saved in words');
    await page.locator('.ProseMirror').first().click();
    await page.keyboard.type('Made by the polish browser test');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByText(/^Ticket #\d+ created$/).waitFor();
    expect(await defaultsShown(page)).toEqual([]);
    await page.screenshot({ path: shot('saved') });
    await page.context().close();
  });

  it('names permissions and records in words: the roles matrix, the audit log’s filters, people’s actions on a phone', async () => {
    const page = await signInToConsole(env.browser, env.app.url, 'admin@demo.bulwark.test');
    // The roles matrix: permissions by what they allow, scopes in words, never their keys.
    await page.goto(`${env.app.url}/#/roles`);
    await page.getByRole('checkbox', { name: 'Agent: Open tickets one can see', exact: true }).waitFor({ timeout: 15_000 });
    await page.getByText('Sees every ticket').first().waitFor();
    const matrix = await page.locator('table').innerText();
    expect(matrix).not.toMatch(/\b[a-z]+\.[a-z][a-zA-Z]+\b|\b[A-Z]+_[A-Z_]+\b|tickets: (all|group|own)/);
    await page.screenshot({ path: shot('roles-in-words') });

    // The audit log: who acted is picked and shown by name, which record by its name too.
    const { data } = await gqlInPage<{ createTicket: { id: string } }>(
      page,
      'mutation { createTicket(input: { subject: "Audit filter by name", body: "x" }) { id } }',
    );
    const { data: me } = await gqlInPage<{ me: { name: string } }>(page, '{ me { name } }');
    await page.goto(`${env.app.url}/#/audit`);
    await page.locator('tbody tr').first().waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByRole('menu').getByText('Person who acted', { exact: true }).click();
    await page.getByRole('combobox', { name: 'Person who acted' }).fill(me.me.name);
    await page.getByRole('option', { name: me.me.name }).click();
    await page.waitForFunction((name) => (document.querySelector('input[name="actorId"]') as HTMLInputElement | null)?.value === name, me.me.name, { timeout: 15_000 });
    // The list reloads with the filter: only the admin's events, the seed's gone.
    const onlyBy = (name: string) => {
      const actors = [...document.querySelectorAll('tbody tr td:nth-child(2) p')].map((p) => (p as HTMLElement).innerText);
      return actors.length > 0 && actors.every((a) => a === name);
    };
    await page.waitForFunction(onlyBy, me.me.name, { timeout: 15_000 });
    await page.screenshot({ path: shot('audit-by-person') });
    // "All events for it" on a ticket's event: the filter names the ticket by its subject.
    const filter = encodeURIComponent(JSON.stringify({ targetType: 'Ticket', targetId: data.createTicket.id }));
    await page.goto(`${env.app.url}/#/audit?filter=${filter}`);
    await page.waitForFunction(() => (document.querySelector('input[name="targetId"]') as HTMLInputElement | null)?.value === 'Audit filter by name', undefined, { timeout: 15_000 });
    await page.getByRole('textbox', { name: 'Which ticket' }).waitFor();
    const shown = await page.evaluate(() => [...document.querySelectorAll('form input')].map((i) => `${(i as HTMLInputElement).value} ${i.closest('.MuiFormControl-root')?.textContent ?? ''}`).join('\n'));
    expect(shown).not.toMatch(/[0-9a-f]{8}(-|…)|\bid\b/i); // no id, whole or shortened
    await page.screenshot({ path: shot('audit-about-ticket') });
    await page.getByRole('button', { name: 'Clear which ticket' }).click();
    await page.getByRole('combobox', { name: 'Which ticket' }).waitFor(); // now a picker of tickets by subject

    await page.context().close();

    // People on a phone: the actions fold into a menu instead of scrolling the table sideways.
    const phone = await signInOnPhone('admin@demo.bulwark.test', 'Dashboard');
    await phone.goto(`${env.app.url}/#/users`);
    const more = phone.getByRole('button', { name: /^More for / }).first();
    await more.waitFor({ timeout: 15_000 });
    const sideways = await phone.evaluate(() => [...document.querySelectorAll('table')].map((t) => (t.parentElement?.scrollWidth ?? 0) - (t.parentElement?.clientWidth ?? 0)));
    expect(Math.max(...sideways)).toBeLessThanOrEqual(0);
    await more.click();
    await phone.getByRole('menuitem', { name: 'Reset 2FA' }).waitFor();
    await phone.screenshot({ path: shot('390-people-menu'), animations: 'disabled' });
    await phone.keyboard.press('Escape');
    await phone.context().close();
  });

  it('holds up to what people type and where they go: a one-word subject, a missing ticket or page, an empty subject, a wrong password, a German browser', async () => {
    // A German browser in Tokyo: dates in its format, words of the interface still English.
    const context = await env.browser.newContext({ locale: 'de-DE', timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    await page.goto(env.app.url);
    await page.getByLabel('Workspace').fill('demo');
    await page.getByLabel('Email').fill('agent@demo.bulwark.test');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Dashboard').first().waitFor({ timeout: 30_000 });

    // A subject of one 200-letter word (a requester can type one) wraps; the list keeps the screen's width.
    const long = 'x'.repeat(200);
    await gqlInPage(page, 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }', { i: { subject: long, body: 'One long word' } });
    await page.goto(`${env.app.url}/#/tickets`);
    await page.getByText(long).first().waitFor({ timeout: 15_000 });
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: shot('long-subject') });

    // A ticket that is not there keeps its address and says so, titled.
    await page.goto(`${env.app.url}/#/tickets/00000000-0000-4000-8000-000000000000/show`);
    await page.getByText('This ticket could not be opened').waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => document.title === 'Ticket not found · Bulwark');
    expect(page.url()).toContain('/tickets/00000000-0000-4000-8000-000000000000/show');
    // An address that is no page: a title and our words, one full stop.
    await page.goto(`${env.app.url}/#/no-such-page`);
    await page.getByText(/There is nothing at this address/).waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => document.title === 'Page not found · Bulwark');
    expect(await page.locator('main').innerText()).not.toContain('..');

    // An empty subject is not saved silently: the field says why.
    const { data } = await gqlInPage<{ createTicket: { id: string } }>(page, 'mutation { createTicket(input: { subject: "Rename me", body: "x" }) { id } }');
    await page.goto(`${env.app.url}/#/tickets/${data.createTicket.id}/show`);
    await page.getByRole('button', { name: 'Change the subject' }).click();
    await page.getByRole('textbox', { name: 'Subject' }).fill('   ');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Give the ticket a subject').waitFor();

    // People: no empty Manage column for an agent, who cannot manage anyone.
    await page.goto(`${env.app.url}/#/users`);
    await page.getByText('Ada Admin').first().waitFor({ timeout: 15_000 });
    expect(await page.getByRole('columnheader', { name: 'Manage' }).count()).toBe(0);

    // My account: devices named, times in English, a wrong password said on its field.
    await page.goto(`${env.app.url}/#/account`);
    await page.getByText('Where you are signed in').waitFor({ timeout: 15_000 });
    await page.getByText(/last active/).first().waitFor();
    const account = await page.locator('main').innerText();
    expect(account).not.toMatch(/Mozilla\/5\.0|AppleWebKit|\bvor\b|Sekunden/);
    expect(account).toMatch(/Chrome[\w ]* on Linux/);
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password').fill('a much longer new passphrase 42');
    await page.getByRole('button', { name: 'Change password' }).click();
    // Under the field (its helper text), not only in a passing notice.
    await page.locator('.MuiFormHelperText-root', { hasText: 'The current password is not right' }).waitFor({ timeout: 15_000 });
    expect(await page.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: shot('account-wrong-password'), fullPage: true });
    await context.close();
  });
});
