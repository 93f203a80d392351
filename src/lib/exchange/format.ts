import type { AddressField } from '../../db/schema/address.js';

/**
 * The XML exchange format, shared by the exporter and the importer. Its schema is published at
 * /export/schema.xsd (public/schema/contacts.xsd); change the two together and bump the version.
 */
export const CONTACTS_NS = 'urn:edms:crm:contacts:1';
export const FORMAT_VERSION = '1';

/** Address parts as child elements, in the schema's order. */
export const ADDRESS_ELEMENTS: readonly (readonly [string, AddressField])[] = [
  ['index', 'addrIndex'],
  ['country', 'addrCountry'],
  ['region', 'addrRegion'],
  ['district', 'addrDistrict'],
  ['locality', 'addrLocality'],
  ['street', 'addrStreet'],
  ['house', 'addrHouse'],
  ['building', 'addrBuilding'],
  ['office', 'addrOffice'],
];

export const PHOTO_TYPES = ['image/bmp', 'image/png', 'image/jpeg'] as const;

/** Characters XML 1.0 cannot carry at all (C0 controls but tab and newlines, lone surrogates, U+FFFE/F). */
const NOT_XML = '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
/** In one pass: what XML cannot carry (dropped), and what must be written as a reference. */
const TEXT_ESCAPED = new RegExp(`${NOT_XML}|[&\\r]`, 'g');
const ATTRIBUTE_ESCAPED = new RegExp(`${NOT_XML}|[&\\r\\n\\t]`, 'g');
/** A quick test for the rare value that needs any of that (any surrogate: a pair is checked in the pass). */
const TEXT_NEEDS_ESCAPING = /[\u0000-\u0008\u000b-\u001f\ud800-\udfff\ufffe\uffff&]/;
const ATTRIBUTE_NEEDS_ESCAPING = /[\u0000-\u001f\ud800-\udfff\ufffe\uffff&]/;
/**
 * Decimal references: xmlbuilder2 leaves "&#13;" alone but would write "&#xD;" as "&amp;#xD;"
 * (it spares only "&name;" and "&#digits;", see xmlText).
 */
const REFERENCES: Record<string, string> = { '&': '&amp;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' };
const reference = (c: string) => REFERENCES[c] ?? '';

/**
 * A text value as xmlbuilder2 must be given it: without the characters XML cannot carry, with
 * every "&" already escaped, and "\r" as a character reference. xmlbuilder2 escapes "<", ">" (and
 * '"' in attributes) but leaves an "&" alone when it starts something entity-like ("&lt;", "&amp;";
 * its DOM writer also any "&name;" or "&#38;"), so as not to escape twice. For a user's text that
 * loses data ("&lt;" comes back from the file as "<") or breaks the file ("&nbsp;" is no XML
 * entity). An "&" escaped here is "&amp;", which xmlbuilder2 then writes as it is. A raw "\r"
 * would reach the importer as "\n" (a parser turns "\r\n" and "\r" into "\n"); a reference keeps it.
 */
export function xmlText(s: string): string {
  return TEXT_NEEDS_ESCAPING.test(s) ? s.replace(TEXT_ESCAPED, reference) : s;
}

/**
 * An attribute value, as xmlText, with tab and newline as references too: a parser reads each of
 * them (and "\r") in an attribute as a space (attribute-value normalization).
 */
export function xmlAttribute(s: string): string {
  return ATTRIBUTE_NEEDS_ESCAPING.test(s) ? s.replace(ATTRIBUTE_ESCAPED, reference) : s;
}
