/**
 * Organizations in headless Chromium, on the app as `npm start` runs it (demo tenant, whose
 * requester joined "Demo Customers Ltd" by her address's domain): the demo admin makes an
 * organization with domains as chips (a wrong and a taken domain are said on their field), finds
 * it by search, moves the requester into it on the People screen, and deletes it (she stays, in no
 * organization). The agent reads organizations but cannot change them. The screens at 390 px too.
 */
import { join } from 'node:path';
import { chromiumPath, expectOn as expectOnPage, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const ADMIN = 'admin@demo.bulwark.test';
const AGENT = 'agent@demo.bulwark.test';

maybe('organizations in the console', () => {
  const env = useConsoleApp(executable as string);
  const expectOn: typeof expectOnPage = (page, step, what) => expectOnPage(page, `organizations-${step}`, what);

  it('makes an organization with domains, shows field errors, moves a person into it and deletes it', async () => {
    const page = await signInToConsole(env.browser, env.app.url, ADMIN);
    await page.getByRole('menuitem', { name: 'Organizations' }).click();
    const table = page.getByRole('table', { name: 'Organizations' });
    const demo = table.getByRole('row', { name: /Demo Customers Ltd/ });
    await expectOn(page, 'list', () => demo.waitFor({ timeout: 15_000 }));
    expect(await demo.innerText()).toMatch(/demo\.bulwark\.test[^]*\b1\b/); // Rita joined by her domain
    expect(await page.locator('#react-admin-title').innerText()).toBe('Organizations');

    // A new one: a wrong domain, then a taken one, each said on the domains field.
    await page.getByRole('button', { name: 'New organization' }).click();
    const form = page.getByRole('dialog', { name: 'New organization' });
    await form.getByRole('textbox', { name: 'Name' }).fill('Northwind Traders');
    const domains = form.getByRole('combobox', { name: 'Email domains' });
    await domains.fill('not a domain');
    await domains.press('Enter');
    await form.getByRole('button', { name: 'Create organization' }).click();
    await expectOn(page, 'invalid', () => form.getByText('“not a domain” is not a domain name like example.com').waitFor({ timeout: 15_000 }));
    await form.getByRole('button', { name: 'not a domain' }).locator('svg').click(); // the chip's delete icon
    await domains.fill('demo.bulwark.test');
    await domains.press('Enter');
    await form.getByRole('button', { name: 'Create organization' }).click();
    await expectOn(page, 'taken', () => form.getByText('demo.bulwark.test belongs to Demo Customers Ltd already').waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'organizations-field-error.png'), animations: 'disabled' });
    await form.getByRole('button', { name: 'demo.bulwark.test' }).locator('svg').click();
    await domains.fill('Northwind.example');
    await domains.press('Enter');
    await domains.fill('@northwind-traders.example');
    await domains.press('Enter');
    await form.getByRole('button', { name: 'northwind.example', exact: true }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'organizations-new.png'), animations: 'disabled' });
    await form.getByRole('button', { name: 'Create organization' }).click();
    await form.waitFor({ state: 'hidden' });
    const northwind = table.getByRole('row', { name: /Northwind Traders/ });
    await expectOn(page, 'created', () => northwind.getByText('northwind-traders.example').waitFor({ timeout: 15_000 }));

    // Search by a word of the name.
    await page.getByPlaceholder('Search by name or domain').fill('north');
    await expectOn(page, 'search', () => demo.waitFor({ state: 'detached', timeout: 15_000 }));
    await northwind.waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'organizations-search.png') });
    await page.getByPlaceholder('Search by name or domain').fill('');

    // On the People screen: Rita's organization by name, changed to Northwind.
    await page.getByRole('menuitem', { name: 'People' }).click();
    const rita = page.getByRole('row', { name: /Rita Requester/ });
    await expectOn(page, 'people', () => rita.getByText('Demo Customers Ltd').waitFor({ timeout: 15_000 }));
    await rita.getByRole('button', { name: 'Change the organization of Rita Requester' }).click();
    const move = page.getByRole('dialog', { name: 'Organization of Rita Requester' });
    const picker = move.getByRole('combobox', { name: 'Organization' });
    await expectOn(page, 'current', () => picker.and(page.locator('[value="Demo Customers Ltd"]')).waitFor({ timeout: 15_000 })); // her organization now
    await picker.fill('North');
    await page.getByRole('option', { name: 'Northwind Traders' }).click();
    await page.screenshot({ path: join(SCREENSHOTS, 'organizations-person.png'), animations: 'disabled' });
    await move.getByRole('button', { name: 'Save' }).click();
    await move.waitFor({ state: 'hidden' });
    await expectOn(page, 'moved', () => rita.getByText('Northwind Traders').waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'organizations-people.png') });

    // Deleted after a confirmation that says what happens to its one person.
    await page.getByRole('menuitem', { name: 'Organizations' }).click();
    await northwind.getByRole('button', { name: 'Delete Northwind Traders' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete the organization Northwind Traders?' });
    await confirm.getByText('Its one person stays, in no organization').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'organizations-delete-confirm.png'), animations: 'disabled' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await expectOn(page, 'deleted', () => northwind.waitFor({ state: 'detached', timeout: 15_000 }));
    await page.getByRole('menuitem', { name: 'People' }).click();
    await expectOn(page, 'none', () => rita.getByText('No organization', { exact: true }).waitFor({ timeout: 15_000 }));

    // 390 px wide: the list and the dialog still fit.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${env.app.url}/#/organizations`);
    // Loaded at this width, as a phone would: a page narrowed while open keeps the wide layout's
    // sidebar as a hidden modal drawer, which hides the page from assistive technology.
    await page.reload();
    await expectOn(page, 'narrow', () => demo.waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'organizations-390.png'), fullPage: true });
    await page.getByRole('button', { name: 'Edit Demo Customers Ltd' }).click();
    await page.getByRole('dialog', { name: 'Edit Demo Customers Ltd' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'organizations-edit-390.png'), animations: 'disabled' });
    await page.keyboard.press('Escape');
    await page.goto(`${env.app.url}/#/users`);
    await expectOn(page, 'people-narrow', () => rita.waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'organizations-people-390.png'), fullPage: true });
    await page.context().close();
  }, 180_000);

  it('lets the agent read organizations but not change them', async () => {
    const agent = await signInToConsole(env.browser, env.app.url, AGENT);
    await agent.getByRole('menuitem', { name: 'Organizations' }).click();
    await expectOn(agent, 'agent', () => agent.getByRole('row', { name: /Demo Customers Ltd/ }).waitFor({ timeout: 15_000 }));
    await agent.getByText('changing them needs the “manage organizations” permission').waitFor();
    expect(await agent.getByRole('button', { name: 'New organization' }).count()).toBe(0);
    expect(await agent.getByRole('button', { name: /^(Edit|Delete) / }).count()).toBe(0);
    await agent.screenshot({ path: join(SCREENSHOTS, 'organizations-agent.png') });
    await agent.context().close();
  }, 120_000);
});
