/**
 * What a file is, from its content (magic bytes), never from its name or the header a client
 * sent: an .exe renamed .png is a program. A small table of the types a help desk takes, rather
 * than a general detector: what is not recognised is `application/octet-stream`, refused unless an
 * admin allows unknown files. Text is UTF-8 without control characters; text that is markup
 * (HTML, SVG, XML) is told apart, because a browser would run it.
 */
export interface FileKind {
  type: string;
  /** For a person: "PNG image". */
  label: string;
}

export const FILE_KINDS: Record<string, string> = {
  'image/png': 'PNG image',
  'image/jpeg': 'JPEG image',
  'image/gif': 'GIF image',
  'image/webp': 'WebP image',
  'application/pdf': 'PDF document',
  'text/plain': 'Plain text',
  'application/zip': 'ZIP archive',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel workbook',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint presentation',
  'application/vnd.oasis.opendocument.text': 'OpenDocument text',
  'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument spreadsheet',
  'image/svg+xml': 'SVG image',
  'text/html': 'Web page (HTML)',
  'application/xml': 'XML document',
  'application/x-msdownload': 'Windows program',
  'application/x-executable': 'Program (ELF)',
  'application/x-mach-binary': 'Program (macOS)',
  'application/x-sh': 'Shell script',
  'application/octet-stream': 'Unrecognised file',
};

/** Types a workspace takes unless its admin says otherwise. Never markup or programs. */
export const DEFAULT_ALLOWED_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
  'application/zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
];

/** Programs are never taken, whatever an admin allows. */
export const NEVER_ALLOWED = ['application/x-msdownload', 'application/x-executable', 'application/x-mach-binary', 'application/x-sh'];

/** The only types shown inline (in an <img>): raster images a browser cannot run. */
export const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
/** What an admin may choose within: 1 KiB to 25 MiB. */
export const MAX_BYTES_BOUNDS = [1024, 25 * 1024 * 1024] as const;

const starts = (b: Buffer, ...bytes: number[]) => bytes.every((x, i) => b[i] === x);
const ascii = (b: Buffer, at: number, s: string) => b.subarray(at, at + s.length).toString('latin1') === s;

export function sniff(b: Buffer): string {
  if (starts(b, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(b, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'image/gif';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image/webp';
  if (ascii(b, 0, '%PDF-')) return 'application/pdf';
  if (ascii(b, 0, 'MZ')) return 'application/x-msdownload';
  if (starts(b, 0x7f, 0x45, 0x4c, 0x46)) return 'application/x-executable';
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(b.length >= 4 ? b.readUInt32BE(0) : -1)) return 'application/x-mach-binary';
  if (starts(b, 0x50, 0x4b, 0x03, 0x04) || starts(b, 0x50, 0x4b, 0x05, 0x06)) return zipKind(b);
  return textKind(b);
}

/** Office files are ZIP archives: their first entries say which (names in local file headers). */
function zipKind(b: Buffer): string {
  const head = b.subarray(0, 64 * 1024).toString('latin1');
  if (head.includes('mimetypeapplication/vnd.oasis.opendocument.text')) return 'application/vnd.oasis.opendocument.text';
  if (head.includes('mimetypeapplication/vnd.oasis.opendocument.spreadsheet')) return 'application/vnd.oasis.opendocument.spreadsheet';
  if (head.includes('[Content_Types].xml') || head.includes('_rels/.rels')) {
    if (head.includes('word/')) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    if (head.includes('xl/')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    if (head.includes('ppt/')) return 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
  }
  return 'application/zip';
}

function textKind(b: Buffer): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, 64 * 1024));
  // Control characters other than tab, line breaks and form feed, or bytes that are not UTF-8
  // (U+FFFD), make it binary. A cut at 64 KiB may split the last character: that one is ignored.
  const body = b.length > 64 * 1024 ? text.slice(0, -1) : text;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]/.test(body)) return 'application/octet-stream';
  const lead = body.replace(/^\ufeff/, '').trimStart().slice(0, 1024).toLowerCase();
  if (lead.startsWith('#!')) return 'application/x-sh';
  if (/<svg[\s>]/.test(body.slice(0, 4096).toLowerCase())) return 'image/svg+xml';
  if (/^<(!doctype html|html|head|body|script|iframe|meta|style|!--)/.test(lead) || /<(script|iframe|html)[\s>]/i.test(body)) return 'text/html';
  if (lead.startsWith('<?xml')) return 'application/xml';
  return 'text/plain';
}

export const labelOf = (type: string) => FILE_KINDS[type] ?? type;
