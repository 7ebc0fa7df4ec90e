/**
 * The agent's workspace (issue 20, items 1-4) in headless Chromium, on the app as `npm start` runs
 * it (demo tenant): the demo agent logs a phone ticket for a new requester with tags and a file, finds it by
 * a word of its body and by its number (#… and Enter opens it), saves a view of the search, writes
 * an internal note and then replies and solves the ticket in one step ("Submit as Solved"), and
 * reads the history in words. The same pages at 390 px wide, without sideways scrolling.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, expectOn as expectOnPage, giveAgentCustomRole, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const AGENT = 'agent@demo.bulwark.test';
const SUBJECT = 'Projector in room 4 flickers';
const BODY_WORD = 'stroboscopic';

maybe("the agent's ticket workspace", () => {
  const env = useConsoleApp(executable as string);
  let ticketUrl = '';
  let number = '';

  /** Waits for `what`; on failure saves failed-agent-workspace-<step>.png, to see why. */
  const expectOn = (page: Page, step: string, what: () => Promise<unknown>) => expectOnPage(page, `agent-workspace-${step}`, what);
  const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(SCREENSHOTS, `agent-workspace-${name}.png`), fullPage, animations: 'disabled' });
  const search = (page: Page) => page.getByRole('textbox', { name: 'Search tickets' });

  it('logs a phone ticket for a new requester with tags, finds it by a word and by its number, replies and solves it in one step', async () => {
    const page = await signInToConsole(env.browser, env.app.url, AGENT);
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    const views = page.getByRole('navigation', { name: 'Views' });
    await expectOn(page, 'views', () => views.getByRole('button', { name: /^My open tickets \d+$/ }).waitFor({ timeout: 30_000 }));
    for (const v of ['Unassigned', 'All open', 'Pending', 'Recently solved']) await views.getByRole('button', { name: new RegExp(`^${v} \\d+$`) }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator('thead').innerText()).toMatch(/#\s+Subject\s+Requester\s+Status\s+Priority\s+Assignee\s+(Group\s+)?Updated/);
    // people's names, never ids; numbers as #1001
    expect(await page.locator('tbody').innerText()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(await page.locator('tbody').innerText()).toMatch(/#10\d\d/);
    const mineBefore = Number((await views.getByRole('button', { name: /^My open tickets/ }).innerText()).match(/(\d+)$/)?.[1]);
    await shot(page, 'list');

    // New ticket: by phone (the agent's default), for someone without an account yet.
    await page.getByRole('link', { name: 'New ticket' }).click();
    await expectOn(page, 'create', () => page.getByRole('heading', { level: 1, name: 'New ticket' }).waitFor({ timeout: 15_000 }));
    await page.getByLabel('New requester').check();
    await page.getByRole('textbox', { name: /Their name/ }).fill('Nora Newcomer');
    await page.getByRole('textbox', { name: /Their email address/ }).fill('nora.newcomer@example.test');
    await page.getByRole('textbox', { name: /Subject/ }).fill(SUBJECT);
    await page.locator('.ProseMirror').first().click();
    await page.keyboard.type(`The projector in meeting room 4 has a ${BODY_WORD} flicker. `);
    await page.keyboard.press('Control+b');
    await page.keyboard.type('Board meeting at 3 pm.');
    await page.keyboard.press('Control+b');
    expect(await page.getByRole('combobox', { name: /Received by/ }).innerText()).toBe('Phone');
    const tags = page.getByRole('combobox', { name: 'Tags' });
    await tags.fill('hardware');
    await tags.press('Enter');
    await tags.fill('Meeting rooms');
    await tags.press('Enter');
    await page.getByRole('button', { name: 'meeting-rooms' }).waitFor(); // a tag is a word: spaces became '-'
    // A file with the description, uploaded as it is picked.
    await page.locator('input[type=file]').setInputFiles({ name: 'projector-log.txt', mimeType: 'text/plain', buffer: Buffer.from('Lamp hours: 4012\nFlicker since Monday\n') });
    await expectOn(page, 'attached', () => page.getByRole('button', { name: 'Attached: projector-log.txt' }).waitFor({ timeout: 15_000 }));
    await page.getByRole('combobox', { name: 'Assignee' }).fill('Alan');
    await page.getByRole('option', { name: /Alan Agent/ }).click();
    await shot(page, 'create', true);
    await page.getByRole('button', { name: 'Create ticket' }).click();

    // The new ticket's page: "#1037 Projector…", the requester's words as the first message.
    await expectOn(page, 'created', () => page.waitForURL(/\/tickets\/[0-9a-f-]{36}\/show$/, { timeout: 15_000 }));
    ticketUrl = page.url();
    const heading = page.getByRole('heading', { level: 1 });
    const header = page.getByTestId('ticket-header');
    await expectOn(page, 'page', () => heading.getByText(SUBJECT).waitFor({ timeout: 15_000 }));
    number = (await heading.innerText()).match(/#(\d+)/)?.[1] ?? '';
    expect(Number(number)).toBeGreaterThan(1000);
    await page.waitForFunction((t) => document.title === t, `#${number} ${SUBJECT} · Bulwark`);
    const first = page.getByRole('article', { name: 'Message from Nora Newcomer' });
    await first.getByText(BODY_WORD, { exact: false }).waitFor();
    expect(await first.locator('strong').innerText()).toBe('Board meeting at 3 pm.'); // the formatting kept (sanitized HTML)
    await first.getByRole('link', { name: 'Download projector-log.txt' }).waitFor(); // the attachment, inline in its message
    const requester = page.getByRole('region', { name: 'Requester' });
    await requester.getByText('nora.newcomer@example.test').waitFor();
    await requester.getByText('None').waitFor(); // no other tickets yet
    await shot(page, 'ticket-new', true);

    // Found by a word of its body, from the list's search.
    await page.getByRole('link', { name: 'Back to the tickets' }).click();
    await search(page).fill(BODY_WORD);
    await expectOn(page, 'by-word', () => page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1, undefined, { timeout: 15_000 }));
    const row = page.locator('tbody tr');
    expect(await row.innerText()).toMatch(new RegExp(`#${number}\\s+${SUBJECT}\\s+Nora Newcomer\\s+New\\s+Normal\\s+Alan Agent`));
    // The agent's "My open tickets" counts it.
    await expectOn(page, 'mine', () => views.getByRole('button', { name: `My open tickets ${mineBefore + 1}` }).waitFor({ timeout: 15_000 }));
    await shot(page, 'search-word');

    // Saved as a view of the agent's own, with its count; then deleted.
    await page.getByRole('button', { name: 'Save this view' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save this view' });
    await dialog.getByRole('textbox', { name: 'Name of the view' }).fill('Flickering projectors');
    await dialog.getByRole('button', { name: 'Save view' }).click();
    await expectOn(page, 'saved-view', () => views.getByRole('button', { name: 'Flickering projectors 1' }).waitFor({ timeout: 15_000 }));
    expect(await page.locator('tbody tr').count()).toBe(1);
    await shot(page, 'saved-view');
    await views.getByRole('button', { name: 'Delete the view Flickering projectors' }).click();
    await page.getByRole('dialog', { name: 'Delete the view “Flickering projectors”?' }).getByRole('button', { name: 'Delete view' }).click();
    await expectOn(page, 'view-deleted', () => views.getByRole('button', { name: /^Flickering projectors/ }).waitFor({ state: 'detached', timeout: 15_000 }));

    // The filters: by a tag (picked from those in use) and the assignee, with the search cleared.
    await search(page).fill('');
    await page.getByRole('button', { name: 'Filters' }).click();
    const filters = page.getByRole('region', { name: 'Filters' });
    await filters.getByRole('combobox', { name: 'Tags (all of them)' }).fill('meeting');
    await page.getByRole('option', { name: 'meeting-rooms' }).click();
    await expectOn(page, 'by-tag', () => page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1, undefined, { timeout: 15_000 }));
    expect(await page.locator('tbody tr').innerText()).toContain(SUBJECT);
    await filters.getByRole('combobox', { name: 'Assignee' }).fill('Alan');
    await page.getByRole('option', { name: /Alan Agent/ }).click();
    await page.locator('tbody tr').getByText(SUBJECT).waitFor();
    await shot(page, 'filters');
    await views.getByRole('button', { name: /^All tickets/ }).click(); // a view starts from no filters

    // By its number: "#1037" and Enter opens it.
    await search(page).fill(`#${number}`);
    await search(page).press('Enter');
    await expectOn(page, 'by-number', () => page.waitForURL(ticketUrl, { timeout: 15_000 }));

    // An internal note (marked as such), then the reply that solves the ticket in one step.
    const reply = page.getByRole('region', { name: 'Reply box' });
    await expectOn(page, 'reply-box', () => reply.getByRole('button', { name: 'Internal note' }).click({ timeout: 15_000 }));
    await reply.locator('.ProseMirror').click();
    await page.keyboard.type('Facilities say the lamp is at the end of its life; a spare is in the store room.');
    await reply.getByRole('button', { name: 'Submit as Open' }).click();
    const note = page.getByRole('article', { name: 'Internal note from Alan Agent' });
    await expectOn(page, 'note', () => note.waitFor({ timeout: 15_000 }));
    await note.getByText('Internal note', { exact: false }).waitFor();
    expect(await note.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 248, 225)'); // the notes' yellow
    await header.getByText('Open', { exact: true }).waitFor();

    await reply.locator('.ProseMirror').click();
    await page.keyboard.type('We replaced the projector lamp; it should be steady now.');
    await reply.getByRole('button', { name: 'Submit as another status' }).click();
    await page.getByRole('menuitem', { name: 'Submit as Solved' }).waitFor();
    await shot(page, 'submit-as');
    await page.getByRole('menuitem', { name: 'Submit as Solved' }).click();
    await expectOn(page, 'solved', () => header.getByText('Solved', { exact: true }).waitFor({ timeout: 15_000 }));
    await page.getByRole('article', { name: 'Message from Alan Agent' }).getByText('We replaced the projector lamp').waitFor();
    expect(await page.locator('#ticket-status').innerText()).toBe('Solved');

    // The history in words: names and values, never ids.
    await page.getByRole('button', { name: /^History/ }).click();
    const history = page.getByRole('region', { name: 'History' });
    await expectOn(page, 'history', () => history.getByText('Created the ticket for Nora Newcomer').waitFor({ timeout: 15_000 }));
    const words = await history.innerText();
    expect(words).toMatch(/changed the status from New to Open/i);
    expect(words).toMatch(/changed the status from Open to Solved/i);
    expect(words).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    await shot(page, 'ticket-solved', true);

    // A property changed in place: the priority, saved at once, and said in the history.
    await page.locator('#ticket-priority').click();
    await page.getByRole('option', { name: 'High' }).click();
    await expectOn(page, 'priority', () => history.getByText(/changed the priority from Normal to High/i).waitFor({ timeout: 15_000 }));
    await page.context().close();
  }, 240_000);

  it('works at 390 px wide: the list, the ticket with its side panel below the thread, and New ticket', async () => {
    const page = await signInToConsole(env.browser, env.app.url, AGENT);
    await page.setViewportSize({ width: 390, height: 844 });
    // A phone's menu starts closed (react-admin's stored state, kept from the wide screen otherwise).
    await page.evaluate(() => localStorage.setItem('RaStore.sidebar.open', 'false'));
    const noSideways = async (step: string) =>
      expectOn(page, `narrow-${step}`, async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390));

    await page.goto(`${env.app.url}/#/tickets`);
    await page.reload(); // a new page load, as on the phone
    const view = page.locator('#tickets-view');
    await expectOn(page, 'narrow-list', () => view.waitFor({ timeout: 30_000 }));
    await page.getByText(/#10\d\d /).first().waitFor();
    await noSideways('list');
    await shot(page, 'narrow-list');
    await view.click();
    await page.getByRole('option', { name: /^Recently solved \(\d+\)$/ }).click();
    await expectOn(page, 'narrow-solved', () => page.getByText(`#${number} ${SUBJECT}`).waitFor({ timeout: 15_000 }));
    await shot(page, 'narrow-solved-view');

    await page.getByText(`#${number} ${SUBJECT}`).click();
    await expectOn(page, 'narrow-ticket', () => page.getByRole('heading', { level: 1 }).getByText(SUBJECT).waitFor({ timeout: 15_000 }));
    // The side panel comes after the conversation and the reply box.
    const thread = await page.getByRole('region', { name: 'Conversation' }).boundingBox();
    const panel = await page.getByRole('complementary', { name: 'Ticket details' }).boundingBox();
    expect(panel!.y).toBeGreaterThan(thread!.y + thread!.height);
    await noSideways('ticket');
    await shot(page, 'narrow-ticket', true);

    await page.goto(`${env.app.url}/#/tickets/create`);
    await expectOn(page, 'narrow-create', () => page.getByRole('heading', { level: 1, name: 'New ticket' }).waitFor({ timeout: 15_000 }));
    await noSideways('create');
    await shot(page, 'narrow-create', true);
    await page.context().close();
  }, 180_000);

  // Last: it changes the demo agent's role.
  it('shows the same pages read only to someone who may read tickets but not change or answer them (an auditor’s rights)', async () => {
    await giveAgentCustomRole(env.browser, env.app.url, 'Ticket reader', ['TICKETS_READ', 'TICKETS_VIEW_ALL', 'USERS_READ']);
    const page = await signInToConsole(env.browser, env.app.url, AGENT);
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    await expectOn(page, 'reader-list', () => page.locator('tbody tr').first().waitFor({ timeout: 30_000 }));
    expect(await page.getByRole('link', { name: 'New ticket' }).count()).toBe(0);
    await page.goto(ticketUrl);
    await expectOn(page, 'reader-ticket', () => page.getByRole('region', { name: 'Conversation' }).waitFor({ timeout: 15_000 }));
    await page.getByRole('article', { name: 'Internal note from Alan Agent' }).waitFor({ state: 'detached' }); // notes are not theirs to read
    expect(await page.getByRole('region', { name: 'Reply box' }).count()).toBe(0);
    const details = page.getByRole('complementary', { name: 'Ticket details' });
    expect(await page.locator('#ticket-status').getAttribute('aria-disabled')).toBe('true');
    await details.getByText('hardware, meeting-rooms').waitFor(); // the tags, read only
    await page.getByRole('button', { name: /^History/ }).click();
    await page.getByRole('region', { name: 'History' }).getByText('Created the ticket for Nora Newcomer').waitFor();
    await shot(page, 'read-only', true);
    await page.context().close();
  }, 120_000);
});
