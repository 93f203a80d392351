/**
 * Where to go after a form or a sign-in: `next=` comes from the user (a link from anywhere can
 * carry it), so it is only ever a path on this site, and it is written into Location with every
 * character a header cannot carry percent-encoded (a raw `/Ж` there used to throw ERR_INVALID_CHAR).
 */
const MAX_NEXT = 2000;
// RFC 3986 characters that may stand in a path and query as they are ("%" only before two hex digits).
const NOT_URL_CHAR = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?#[\]%]/gu;

/** A same-site path from user input, percent-encoded; anything else gives `fallback`. */
export function safeNext(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length > MAX_NEXT ) return fallback;
  // A lone surrogate cannot be percent-encoded (encodeURIComponent throws).
  if (/\p{Surrogate}/u.test(next)) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  return next.replace(NOT_URL_CHAR, (ch) => encodeURIComponent(ch));
}

/**
 * The page a form came from (its hidden `next`): our own pages send only URLs as they stand in
 * the address bar, already encoded, so anything else (non-ASCII, another site) is not one of them
 * and the user goes to `fallback`, the page the action belongs to.
 */
export function backTo(next: unknown, fallback: string): string {
  if (typeof next !== 'string' || !/^[\x21-\x7e]*$/.test(next)) return fallback;
  const safe = safeNext(next, fallback);
  return safe === next ? safe : fallback;
}
