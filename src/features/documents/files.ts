import { createHash } from 'node:crypto';
import { MAX_FILE_NAME_LENGTH, sanitizeFileName } from '../../lib/file-name.js';

/** Upload bounds. A scanned letter is a few MB; these leave room without letting one request fill the database. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
export const MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;
export const MAX_FILES_PER_UPLOAD = 20;
// One cleaning for every uploaded file name (documents, photos, imports): lib/file-name.ts.
export { MAX_FILE_NAME_LENGTH, sanitizeFileName };

export interface UploadedFile {
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  content: Buffer;
}

/** A checked file ready to store: the name sanitized, the type from the bytes. */
export function uploadedFile(rawName: string, content: Buffer): UploadedFile {
  const contentType = sniffContentType(content);
  return {
    fileName: sanitizeFileName(rawName, defaultName(contentType)),
    contentType,
    size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    content,
  };
}

/** Types a browser may show inline: rendering anything else (HTML, SVG, text) could run or spoof content. */
export const INLINE_TYPES = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/gif', 'image/bmp']);

const startsWith = (buf: Buffer, bytes: number[] | string, at = 0) => {
  const sig = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return buf.length >= at + sig.length && buf.subarray(at, at + sig.length).equals(sig);
};
const contains = (buf: Buffer, s: string, encoding: BufferEncoding = 'latin1') => buf.indexOf(Buffer.from(s, encoding)) >= 0;

/**
 * The content type from the leading bytes only. The client's MIME type and the file name are
 * attacker-controlled: an HTML page named letter.pdf must not be served as anything a browser runs.
 */
export function sniffContentType(buf: Buffer): string {
  // Acrobat accepts the header anywhere in the first KB; some scanners write a prefix.
  if (buf.subarray(0, 1024).indexOf('%PDF-') >= 0) return 'application/pdf';
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(buf, 'GIF87a') || startsWith(buf, 'GIF89a')) return 'image/gif';
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (startsWith(buf, 'BM') && buf.length >= 18 && [12, 40, 52, 56, 64, 108, 124].includes(buf.readUInt32LE(14))) return 'image/bmp';
  if (startsWith(buf, 'PK\x03\x04') || startsWith(buf, 'PK\x05\x06')) return zipType(buf);
  if (startsWith(buf, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return oleType(buf);
  if (startsWith(buf, '{\\rtf')) return 'application/rtf';
  return textType(buf) ?? 'application/octet-stream';
}

/** Office Open XML and OpenDocument files are ZIP archives told apart by the entries they hold. */
function zipType(buf: Buffer): string {
  if (contains(buf, 'word/document')) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  if (contains(buf, 'xl/workbook')) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  if (contains(buf, 'ppt/presentation')) return 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
  if (contains(buf, 'mimetypeapplication/vnd.oasis.opendocument.text')) return 'application/vnd.oasis.opendocument.text';
  if (contains(buf, 'mimetypeapplication/vnd.oasis.opendocument.spreadsheet')) return 'application/vnd.oasis.opendocument.spreadsheet';
  return 'application/zip';
}

/** Legacy Office files are OLE compound files; the stream names (UTF-16) say which program wrote them. */
function oleType(buf: Buffer): string {
  if (contains(buf, 'WordDocument', 'utf16le')) return 'application/msword';
  if (contains(buf, 'Workbook', 'utf16le') || contains(buf, 'Book', 'utf16le')) return 'application/vnd.ms-excel';
  if (contains(buf, 'PowerPoint Document', 'utf16le')) return 'application/vnd.ms-powerpoint';
  return 'application/x-ole-storage';
}

/** Plain text: UTF-8 (with or without BOM) or a single-byte Cyrillic code page, without binary control bytes. */
function textType(buf: Buffer): string | null {
  const sample = buf.subarray(0, 64 * 1024);
  for (const b of sample) {
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return null;
    if (b === 0x7f) return null;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf.length > sample.length ? trimPartialUtf8(sample) : sample);
    return 'text/plain; charset=utf-8';
  } catch {
    // Windows-1251 and the like: still text, but the charset cannot be told from the bytes.
    return 'text/plain';
  }
}

/** A sample cut at 64 KB may split a multi-byte character; drop the incomplete tail. */
function trimPartialUtf8(b: Buffer): Buffer {
  let end = b.length;
  let back = 0;
  while (end > 0 && back < 3 && (b[end - 1] & 0xc0) === 0x80) {
    end--;
    back++;
  }
  if (end > 0 && b[end - 1] >= 0xc0) end--;
  return b.subarray(0, end);
}

const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/tiff': 'tif',
  'image/bmp': 'bmp',
  'application/msword': 'doc',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/zip': 'zip',
  'application/rtf': 'rtf',
  'text/plain; charset=utf-8': 'txt',
  'text/plain': 'txt',
};

function defaultName(contentType: string): string {
  const ext = EXTENSIONS[contentType];
  return ext ? `file.${ext}` : 'file';
}

const TRANSLIT: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p',
  р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};

/** The plain-ASCII name for clients that ignore `filename*`: Cyrillic transliterated, the rest replaced. */
export function asciiFileName(name: string): string {
  const out = [...name]
    .map((c) => {
      const lower = c.toLowerCase();
      const t = TRANSLIT[lower];
      if (t !== undefined) return c === lower ? t : t.charAt(0).toUpperCase() + t.slice(1);
      return /[A-Za-z0-9 ._()\-+,&!#$@=~[\]]/.test(c) ? c : '_';
    })
    .join('');
  return out.replace(/^[\s.]+/, '') || 'file';
}

/** RFC 5987 value: encodeURIComponent leaves ' ( ) * unescaped, which attr-char does not allow. */
function rfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `Content-Disposition` carrying the original name (RFC 6266: ASCII fallback + UTF-8 `filename*`). */
export function contentDisposition(fileName: string, disposition: 'inline' | 'attachment'): string {
  return `${disposition}; filename="${asciiFileName(fileName)}"; filename*=UTF-8''${rfc5987(fileName)}`;
}
