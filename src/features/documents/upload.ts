import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { AppError, type FieldErrors } from '../../lib/errors.js';
import { MAX_DOCUMENT_BYTES, MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD, sanitizeFileName, uploadedFile, type UploadedFile } from './files.js';

export interface UploadLimits {
  fileBytes: number;
  documentBytes: number;
  files: number;
}

export const UPLOAD_LIMITS: UploadLimits = { fileBytes: MAX_FILE_BYTES, documentBytes: MAX_DOCUMENT_BYTES, files: MAX_FILES_PER_UPLOAD };

export interface DocumentUpload {
  /** The form's text fields (a repeated name gives an array), for the form reader and a re-render. */
  fields: Record<string, string | string[]>;
  /** Files that passed every check; empty when any file failed, since nothing is saved then. */
  files: UploadedFile[];
  /** A `files` error when a file was empty, too large, or too many. */
  errors: FieldErrors;
  /** How many files the user had chosen: after a failed form they have to choose them again. */
  chosen: number;
}

const MB = 1024 * 1024;

function addField(fields: Record<string, string | string[]>, name: string, value: string) {
  const prev = fields[name];
  if (prev === undefined) fields[name] = value;
  else fields[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
}

async function drain(stream: Readable) {
  for await (const _ of stream) {
    // discard
  }
}

/**
 * Reads a document form with its `files` parts. Every part is read to the end even after a bad
 * file, so the form can be shown again with everything else the user typed. A file is held in
 * memory up to the per-file limit only; bytes past the per-document limit are not kept.
 * A form sent without files (urlencoded) is read from the parsed body.
 */
export async function readDocumentUpload(req: FastifyRequest, limits: UploadLimits = UPLOAD_LIMITS): Promise<DocumentUpload> {
  const out: DocumentUpload = { fields: {}, files: [], errors: {}, chosen: 0 };
  if (!req.isMultipart()) {
    const body = (req.body ?? {}) as Record<string, string | string[]>;
    return { ...out, fields: typeof body === 'object' ? body : {} };
  }
  const fail = (key: string, params: Record<string, string | number> = {}) => {
    out.errors.files ??= { key, params };
  };
  let total = 0;
  // The size check is ours (truncated stream), so the remaining parts can still be read.
  const options = { limits: { fileSize: limits.fileBytes, files: limits.files }, throwFileSizeLimit: false } as Parameters<FastifyRequest['parts']>[0];
  try {
    for await (const part of req.parts(options)) {
      if (part.type === 'field') {
        addField(out.fields, part.fieldname, String(part.value ?? ''));
        continue;
      }
      if (part.fieldname !== 'files') {
        await drain(part.file);
        continue;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of part.file as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (total + size <= limits.documentBytes) chunks.push(chunk);
      }
      // A file input left empty still sends a part, with no name and no bytes.
      if (!part.filename && size === 0) continue;
      out.chosen++;
      const name = sanitizeFileName(part.filename ?? '', '—');
      if (part.file.truncated) fail('documents.file.tooLarge', { name, count: limits.fileBytes / MB });
      else if (size === 0) fail('documents.file.empty', { name });
      else if ((total += size) > limits.documentBytes) fail('documents.file.documentTooLarge', { count: limits.documentBytes / MB });
      else out.files.push(uploadedFile(part.filename ?? '', Buffer.concat(chunks)));
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_FILES_LIMIT') fail('documents.file.tooMany', { count: limits.files });
    else if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') fail('documents.file.tooMany', { count: limits.files });
    // Anything else is a malformed or aborted request body: the client's fault, not a 500.
    else throw new AppError(400, 'errors.badRequest.text');
  }
  if (out.errors.files) out.files = [];
  return out;
}
