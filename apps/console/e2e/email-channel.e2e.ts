/**
 * The email channel end to end (issue 19), on the app as `npm start` runs it (demo tenant), with
 * real parts on loopback: the app's own SMTP listener takes mail in, an SMTP server from the
 * `smtp-server` package is the requester's mailbox, and a DNS server answers for the requester's
 * domain, whose DKIM key signs her mail. An email to the demo workspace becomes a ticket in the
 * agent's list; the agent replies in the console and the mailbox receives it threaded; her answer
 * by mail lands on the same ticket; an internal note sends nothing; a forged message is held.
 */
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { ParsedMail } from 'mailparser';
import { chromiumPath, freePort, launchBrowser, removeDataDir, SCREENSHOTS, signInToConsole, startApp, startMailbox, type Mailbox, type RunningApp } from '../../../tools/e2e/harness';
import { senderDomain, smtpClient, startDnsServer } from '../../../libs/mail/api/src/sender.fixture';
import type { Browser } from 'playwright-core';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const AGENT = 'agent@demo.bulwark.test';
const ADMIN = 'admin@demo.bulwark.test';
const REQUESTER = 'requester@demo.bulwark.test';

maybe('the email channel', () => {
  // Her domain signs its mail and sends it from its own server, not from here: mail from this
  // machine that its key did not sign is a forgery (SPF fails too).
  const domain = senderDomain('demo.bulwark.test', { spf: 'v=spf1 ip4:192.0.2.10 -all' });
  let mail: Mailbox;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  let app: RunningApp;
  let browser: Browser;
  let smtpPort: number;

  beforeAll(async () => {
    mail = await startMailbox();
    dns = await startDnsServer(domain);
    smtpPort = await freePort();
    app = await startApp(undefined, {
      BULWARK_SMTP_URL: mail.url,
      BULWARK_SMTP_LISTEN_PORT: String(smtpPort),
      BULWARK_DNS_SERVERS: dns.address,
    });
    browser = await launchBrowser(executable as string);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (app) removeDataDir(app.dataDir);
    await dns?.close();
    await mail?.close();
  });

  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-mail-${step}.png`), fullPage: true }).catch(() => undefined);
      throw new Error(`${step}: ${(e as Error).message}\n--- app output (tail) ---\n${app.output().slice(-3000)}`);
    }
  }

  async function until(check: () => Promise<boolean>, ms = 15_000) {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function mailTo(address: string, subject: RegExp): Promise<ParsedMail> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const m = mail.messages.find((x) => x.to && [x.to].flat().some((t) => t.value.some((v) => v.address === address)) && subject.test(x.subject ?? ''));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no mail to ${address} matching ${subject}; got: ${mail.messages.map((x) => x.subject).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('turns an email into a ticket, a console reply into mail, and the answer by mail into the same conversation', async () => {
    const requester = smtpClient(smtpPort, domain);
    const first = `${randomUUID()}@demo.bulwark.test`;
    await requester.send({ from: `Rita Requester <${REQUESTER}>`, to: 'demo@mail.localhost', subject: 'Laptop will not boot', text: 'It shows a blinking cursor since the update.\n\nRita', messageId: first });

    // The acknowledgement reaches her mailbox, threaded on her message, with the reply address.
    const ack = await mailTo(REQUESTER, /We received your request: Laptop will not boot/);
    expect(ack.inReplyTo).toBe(`<${first}>`);
    const replyTo = ack.replyTo?.value[0].address ?? '';
    expect(replyTo).toMatch(/^demo\+[a-z0-9]+@mail\.localhost$/);

    // The agent finds it in the list and opens it.
    const page = await signInToConsole(browser, app.url, AGENT);
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    const row = page.getByRole('row', { name: /Laptop will not boot/ });
    await expectOn(page, 'list', () => row.waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'mail-ticket-in-list.png'), fullPage: true, animations: 'disabled' });
    await row.click();
    await expectOn(page, 'show', () => page.getByText('It shows a blinking cursor since the update.').waitFor({ timeout: 15_000 }));
    await expect(page.getByText('Email', { exact: true }).count()).resolves.toBeGreaterThan(0);

    // An internal note first: it sends nothing. Then the public reply.
    const before = mail.messages.length;
    const box = page.getByRole('region', { name: 'Reply box' });
    await box.getByRole('button', { name: 'Internal note' }).click();
    await box.locator('.ProseMirror').fill('Probably the disk; checking the warranty.');
    await box.getByRole('button', { name: /^Submit as (Open|Pending|Solved)$/ }).click();
    await expectOn(page, 'note', () => page.getByRole('article', { name: /^Internal note from/ }).getByText('Probably the disk; checking the warranty.').waitFor({ timeout: 15_000 }));
    await expectOn(page, 'cleared', () => until(async () => (await box.locator('.ProseMirror').innerText()).trim() === ''));
    await box.locator('.ProseMirror').fill('Please hold the power button for 10 seconds, then start it again.');
    await box.getByRole('button', { name: /^Submit as (Open|Pending|Solved)$/ }).click();
    await expectOn(page, 'reply', () => page.getByRole('article', { name: /^Message from/ }).getByText('Please hold the power button for 10 seconds, then start it again.').waitFor({ timeout: 15_000 }));

    const reply = await mailTo(REQUESTER, /^Re: Laptop will not boot/);
    expect(reply.text).toContain('Please hold the power button for 10 seconds');
    expect(reply.text).not.toContain('warranty');
    expect(reply.inReplyTo).toBe(`<${ack.messageId!.replace(/^<|>$/g, '')}>`);
    expect(reply.references).toEqual(expect.arrayContaining([`<${first}>`, ack.messageId]));
    expect(reply.replyTo?.value[0].address).toBe(replyTo);
    expect(reply.headers.get('dkim-signature')).toBeUndefined(); // no key configured in this app: unsigned, and the console says so
    await new Promise((r) => setTimeout(r, 1500));
    expect(mail.messages.slice(before).map((m) => m.subject)).toEqual(['Re: Laptop will not boot']); // the note sent nothing

    // She answers from her mail program: quoted history below her words.
    await requester.send({
      from: `Rita Requester <${REQUESTER}>`,
      to: replyTo,
      subject: 'Re: Laptop will not boot',
      text: `That worked, thank you!\n\nOn Monday, Demo wrote:\n> ${reply.text!.split('\n').join('\n> ')}`,
      messageId: `${randomUUID()}@demo.bulwark.test`,
      inReplyTo: reply.messageId!.replace(/^<|>$/g, ''),
      references: [first, reply.messageId!.replace(/^<|>$/g, '')],
    });
    requester.close();
    await expectOn(page, 'answer', () =>
      until(async () => {
        await page.reload();
        await page.getByRole('article').getByText('Please hold the power button for 10 seconds, then start it again.').waitFor({ timeout: 15_000 });
        return (await page.getByRole('article', { name: 'Message from Rita Requester' }).getByText('That worked, thank you!').count()) > 0;
      }, 20_000),
    );
    // Her answer, trimmed of the quoted history.
    expect(await page.getByText(/On Monday, Demo wrote:/).count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'mail-conversation.png'), fullPage: true, animations: 'disabled' });
  });

  it('holds a forged message for the admin, who sees why in the held-mail queue', async () => {
    // Her address, but not her domain's key: DMARC fails, so it is not attached to her.
    const forger = smtpClient(smtpPort, senderDomain('demo.bulwark.test', { selector: 'mail' }));
    await forger.send({ from: `Rita Requester <${REQUESTER}>`, to: 'demo@mail.localhost', subject: 'Please change my bank account', text: 'New IBAN attached.' });
    forger.close();

    const page = await signInToConsole(browser, app.url, ADMIN);
    await page.getByRole('menuitem', { name: 'Held mail' }).click();
    await expectOn(page, 'held', () => page.getByText('Please change my bank account').waitFor({ timeout: 20_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'mail-held.png'), fullPage: true, animations: 'disabled' });

    await page.getByRole('menuitem', { name: 'Mail templates' }).click();
    await expectOn(page, 'templates', () => page.getByLabel('Subject').waitFor({ timeout: 15_000 }));
    await page.getByRole('button', { name: 'Preview' }).click();
    await expectOn(page, 'preview', () => page.getByText(/Subject: \[Acme|Subject: \[/).waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'mail-templates.png'), animations: 'disabled' });
  });
});
