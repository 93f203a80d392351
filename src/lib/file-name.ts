export const MAX_FILE_NAME_LENGTH = 200;

// Device names Windows refuses as file names, whatever the extension.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * A file name safe to store and to offer for download: the last path segment only (no `../`),
 * no control, bidi or zero-width characters (which can disguise an extension), no characters
 * Windows forbids, no leading dots, at most MAX_FILE_NAME_LENGTH characters with the extension
 * kept. Letters of any script, Cyrillic included, stay as they are.
 */
export function sanitizeFileName(raw: string, fallback = 'file'): string {
  let s = String(raw ?? '').normalize('NFC');
  s = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  s = s.split(/[\\/]/).filter((p) => p.trim() !== '').pop() ?? '';
  s = s.replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, '');
  s = s.replace(/[<>:"|?*]/g, '_');
  s = s.replace(/\s+/g, ' ').replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
  if (!s) s = fallback;
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  const chars = [...s];
  if (chars.length <= MAX_FILE_NAME_LENGTH) return s;
  const ext = /\.[\p{L}\p{N}]{1,10}$/u.exec(s)?.[0] ?? '';
  const extLen = [...ext].length;
  const stem = chars.slice(0, chars.length - extLen).slice(0, MAX_FILE_NAME_LENGTH - extLen).join('').replace(/[\s.]+$/, '');
  return stem + ext;
}
