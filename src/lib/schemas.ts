import { Type, type TSchema } from 'typebox';

export { Type };

/**
 * The shared pieces of the routes' schemas (TypeBox, validated by Fastify's Ajv before the
 * handler runs): a value out of shape is refused at the edge with a localized 400 (params, query)
 * or 422 (body) page and never reaches a query. Handlers' types come from these schemas.
 */

export const MAX_ID = 2147483647;

/**
 * An integer in [min, max]. Ajv coerces `1e309` from a URL to Infinity and then lets it through
 * `integer` and `maximum` both (it came out as `null` in the handler): the infinities are refused by name.
 */
export function Int(minimum: number, maximum: number) {
  return Type.Integer({ minimum, maximum, not: { enum: [Infinity, -Infinity] } });
}

/** A row id: PostgreSQL `integer`, 1..2^31-1 (`1e309`, `-1`, `99999999999` are refused). */
export const Id = Int(1, MAX_ID);
export const IdParams = Type.Object({ id: Id });

// The same bound as a pattern, for query and form fields that carry an id as text.
const ID_PATTERN =
  '[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7]';

/** An id as text (query strings, selects), or empty for "none chosen"; `extra` adds literal words (`none`). */
export function IdText(...extra: string[]) {
  return Type.String({ pattern: `^(?:|${[ID_PATTERN, ...extra].join('|')})$`, maxLength: 10 });
}

// Control characters never come from a keyboard; NUL in particular breaks PostgreSQL text.
const LINE = '^[^\\u0000-\\u001f\\u007f]*$';
const LINES = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';

/** One line of text: no control characters, at most `max` characters. */
export function SafeText(max: number) {
  return Type.String({ maxLength: max, pattern: LINE });
}

/** Text from a textarea: tab, CR and LF allowed, no other control characters. */
export function SafeLines(max: number) {
  return Type.String({ maxLength: max, pattern: LINES });
}

/** One of a fixed set of words, or empty (a select's blank option). */
export function Word(max = 40) {
  return Type.String({ maxLength: max, pattern: '^[A-Za-z0-9_:-]*$' });
}

/** A keyset cursor: the opaque URL-safe text our own links carry (its content is checked where it is decoded). */
export const Cursor = Type.String({ maxLength: 4000, pattern: '^[A-Za-z0-9_=-]*$' });

/** `next=`: shape only; `safeNext` / `backTo` decide, and anything odd falls back to a known page. */
export const Next = Type.String({ maxLength: 2000 });

/** The CSRF token field of a form. */
export const Csrf = Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_.-]*$' });

/** A field a form may send once or several times (parallel lists such as phones). */
export function Many(item: TSchema, maxItems = 50) {
  return Type.Array(item, { maxItems });
}

/** Optional fields, as every query field and most form fields are. */
export function Fields<T extends Record<string, TSchema>>(fields: T) {
  return Type.Object(
    Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as { [K in keyof T]: ReturnType<typeof Type.Optional<T[K]>> },
  );
}

/** Any value a form may send: text (tab and line breaks allowed) or a repeated field. */
export const FormValue = Type.Union([SafeLines(20000), Type.Array(SafeLines(20000), { maxItems: 200 })]);

/**
 * A form body: strict on shape (every field text, or a list where the form repeats it; bounded;
 * no control characters), permissive on content, so the form's own reader still answers a
 * too-long name or a letter in a number with a field error on the re-rendered form (422).
 * Fields the form does not declare are held to the same shape.
 */
export function Form<T extends Record<string, TSchema>>(fields: T) {
  const props = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)]));
  return Type.Object({ _csrf: Type.Optional(Csrf), ...props } as { [K in keyof T]: ReturnType<typeof Type.Optional<T[K]>> } & { _csrf: ReturnType<typeof Type.Optional<typeof Csrf>> }, {
    additionalProperties: FormValue,
  });
}

/** A query string: the declared fields, and any other parameter held to bounded, safe text. */
export function Query<T extends Record<string, TSchema>>(fields: T) {
  const props = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)]));
  return Type.Object(props as { [K in keyof T]: ReturnType<typeof Type.Optional<T[K]>> }, { additionalProperties: SafeText(2000) });
}

/** A route that reads no query string: any parameter sent anyway is still bounded, safe text. */
export const NoQuery = Query({});

/** A multipart upload's URL: only the CSRF token (the parts are read and checked by the route's reader). */
export const UploadQuery = Query({ _csrf: Csrf });

/** Single-line form text, held to shape only (the form's reader gives the field errors). */
export const Line = (max = 4000) => SafeLines(max);
