import type { Address } from '../../db/schema/address.js';
import { translator } from '../../i18n/index.js';
import type { Box } from './formats.js';
import { isDomestic, type Addressee } from './recipient.js';
import { isStencilIndex, stencilSvg } from './stencil.js';

/**
 * The envelope face is a Russian Post form: its captions and abbreviations are Russian whatever
 * language the user reads the application in.
 */
const face = translator('ru');

const PT_MM = 25.4 / 72;
/** Font steps, largest first (every whole point from 28 down to 6); each has a class `fs-N` in public/print.css. */
export const FONT_STEPS = Array.from({ length: 23 }, (_, i) => 28 - i);
/** The largest step of a DL envelope and of a label: larger envelopes scale it (EnvelopeFormat.maxPt). */
export const BASE_PT = 14;
const LINE_HEIGHT = 1.2;
/**
 * The caption column ("Кому", "Куда") with its gap, in em of the block's font (print.css: a
 * 3.75em column at .7em plus a .4em gap), so it grows with the font; 15 mm at 14 pt.
 */
export const CAPTION_EM = 3.05;
const PADDING_MM = 2;

/**
 * Advance of a character in em, by kind, rounded up from PT Sans; a line is filled only to 93 %
 * so DejaVu Sans, the wider fallback, still fits.
 */
function charEm(ch: string): number {
  if (ch === ' ') return 0.27;
  if (/[0-9]/.test(ch)) return 0.55;
  if (/[A-ZА-ЯЁ]/.test(ch)) return /[ЖШЩЮМWM]/.test(ch) ? 0.85 : 0.66;
  if (/[a-zа-яё]/.test(ch)) return /[жшщюмыw]/.test(ch) ? 0.75 : 0.52;
  return 0.42;
}

function widthEm(word: string): number {
  let w = 0;
  for (const ch of word) w += charEm(ch);
  return w;
}

/** Lines a text takes when wrapped greedily at spaces (and anywhere inside a too-long word). */
function linesFor(text: string, widthMm: number, pt: number): number {
  const capacity = (widthMm / (pt * PT_MM)) * 0.93;
  const space = charEm(' ');
  let lines = 1;
  let used = 0;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let w = widthEm(word);
    if (used > 0 && used + space + w <= capacity) {
      used += space + w;
      continue;
    }
    if (used > 0) lines++;
    while (w > capacity) {
      lines++;
      w -= capacity;
    }
    used = w;
  }
  return lines;
}

/**
 * The largest font step at which the texts fit the box, and whether they fit at all: at the
 * smallest step they may not (the box still clips, so a text never runs off the envelope).
 * Server-side, so the PDF and the HTML agree.
 */
export function fitText(texts: string[], box: Pick<Box, 'w' | 'h'>, opts: FitOptions = {}): { pt: number; fits: boolean } {
  const height = box.h - 2 * PADDING_MM;
  for (const pt of FONT_STEPS) {
    if (pt > (opts.maxPt ?? BASE_PT)) continue;
    const width = box.w - (opts.captionMm ?? CAPTION_EM * pt * PT_MM) - 2 * PADDING_MM;
    const lines = texts.reduce((sum, t) => sum + linesFor(t, width, pt), 0) + (opts.gaps ?? 0) * 0.4;
    if (lines * pt * PT_MM * LINE_HEIGHT <= height) return { pt, fits: true };
  }
  return { pt: FONT_STEPS[FONT_STEPS.length - 1], fits: false };
}

export interface FitOptions {
  /** A fixed caption column in mm (0: none, as on labels); by default it scales with the font. */
  captionMm?: number;
  /** Blank gaps between the rows, in lines. */
  gaps?: number;
  /** The largest step to try (BASE_PT unless the envelope is larger). */
  maxPt?: number;
}

export function fitFontSize(texts: string[], box: Pick<Box, 'w' | 'h'>, opts: FitOptions = {}): number {
  return fitText(texts, box, opts).pt;
}

