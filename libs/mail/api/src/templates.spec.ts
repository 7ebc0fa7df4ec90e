import { checkTemplate, DEFAULT_TEMPLATES, renderTemplate, SAMPLE_VIEW, TEMPLATE_INFO, TEMPLATE_KINDS, textToHtml } from './templates';

describe('mail templates', () => {
  it('every default template is valid and places only its own values', () => {
    for (const kind of TEMPLATE_KINDS) {
      expect(checkTemplate(kind, DEFAULT_TEMPLATES[kind])).toEqual({});
      const { subject, text } = renderTemplate(DEFAULT_TEMPLATES[kind], SAMPLE_VIEW);
      expect(subject).not.toMatch(/\{\{|\}\}/);
      expect(text).not.toMatch(/\{\{|\}\}/);
      for (const v of TEMPLATE_INFO[kind].variables) expect(SAMPLE_VIEW[v]).toBeDefined();
    }
  });

  it('refuses an unknown value, sections, unescaped output and a multi-line subject, on the field concerned', () => {
    const ok = DEFAULT_TEMPLATES.reply;
    expect(checkTemplate('reply', { ...ok, text: 'Hi {{requester.password}}' })).toEqual({ text: expect.stringMatching(/\{\{requester.password\}\} is not a value this mail has/) });
    expect(checkTemplate('acknowledgement', { ...DEFAULT_TEMPLATES.acknowledgement, subject: '{{reply.body}}' }).subject).toMatch(/not a value/);
    expect(checkTemplate('reply', { ...ok, html: '{{#ticket.subject}}x{{/ticket.subject}}' }).html).toMatch(/sections/);
    expect(checkTemplate('reply', { ...ok, html: '<p>{{{reply.body}}}</p>' }).html).toMatch(/placed escaped/);
    expect(checkTemplate('reply', { ...ok, text: '{{{reply.body}}}' })).toEqual({});
    expect(checkTemplate('reply', { ...ok, text: '{{ticket.subject' }).text).toMatch(/cannot be read/);
    expect(checkTemplate('reply', { ...ok, subject: 'a\nb' }).subject).toBe('A subject is one line');
    expect(checkTemplate('reply', { ...ok, text: '  ' }).text).toBe('This cannot be empty');
  });

  it('escapes values in HTML and keeps only harmless tags; text is left as written', () => {
    const evil = { ...SAMPLE_VIEW, 'reply.body': '<script>alert(1)</script><img src=x onerror=alert(2)> & "quotes"' };
    const html = '<p onclick="x()">{{reply.body}}</p><script>steal()</script><a href="javascript:alert(3)">x</a><a href="https://ok.example">ok</a><img src="https://track.example/p.gif"><style>p{}</style>{{{reply.body}}}';
    const r = renderTemplate({ subject: 'Re: {{ticket.subject}}', text: '{{reply.body}}', html }, evil);
    expect(r.text).toBe(evil['reply.body']);
    // No live tag but the harmless ones, and no handler or script link inside a tag (escaped text may say anything).
    expect(r.html).not.toMatch(/<(script|img|style)|<[^>]*\son\w+=|javascript:/i);
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.html).toContain('<a href="https://ok.example">ok</a>');
    expect(r.subject).toBe('Re: The printer on floor 3 is jammed');
  });

  it('makes the HTML part of a text template: paragraphs, quotes and links', () => {
    expect(textToHtml('Hello <you>\n\n> quoted\n\nsee https://x.example/a?b=1')).toBe(
      '<div style="font-family: sans-serif"><p>Hello &#60;you&#62;</p>\n<blockquote>quoted</blockquote>\n<p>see <a href="https://x.example/a?b=1">https://x.example/a?b=1</a></p></div>',
    );
  });
});
