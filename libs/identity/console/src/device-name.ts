import Bowser from 'bowser';

/**
 * A session's device as a person says it ("Chrome on Linux"), read from its browser's user-agent
 * string by a maintained parser; a client that is no browser by its own first word ("curl").
 */
export function deviceName(userAgent: string | null | undefined): string {
  if (!userAgent?.trim()) return 'Unknown device';
  const { browser, os } = Bowser.parse(userAgent);
  if (browser.name && os.name) return `${browser.name} on ${os.name}`;
  return browser.name || os.name || userAgent.trim().split(/[\s/]/)[0];
}
