import { describe, expect, it } from '@jest/globals';
import { errorSentence, fieldLabel, fieldMessagesInWords, nestFieldErrors } from './field-errors';

describe('the API’s refused fields, in words under their field', () => {
  it('shows the server’s sentence for a field whose note is a code', () => {
    const message = 'The webhook URL must be https, without credentials';
    expect(fieldMessagesInWords({ webhookUrl: 'not https' }, message)).toEqual({ webhookUrl: message });
    expect(errorSentence(message, fieldMessagesInWords({ webhookUrl: 'not https' }, message))).toBe(message);
  });
  it('keeps notes that are sentences of their own, one per item of a list', () => {
    const fields = { 'rules.1.cidr': '"10.0.0.300" is not an IPv4 or IPv6 address or range' };
    expect(fieldMessagesInWords(fields, 'Some ranges are not valid')).toEqual(fields);
    expect(errorSentence('Some ranges are not valid', fields)).toBe('Some ranges are not valid: "10.0.0.300" is not an IPv4 or IPv6 address or range');
  });
  it('takes the property names out of input validation’s notes', () => {
    const words = fieldMessagesInWords({ 'input.subject': 'subject must be shorter than or equal to 200 characters; subject should not be empty', 'input.webhookUrl': 'webhookUrl must be a URL address' }, 'Invalid input');
    expect(words).toEqual({ subject: 'At most 200 characters. Please fill this in', webhookUrl: 'Must be a URL address' });
    const sentence = errorSentence('Invalid input', words);
    expect(sentence).toBe('Please check these: Subject: at most 200 characters. Please fill this in; Webhook URL: must be a URL address');
    expect(sentence).not.toMatch(/webhookUrl|input\./);
  });
  it('nests dotted paths the way form libraries address inputs', () => {
    expect(nestFieldErrors({ 'rules.1.cidr': 'bad', name: 'taken' })).toEqual({ rules: { 1: { cidr: 'bad' } }, name: 'taken' });
  });
  it('names fields as a person would', () => {
    expect(fieldLabel('mapping.groups.0.groupId')).toBe('Group ID');
    expect(fieldLabel('retentionDays')).toBe('Retention days');
  });
});
