import { defineAuditActions } from '@bulwark/platform-api';

/**
 * The spam watcher's events (H3). A quarantine is recorded in the requester's own createTicket
 * (same transaction, F5); decisions are the admin's. All of them are what `spam_quarantine` alert
 * rules watch.
 */
export const SpamAudit = defineAuditActions('spam', {
  quarantined: { description: 'The spam watcher quarantined a requester over the limit (their new tickets are held)', target: 'SpamQuarantine', alert: 'spamQuarantine' },
  released: { description: 'Released a quarantine: its held tickets reappear in order', target: 'SpamQuarantine', alert: 'spamQuarantine' },
  blocked: { description: "Blocked a quarantined requester: their new tickets are refused", target: 'SpamQuarantine', alert: 'spamQuarantine' },
  deleted: { description: 'Deleted the held tickets of a quarantine (the person stays)', target: 'SpamQuarantine', alert: 'spamQuarantine' },
  settingsChanged: { description: "Changed the spam watcher's rules", target: 'SpamSettings', config: true },
});
