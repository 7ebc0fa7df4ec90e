import Mustache from 'mustache';
import sanitizeHtml from 'sanitize-html';

/**
 * The mail a ticket's people receive (issue 19 §3), as templates a tenant may reword. Mustache is
 * logic-less: a template can only place the values below, never run code, and a name it does not
 * know is refused when the template is saved, so a typo is caught by the admin and not by the
 * requester. The text part is what every message has; the HTML part, when the tenant writes one,
 * is rendered with every value escaped and then cut down to a short list of harmless tags.
 */
export const TEMPLATE_KINDS = ['acknowledgement', 'reply', 'assignment'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export interface TemplateText {
  subject: string;
  text: string;
  html: string | null;
}

/**
 * Written above the quoted conversation of every mail that can be answered: what a requester
 * types above it is their answer, so the inbound side keeps only that (and trims the rest).
 */
export const REPLY_ABOVE = '##- Please type your reply above this line -##';

export const TEMPLATE_INFO: Record<TemplateKind, { title: string; description: string; variables: string[] }> = {
  acknowledgement: {
    title: 'New request received',
    description: 'Sent to the requester when a ticket is opened for them, from any channel.',
    variables: ['workspace.name', 'recipient.name', 'ticket.subject', 'ticket.body', 'ticket.url'],
  },
  reply: {
    title: 'Public reply',
    description: 'Sent to the requester and the people copied on the ticket when someone writes a public reply. Internal notes never send mail.',
    variables: ['workspace.name', 'recipient.name', 'ticket.subject', 'ticket.url', 'reply.author', 'reply.body'],
  },
  assignment: {
    title: 'Ticket assigned',
    description: 'Sent to an agent when a ticket is assigned to them, or to the members of a group it is routed to.',
    variables: ['workspace.name', 'recipient.name', 'ticket.subject', 'ticket.body', 'ticket.url', 'assigned.to', 'assigned.by'],
  },
};

export const DEFAULT_TEMPLATES: Record<TemplateKind, TemplateText> = {
  acknowledgement: {
    subject: '[{{workspace.name}}] We received your request: {{ticket.subject}}',
    text: `${REPLY_ABOVE}\n\nHello {{recipient.name}},\n\nWe received your request and will answer as soon as we can. Reply to this message to add anything.\n\n> {{ticket.subject}}\n\n{{ticket.body}}\n\nFollow it online: {{ticket.url}}\n\n{{workspace.name}} support`,
    html: null,
  },
  reply: {
    subject: 'Re: {{ticket.subject}}',
    text: `${REPLY_ABOVE}\n\n{{reply.author}} wrote:\n\n{{reply.body}}\n\nReply to this message to answer, or follow the request online: {{ticket.url}}\n\n{{workspace.name}} support`,
    html: null,
  },
  assignment: {
    subject: '[{{workspace.name}}] Assigned to {{assigned.to}}: {{ticket.subject}}',
    text: `Hello {{recipient.name}},\n\n{{assigned.by}} assigned a ticket to {{assigned.to}}.\n\n> {{ticket.subject}}\n\n{{ticket.body}}\n\nOpen it: {{ticket.url}}`,
    html: null,
  },
};

export const TEMPLATE_LIMITS = { subject: 300, text: 20_000, html: 50_000 } as const;

/** The tags and attributes an HTML template keeps: formatting and links, no scripts, styles or images (trackers). */
const SAFE_HTML: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'div', 'span', 'strong', 'b', 'em', 'i', 'u', 'a', 'ul', 'ol', 'li', 'blockquote', 'pre', 'code', 'h1', 'h2', 'h3', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  allowedAttributes: { a: ['href', 'title'] },
  allowedSchemes: ['https', 'http', 'mailto'],
  disallowedTagsMode: 'discard',
};

export type TemplateView = Record<string, string>;

