import { defineAuditActions } from '@bulwark/platform-api';

export const TemplateAudit = defineAuditActions('mail', {
  templateChanged: { description: 'Changed the wording of a kind of mail', target: 'MailTemplate', config: true },
  templateReset: { description: 'Put a kind of mail back to its default wording', target: 'MailTemplate', config: true },
});
