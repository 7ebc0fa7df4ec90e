/**
 * Attachments (issue 20 §5) in headless Chromium, on the app as `npm start` runs it (demo
 * tenant): the demo admin opens the attachment limits, a size out of range is refused on its
 * field, then a smaller limit without PDF is saved; a requester's upload of a PDF is then refused
 * in words by the upload route, and a PNG is taken. The same page at 390 px wide.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, DEMO_PASSWORD, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const ADMIN = 'admin@demo.bulwark.test';
const REQUESTER = 'requester@demo.bulwark.test';

maybe('attachment limits in the console', () => {
  const env = useConsoleApp(executable as string);

  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-attachments-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  it('lets an admin set the largest file and the kinds, which uploads then obey', async () => {
    const page = await signInToConsole(env.browser, env.app.url, ADMIN);
    await page.getByRole('menuitem', { name: 'Attachments' }).click();
    await expectOn(page, 'page', () => page.getByRole('button', { name: 'Save limits' }).waitFor({ timeout: 15_000 }));
    expect(await page.locator('#react-admin-title').innerText()).toContain('Attachments');
    await page.screenshot({ path: join(SCREENSHOTS, 'attachments-settings.png'), fullPage: true, animations: 'disabled' });

    const size = page.getByRole('textbox', { name: 'Largest file (MB)' });
    await size.fill('100');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await expectOn(page, 'size-error', () => page.getByText('Choose between 1 KB and 25 MB').first().waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'attachments-settings-error.png'), fullPage: true, animations: 'disabled' });
    await size.fill('2');
    await page.getByRole('checkbox', { name: 'PDF document' }).uncheck();
    await page.getByRole('button', { name: 'Save limits' }).click();
    await expectOn(page, 'saved', () => page.getByText('Attachment limits saved').waitFor({ timeout: 15_000 }));

    // The requester's uploads obey them: a PDF is refused in words, a PNG is taken.
    const login = await fetch(`${env.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation($i: LoginInput!) { login(input: $i) { token } }`, variables: { i: { tenant: 'demo', email: REQUESTER, password: DEMO_PASSWORD } } }),
    });
    const token = ((await login.json()) as { data: { login: { token: string } } }).data.login.token;
    const upload = (name: string, body: Buffer) =>
      fetch(`${env.app.url}/api/tickets/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'x-filename': name }, body: new Uint8Array(body) });
    const pdf = await upload('invoice.pdf', Buffer.from('%PDF-1.7\n%…'));
    expect(pdf.status).toBe(415);
    expect(((await pdf.json()) as { errors: { message: string }[] }).errors[0].message).toMatch(/PDF document/);
    const png = await upload('screen.png', Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(32)]));
    expect(png.status).toBe(201);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await expectOn(page, 'narrow', () => page.getByRole('button', { name: 'Save limits' }).waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'attachments-settings-390.png'), fullPage: true, animations: 'disabled' });
  });
});