// Country names as typed in Russian → English, from the ICU region names of the runtime.
const COUNTRY_LATIN = (() => {
  const ru = new Intl.DisplayNames('ru', { type: 'region' });
  const en = new Intl.DisplayNames('en', { type: 'region' });
  const map = new Map<string, string>([
    ['сша', 'United States'],
    ['соединенные штаты америки', 'United States'],
    ['англия', 'United Kingdom'],
  ]);
  for (let a = 65; a < 91; a++) {
    for (let b = 65; b < 91; b++) {
      const code = String.fromCharCode(a, b);
      const name = ru.of(code);
      if (name && name !== code) map.set(name.toLowerCase().replace(/ё/g, 'е'), en.of(code)!);
    }
  }
  return map;
})();

/** International mail: the country in capitals and in Latin script (UPU), as far as we know it. */
export function countryLine(country: string): string {
  const key = country.trim().toLowerCase().replace(/ё/g, 'е');
  return (COUNTRY_LATIN.get(key) ?? country.trim()).toUpperCase();
}

/** Adds the abbreviation unless the user already typed one ("д. 5", "дом 5", "кв 3"). */
function part(value: string, abbr: string): string {
  const v = value.trim();
  if (!v) return '';
  return /^[а-яёa-z]+\.?\s/i.test(v) ? v : `${abbr} ${v}`;
}

/**
 * The lines under "Куда", in Russian Post order: street, house, flat/office; locality; district;
 * region; country (international mail only). The index is separate: it ends the block and feeds
 * the stencil. A person's own address is usually a home, so its unit is a flat ("кв."), an
 * organization's an office ("оф.").
 */
export function addressLines(a: Address, unit: 'flat' | 'office' = 'office'): string[] {
  const street = [
    a.addrStreet.trim(),
    part(a.addrHouse, face('address.house')),
    part(a.addrBuilding, face('address.building')),
    part(a.addrOffice, unit === 'flat' ? face('envelopes.face.flat') : face('address.office')),
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [street, a.addrLocality.trim(), a.addrDistrict.trim(), a.addrRegion.trim()];
  if (!isDomestic(a)) lines.push(countryLine(a.addrCountry));
  return lines.filter(Boolean);
}

export interface Block {
  nameLines: string[];
  addressLines: string[];
  index: string;
  /** Font size in points: one of FONT_STEPS. */
  fontSize: number;
}

export interface EnvelopeView {
  addressee: Addressee;
  recipient: Block;
  /** The stencil SVG, for a domestic six-digit index only. */
  stencil: string | null;
  /** A small line printed at the bottom left (a mailing's outgoing number), when asked for. */
  note?: string | null;
}

/**
 * A name-and-address block at the largest font that fits; when even the smallest step is too
 * small for the full organization name, its short name is used instead (if the card has one).
 */
export function fitBlock(
  names: { full: string[]; short: string[] | null },
  address: Address,
  unit: 'flat' | 'office',
  box: Pick<Box, 'w' | 'h'>,
  opts: FitOptions = { gaps: 2 },
): Block {
  const lines = addressLines(address, unit);
  const index = address.addrIndex.trim();
  let nameLines = names.full;
  let fit = fitText([...nameLines, ...lines, index], box, opts);
  if (!fit.fits && names.short) {
    nameLines = names.short;
    fit = fitText([...nameLines, ...lines, index], box, opts);
  }
  return { nameLines, addressLines: lines, index, fontSize: fit.pt };
}

const unitOf = (a: Addressee) => (a.addressSource === 'person' ? 'flat' : 'office');

/** What one envelope shows for a printable addressee. */
export function envelopeView(addressee: Addressee, box: Pick<Box, 'w' | 'h'>, maxPt: number = BASE_PT): EnvelopeView {
  if (!addressee.address) throw new Error('envelopeView needs an addressee with an address');
  const recipient = fitBlock({ full: addressee.nameLines, short: addressee.shortNameLines }, addressee.address, unitOf(addressee), box, { gaps: 2, maxPt });
  const domestic = isDomestic(addressee.address);
  return { addressee, recipient, stencil: domestic && isStencilIndex(recipient.index) ? stencilSvg(recipient.index) : null };
}

/** The sender block ("От кого", "Откуда") from the own organization's settings; null when not set. */
export function senderBlock(own: { name: string } & Address, box: Pick<Box, 'w' | 'h'>, maxPt: number = BASE_PT): Block | null {
  if (!own.name.trim()) return null;
  return fitBlock({ full: [own.name.trim()], short: null }, own, 'office', box, { gaps: 2, maxPt });
}
