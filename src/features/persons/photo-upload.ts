import type { FastifyRequest } from 'fastify';
import { makeThumbnail } from './photo/thumbnail.js';
import { PhotoError } from './photo/errors.js';
import { ValidationError } from '../../lib/errors.js';

import { PHOTO_MAX_BYTES, PHOTO_MAX_PIXELS, THUMBNAIL_SIZE } from './model.js';

const MIME = { bmp: 'image/bmp', png: 'image/png', jpeg: 'image/jpeg' } as const;

/**
 * Reads the uploaded photo from a multipart request and checks it by content: the name and the
 * browser's MIME type are ignored. Any problem becomes a field error on `photo`.
 */
export async function readPhotoUpload(req: FastifyRequest) {
  let buf: Buffer;
  try {
    const file = await req.file({ limits: { fileSize: PHOTO_MAX_BYTES, files: 1 } });
    if (!file) throw new ValidationError({ photo: { key: 'photo.missing' } });
    buf = await file.toBuffer();
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT') {
      throw new ValidationError({ photo: { key: 'photo.too_large', params: { count: PHOTO_MAX_BYTES / 1024 / 1024 } } });
    }
    if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') throw new ValidationError({ photo: { key: 'photo.missing' } });
    throw err;
  }
  if (buf.length === 0) throw new ValidationError({ photo: { key: 'photo.missing' } });
  try {
    const thumb = await makeThumbnail(buf, { maxBytes: PHOTO_MAX_BYTES, maxPixels: PHOTO_MAX_PIXELS, size: THUMBNAIL_SIZE });
    return { thumbnail: thumb.png, original: buf, originalType: MIME[thumb.sourceType], width: thumb.width, height: thumb.height };
  } catch (err) {
    if (err instanceof PhotoError) {
      throw new ValidationError({ photo: { key: `photo.${err.code}`, params: { count: PHOTO_MAX_BYTES / 1024 / 1024 } } });
    }
    throw err;
  }
}
