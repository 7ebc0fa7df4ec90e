import { withReauth } from './reauth';

/**
 * One-time download links (audit exports, backup files): asks the API for the link, confirming
 * the password first when the API wants it (withReauth), then hands it straight to the browser's
 * downloader. The link is the credential and works once, so it is never shown or kept.
 */
export async function downloadOnce<T extends { url: string }>(prepare: () => Promise<T>, why = 'This download is sensitive.'): Promise<T> {
  const link = await withReauth(prepare, why);
  const a = document.createElement('a');
  a.href = link.url;
  a.download = '';
  document.body.appendChild(a);
  a.click();
  a.remove();
  return link;
}