/** Field errors of a template as saved, in words (empty when it may be saved). */
export function checkTemplate(kind: TemplateKind, t: TemplateText): Record<string, string> {
  const errors: Record<string, string> = {};
  const allowed = new Set(TEMPLATE_INFO[kind].variables);
  const parts: [keyof TemplateText, string | null][] = [
    ['subject', t.subject],
    ['text', t.text],
    ['html', t.html],
  ];
  for (const [field, source] of parts) {
    if (source === null) continue;
    if (field !== 'html' && !source.trim()) {
      errors[field] = 'This cannot be empty';
      continue;
    }
    if (source.length > TEMPLATE_LIMITS[field]) {
      errors[field] = `At most ${TEMPLATE_LIMITS[field]} characters`;
      continue;
    }
    let tokens: unknown[];
    try {
      tokens = Mustache.parse(source);
    } catch (e) {
      errors[field] = `This template cannot be read: ${(e as Error).message}`;
      continue;
    }
    const problem = tokenProblem(tokens, allowed, field === 'html');
    if (problem) errors[field] = problem;
  }
  if (/[\r\n]/.test(t.subject)) errors.subject = 'A subject is one line';
  return errors;
}

/** Only plain values of known names: no sections, partials, or unescaped output. */
function tokenProblem(tokens: unknown[], allowed: ReadonlySet<string>, html: boolean): string | null {
  for (const token of tokens as [string, string][]) {
    const [type, name] = token;
    if (type === 'text') continue;
    if (type === 'name' || (type === '&' && !html)) {
      if (!allowed.has(name)) return `{{${name}}} is not a value this mail has; it may use ${[...allowed].map((v) => `{{${v}}}`).join(', ')}`;
      continue;
    }
    // In HTML, {{{x}}} and {{& x}} would place a requester's words as markup (a link in mail
    // that the workspace signs).
    if (type === '&') return 'In HTML, values are placed escaped: write {{name}}, not {{{name}}} or {{& name}}';
    return 'Only values such as {{ticket.subject}} may be placed; sections, partials and comments are not supported';
  }
  return null;
}

const plainText = (s: string) => s;

/** The message a template makes for one recipient. Values are escaped in HTML, never in text. */
export function renderTemplate(t: TemplateText, view: TemplateView): { subject: string; text: string; html: string } {
  const nested = nest(view);
  const subject = Mustache.render(t.subject, nested, {}, { escape: plainText }).replace(/\s+/g, ' ').trim().slice(0, 998);
  const text = Mustache.render(t.text, nested, {}, { escape: plainText });
  const html = t.html !== null ? sanitizeHtml(Mustache.render(t.html, nested), SAFE_HTML) : textToHtml(text);
  return { subject, text, html };
}

/** `{ 'ticket.subject': x }` → `{ ticket: { subject: x } }`, as Mustache looks names up. */
function nest(view: TemplateView): Record<string, unknown> {
  const out: Record<string, Record<string, string>> = {};
  for (const [k, v] of Object.entries(view)) {
    const [head, tail] = k.split('.', 2);
    (out[head] ??= {})[tail] = v;
  }
  return out;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML part of a text-only template: the same words, paragraphs kept, links clickable. */
export function textToHtml(text: string): string {
  const paragraphs = text.split(/\n{2,}/).map((p) => {
    const lines = escapeHtml(p).replace(/https?:\/\/[^\s<]+/g, (u) => `<a href="${u}">${u}</a>`).split('\n');
    return lines.every((l) => l.startsWith('&#62; ')) ? `<blockquote>${lines.map((l) => l.slice(6)).join('<br>')}</blockquote>` : `<p>${lines.join('<br>')}</p>`;
  });
  return `<div style="font-family: sans-serif">${paragraphs.join('\n')}</div>`;
}

/** Values for a preview: what each name will hold, so an admin sees the mail as it will read. */
export const SAMPLE_VIEW: TemplateView = {
  'workspace.name': 'Acme',
  'recipient.name': 'Riley Requester',
  'ticket.subject': 'The printer on floor 3 is jammed',
  'ticket.body': 'It shows error E42 and will not print anything since this morning.',
  'ticket.url': 'https://desk.example.com/#/tickets/8f7e/show',
  'reply.author': 'Alex Agent',
  'reply.body': 'We have sent someone to clear it; it should print again within the hour.',
  'assigned.to': 'Alex Agent',
  'assigned.by': 'Ada Admin',
};
