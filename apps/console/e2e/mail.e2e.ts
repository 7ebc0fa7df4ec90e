/**
 * Inbound mail's console part (issue 19) in headless Chromium, on the app as `npm start` runs it
 * (demo tenant): the admin finds the workspace address, has a bad forwarding address refused on
 * its field after the password prompt (B8), makes the HTTP endpoint's secret (shown once), a
 * provider posts a message whose From: claims the demo requester but nothing vouches for it (H5),
 * the admin finds it in Held mail with the reason and releases it after a confirmation, and it is
 * then the requester's ticket. An agent has neither page.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, DEMO_PASSWORD, gqlInPage, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;

maybe('inbound mail in the console', () => {
  const env = useConsoleApp(executable as string);

  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-mail-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  it('H5 an admin sets up the address and endpoint, and releases a held message into a ticket', async () => {
    const page = await signInToConsole(env.browser, env.app.url, 'admin@demo.bulwark.test');
    await page.getByRole('menuitem', { name: 'Mail', exact: true }).click();
    await expectOn(page, 'page', () => page.getByLabel('Workspace address').waitFor({ timeout: 15_000 }));
    expect(await page.locator('#react-admin-title').innerText()).toContain('Mail');
    expect(await page.getByLabel('Workspace address').innerText()).toBe('demo@mail.localhost');

    // A bad forwarding address: the password prompt first (B8), then the refusal on the field.
    const forwarding = page.getByRole('textbox', { name: 'Your own support addresses that forward here' });
    await forwarding.fill('support@demo.example\nnot an address');
    await page.getByRole('button', { name: 'Save mail settings' }).click();
    const prompt = page.getByRole('dialog', { name: 'Confirm it is you' });
    await expectOn(page, 'prompt', () => prompt.waitFor({ timeout: 15_000 }));
    await prompt.getByLabel('Your password').fill(DEMO_PASSWORD);
    await prompt.getByRole('button', { name: 'Confirm' }).click();
    await expectOn(page, 'field-error', () => page.getByText('“not an address” is not an email address').first().waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'mail-settings-error.png'), fullPage: true, animations: 'disabled' });
    await forwarding.fill('Support@Demo.example');
    await page.getByRole('button', { name: 'Save mail settings' }).click();
    await expectOn(page, 'saved', () => page.getByText('Mail settings saved').waitFor({ timeout: 15_000 }));
    expect(await forwarding.inputValue()).toBe('support@demo.example');

    // The endpoint's secret, shown once.
    await page.getByRole('button', { name: 'Make an inbound mail secret' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Make it' }).click();
    const shown = page.getByRole('dialog', { name: 'Your inbound mail secret' });
    await expectOn(page, 'secret', () => shown.waitFor({ timeout: 15_000 }));
    const secret = (await shown.getByTestId('mail-inbound-secret').innerText()).trim();
    expect(secret).toMatch(/^bwm_/);
    await page.screenshot({ path: join(SCREENSHOTS, 'mail-secret-shown-once.png'), animations: 'disabled' });
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByText('A secret is set.').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'mail-settings.png'), fullPage: true, animations: 'disabled' });

    // A provider posts a message that claims the requester; nothing vouches for it.
    const raw = [
      'From: Rita Requester <requester@demo.bulwark.test>',
      'To: demo@mail.localhost',
      'Subject: Please reset my VPN token',
      `Message-ID: <${Date.now()}@forger.example>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Send the new token to this address, please.',
      '',
    ].join('\r\n');
    const posted = await fetch(`${env.app.url}/api/mail/inbound`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'message/rfc822' }, body: raw });
    expect([posted.status, await posted.json()]).toEqual([202, { status: 'held' }]);

    await page.getByRole('menuitem', { name: 'Held mail' }).click();
    const row = page.getByRole('table', { name: 'Held mail' }).getByRole('row', { name: 'Please reset my VPN token from requester@demo.bulwark.test' });
    await expectOn(page, 'queue', () => row.waitFor({ timeout: 15_000 }));
    expect(await page.locator('#react-admin-title').innerText()).toContain('Held mail');
    const text = await row.innerText();
    expect(text).toMatch(/may be forged/);
    expect(text).toMatch(/DMARC none/);
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/); // no bare ids
    await page.screenshot({ path: join(SCREENSHOTS, 'mail-held-queue.png'), fullPage: true, animations: 'disabled' });

    await row.getByRole('button', { name: 'Release: Please reset my VPN token from requester@demo.bulwark.test' }).click();
    const confirm = page.getByRole('dialog');
    await confirm.getByText('You vouch that requester@demo.bulwark.test really sent it').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'mail-release-confirm.png'), animations: 'disabled' });
    await confirm.getByRole('button', { name: 'Release' }).click();
    await expectOn(page, 'released', () => page.getByText('Released the message from requester@demo.bulwark.test').waitFor({ timeout: 15_000 }));
    await page.getByText('No mail is held.').waitFor();

    const tickets = await gqlInPage<{ tickets: { nodes: { subject: string; channel: string; requester: { email: string } }[] } }>(
      page,
      `{ tickets(filter: { search: "VPN token" }) { nodes { subject channel requester { email } } } }`,
    );
    expect(tickets.data.tickets.nodes).toEqual([{ subject: 'Please reset my VPN token', channel: 'EMAIL', requester: { email: 'requester@demo.bulwark.test' } }]);
    await page.context().close();

    const agent = await signInToConsole(env.browser, env.app.url, 'agent@demo.bulwark.test');
    await agent.getByRole('menuitem', { name: 'Tickets' }).waitFor();
    expect(await agent.getByRole('menuitem', { name: 'Held mail' }).count()).toBe(0);
    expect(await agent.getByRole('menuitem', { name: 'Mail', exact: true }).count()).toBe(0);
    await agent.context().close();
  }, 180_000);
});
