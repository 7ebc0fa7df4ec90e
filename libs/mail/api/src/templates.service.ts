import { audit, auditDiff, badInput, type RequestContext } from '@bulwark/platform-api';
import { outboxConfig } from '@bulwark/platform-api';
import { dkimRecord, type DkimRecord } from './signing-key';
import { TemplateAudit } from './templates.audit';
import { MailTemplate } from './templates.entity';
import { checkTemplate, DEFAULT_TEMPLATES, renderTemplate, SAMPLE_VIEW, TEMPLATE_INFO, TEMPLATE_KINDS, type TemplateKind, type TemplateText } from './templates';
import type { MailPreviewView, MailTemplateInput, MailTemplateView } from './templates.types';

function view(kind: TemplateKind, saved: MailTemplate | undefined): MailTemplateView {
  const t: TemplateText = saved ? { subject: saved.subject, text: saved.text, html: saved.html ?? null } : DEFAULT_TEMPLATES[kind];
  return { kind, ...TEMPLATE_INFO[kind], ...t, customized: !!saved, updatedAt: saved?.updatedAt ?? null };
}

export async function mailTemplates(ctx: RequestContext): Promise<MailTemplateView[]> {
  const saved = new Map((await ctx.em.find(MailTemplate, {})).map((t) => [t.kind, t]));
  return TEMPLATE_KINDS.map((k) => view(k, saved.get(k)));
}

/** The input as a template, or BAD_USER_INPUT naming the fields that are wrong. */
function validated(input: MailTemplateInput): TemplateText {
  const t: TemplateText = { subject: input.subject, text: input.text, html: input.html?.trim() ? input.html : null };
  const errors = checkTemplate(input.kind, t);
  if (Object.keys(errors).length) throw badInput('The template has mistakes', errors);
  return t;
}

export function previewMailTemplate(input: MailTemplateInput): MailPreviewView {
  return renderTemplate(validated(input), SAMPLE_VIEW);
}

export async function updateMailTemplate(ctx: RequestContext, input: MailTemplateInput): Promise<MailTemplateView> {
  const t = validated(input);
  let row = await ctx.em.findOne(MailTemplate, { kind: input.kind });
  const before = row ? { subject: row.subject, text: row.text, html: row.html ?? null } : DEFAULT_TEMPLATES[input.kind];
  row ??= ctx.em.create(MailTemplate, { kind: input.kind, ...t, updatedAt: ctx.app.now() });
  Object.assign(row, t, { updatedAt: ctx.app.now() });
  audit(ctx, TemplateAudit.templateChanged, { targetType: 'MailTemplate', targetId: row.id, changes: auditDiff({ ...before }, { ...t }), details: { kind: input.kind } });
  return view(input.kind, row);
}

export async function resetMailTemplate(ctx: RequestContext, kind: TemplateKind): Promise<MailTemplateView> {
  const row = await ctx.em.findOne(MailTemplate, { kind });
  if (row) {
    ctx.em.remove(row);
    audit(ctx, TemplateAudit.templateReset, { targetType: 'MailTemplate', targetId: row.id, details: { kind } });
  }
  return view(kind, undefined);
}

/** Null when no key is configured: outbound mail then goes unsigned (README "Mail"). */
export function mailSigningKey(ctx: RequestContext): DkimRecord | null {
  const key = outboxConfig.of(ctx.app.config).dkim;
  return key ? dkimRecord(key) : null;
}
