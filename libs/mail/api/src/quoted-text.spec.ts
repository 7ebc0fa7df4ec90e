import { trimQuoted } from './quoted-text';
import { REPLY_ABOVE } from './templates';

describe('trimming quoted history from replies', () => {
  const cases: [string, string, string][] = [
    ['Gmail', 'Thanks!\n\nOn Mon, Dec 7, 2026 at 10:00 AM Acme <acme@mail.test> wrote:\n> earlier\n> text', 'Thanks!'],
    ['Gmail, wrapped attribution', 'Thanks!\n\nOn Mon, Dec 7, 2026 at 10:00 AM Acme Support Desk <acme@mail.test>\nwrote:\n> earlier', 'Thanks!'],
    ['Apple Mail', 'Yes.\n\n> On 7 Dec 2026, at 10:00, Acme <acme@mail.test> wrote:\n> \n> earlier', 'Yes.'],
    ['Outlook desktop', 'Done.\r\n\r\n-----Original Message-----\r\nFrom: Acme <acme@mail.test>\r\nSent: Monday\r\nTo: Kim\r\nSubject: x\r\n\r\nearlier', 'Done.'],
    ['Outlook header block', 'Done.\n\nFrom: Acme <acme@mail.test>\nSent: Monday, December 7, 2026 10:00\nTo: Kim\nSubject: x\n\nearlier', 'Done.'],
    ['Outlook on the web', 'Done.\n\n________________________________\nFrom: Acme <acme@mail.test>\nSent: Monday\nTo: Kim\n\nearlier', 'Done.'],
    ['French', 'Merci.\n\nLe lun. 7 déc. 2026 à 10:00, Acme <acme@mail.test> a écrit :\n> avant', 'Merci.'],
    ['German', 'Danke.\n\nAm 07.12.2026 um 10:00 schrieb Acme <acme@mail.test>:\n> vorher', 'Danke.'],
    ['signature', 'Works now.\n-- \nKim Lee\nIT', 'Works now.'],
    ['inline answers keep the new lines', '> Is it on?\nYes.\n> Plugged in?\nNo.', 'Yes.\nNo.'],
    ['a line that merely starts with From: stays', 'From: my point of view it works.\nBye', 'From: my point of view it works.\nBye'],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    expect(trimQuoted(text)).toBe(expected);
  });

  it('keeps a message that is all quote rather than filing nothing', () => {
    expect(trimQuoted('> only\n> quoted')).toBe('> only\n> quoted');
  });
});

describe('our own marker', () => {
  it('cuts at the line our mail puts above the conversation, quoted or not', () => {
    expect(trimQuoted(`Thanks, that fixed it.\n\n> ${REPLY_ABOVE}\n>\n> Hello Rita,`)).toBe('Thanks, that fixed it.');
    expect(trimQuoted(`Still broken.\n${REPLY_ABOVE}\n\nAlan Agent wrote:\n\nTry again`)).toBe('Still broken.');
  });
});
