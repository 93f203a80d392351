import type { Client } from '../helpers/app.js';

export interface Part {
  name: string;
  value?: string;
  filename?: string;
  content?: Buffer;
  type?: string;
}

/** A multipart body as a browser sends it: file names as raw UTF-8 in the part header. */
export function multipart(parts: Part[]) {
  const boundary = '----corrtest' + Math.random().toString(16).slice(2);
  const chunks = parts.map((p) => {
    const head =
      p.filename !== undefined
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}\r\n\r\n`
        : `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'utf8'), p.content ?? Buffer.from(p.value ?? '', 'utf8'), Buffer.from('\r\n')]);
  });
  return { payload: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Posts a multipart form with the CSRF token in the URL, as the app's upload forms do. */
export function postMultipart(c: Client, url: string, parts: Part[], headers: Record<string, string> = {}) {
  const m = multipart(parts);
  const sep = url.includes('?') ? '&' : '?';
  return c.request({
    method: 'POST',
    url: `${url}${sep}_csrf=${encodeURIComponent(c.csrf)}`,
    payload: m.payload,
    headers: { 'content-type': m.contentType, ...headers },
  });
}

/** Form fields as parts; arrays repeat the name. */
export function fields(form: Record<string, string | number | undefined>): Part[] {
  return Object.entries(form)
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => ({ name, value: String(v) }));
}

/** A tiny but valid one-page PDF (what a scanner would attach, minus the scan). */
export { makePdf } from '../../src/features/documents/demo-pdf.js';
