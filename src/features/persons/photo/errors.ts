/**
 * Failure codes for photo decoding. Deliberately a small closed set: the HTTP layer maps each
 * code to a localized message, so nothing here is user-facing text.
 */
export type PhotoErrorCode =
  | 'not_an_image' // magic bytes match no supported format (e.g. an EXE renamed to .bmp)
  | 'unsupported_format' // a real image, but a variant we do not decode (RLE, arithmetic JPEG, ...)
  | 'truncated' // the file ends before the data its header promises
  | 'too_many_pixels' // header dimensions exceed the configured pixel budget
  | 'too_large' // the upload exceeds the configured byte budget
  | 'corrupt'; // structurally invalid (bad header fields, palette index out of range, ...)

export class PhotoError extends Error {
  readonly code: PhotoErrorCode;

  /** `detail` is for logs only. */
  constructor(code: PhotoErrorCode, detail?: string) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'PhotoError';
    this.code = code;
  }
}
