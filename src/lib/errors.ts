/**
 * Typed errors thrown by services and plugins; the central error handler maps them to status
 * codes and localized pages. `messageKey` is an i18n key, never user-facing text itself.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly messageKey: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(messageKey);
  }
}

export class NotFoundError extends AppError {
  constructor(messageKey = 'errors.notFound.text') {
    super(404, messageKey);
  }
}

export class ForbiddenError extends AppError {
  constructor(messageKey = 'errors.forbidden.text') {
    super(403, messageKey);
  }
}

/** Not signed in (or the session expired): the handler sends the user to /login. */
export class UnauthorizedError extends AppError {
  constructor(messageKey = 'auth.signInRequired') {
    super(401, messageKey);
  }
}

export type FieldErrors = Record<string, { key: string; params?: Record<string, string | number> }>;

/** Bad input: routes catch it to re-render their form; elsewhere the handler shows a 422 page. */
export class ValidationError extends AppError {
  constructor(
    readonly fields: FieldErrors,
    messageKey = 'errors.validation.text',
  ) {
    super(422, messageKey);
  }
}

/** A stale form or a uniqueness clash; `current` carries the stored values for a side-by-side view. */
export class ConflictError extends AppError {
  constructor(
    messageKey = 'errors.conflict.text',
    readonly current: unknown = null,
    params: Record<string, string | number> = {},
  ) {
    super(409, messageKey, params);
  }
}
