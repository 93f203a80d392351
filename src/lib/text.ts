/**
 * The matching and sorting key of a name: lower case, Ё folded to Е, spaces collapsed.
 * Under the C collation such keys sort in Russian alphabetical order.
 */
export function normalizeKey(s: string): string {
  return s.toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ').trim();
}

/** Digits only, for matching phone numbers however they were typed. */
export function digitsOf(s: string): string {
  return s.replace(/\D+/g, '');
}

/** Escapes LIKE metacharacters in user input. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (m) => `\\${m}`);
}

/**
 * Text from a form: trimmed, control characters (but newlines and tabs) removed, NFC. A browser
 * sends a textarea's line breaks as "\r\n", so multiline text gets "\n" only; `keepCr` keeps "\r"
 * where it is the text itself, not the transport's line break: in XML, whose parser has already
 * made every literal line break "\n", a "\r" left over was written as a reference on purpose.
 */
export function cleanText(v: unknown, opts: { multiline?: boolean; keepCr?: boolean } = {}): string {
  if (typeof v !== 'string') return '';
  let s = v.normalize('NFC');
  s = opts.multiline ? (opts.keepCr ? s : s.replace(/\r\n?/g, '\n')).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '') : s.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return s.trim();
}
