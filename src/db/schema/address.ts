import { text } from 'drizzle-orm/pg-core';

/** A postal address in parts, in the order Russian Post reads them bottom-up. */
export function addressColumns() {
  return {
    addrIndex: text('addr_index').notNull().default(''),
    addrCountry: text('addr_country').notNull().default(''),
    addrRegion: text('addr_region').notNull().default(''),
    addrDistrict: text('addr_district').notNull().default(''),
    addrLocality: text('addr_locality').notNull().default(''),
    addrStreet: text('addr_street').notNull().default(''),
    addrHouse: text('addr_house').notNull().default(''),
    addrBuilding: text('addr_building').notNull().default(''),
    addrOffice: text('addr_office').notNull().default(''),
  };
}

export const ADDRESS_FIELDS = [
  'addrIndex',
  'addrCountry',
  'addrRegion',
  'addrDistrict',
  'addrLocality',
  'addrStreet',
  'addrHouse',
  'addrBuilding',
  'addrOffice',
] as const;
export type AddressField = (typeof ADDRESS_FIELDS)[number];
export type Address = Record<AddressField, string>;
