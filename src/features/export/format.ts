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
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** A quick test for the rare value that needs any of that or has an "&". */
const NOT_XML_OR_AMPERSAND = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff&]/;

/**
 * A value as xmlbuilder2 must be given it: without the characters XML cannot carry, and with every
 * "&" already escaped. xmlbuilder2 escapes "<", ">" (and '"' in attributes) but leaves an "&" alone
 * when it starts something entity-like ("&lt;", "&amp;"; its DOM writer also any "&name;" or
 * "&#38;"), so as not to escape twice. For a user's text that loses data ("&lt;" comes back from the
 * file as "<") or breaks the file ("&nbsp;" is no XML entity). An "&" escaped here is "&amp;",
 * which xmlbuilder2 then writes as it is.
 */
export function xmlValue(s: string): string {
  return NOT_XML_OR_AMPERSAND.test(s) ? s.replace(NOT_XML, '').replace(/&/g, '&amp;') : s;
}

