import { AppError } from '../../lib/errors.js';

/** A rectangle on the envelope, in millimetres from its top-left corner. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface EnvelopeFormat {
  id: EnvelopeFormatId;
  /** As printed on envelope packs and shown to the user. */
  label: string;
  /** Landscape: the address side is always read with the long edge horizontal. */
  width: number;
  height: number;
  /** Where each block goes; the stamp box is reserved and nothing is printed in it. */
  sender: Box;
  stamp: Box;
  recipient: Box;
  stencil: Box;
  /**
   * The largest font of the address blocks, in points: 14 on DL, scaled with the envelope (by the
   * square root of its area against DL's), so a C5 or C4 envelope gets a larger block, not a DL
   * block lost in a corner. One of FONT_STEPS (layout.ts).
   */
  maxPt: number;
}

export const ENVELOPE_FORMAT_IDS = ['DL', 'C6', 'C6C5', 'C5', 'C4'] as const;
export type EnvelopeFormatId = (typeof ENVELOPE_FORMAT_IDS)[number];

/** Stencil: start mark, six cells on a 9 mm pitch, a caption line under the digits. */
export const STENCIL_SIZE = { w: 56, h: 18 };
const STAMP = { w: 40, h: 25, inset: 5 };

function stamp(width: number): Box {
  return { x: width - STAMP.inset - STAMP.w, y: STAMP.inset, w: STAMP.w, h: STAMP.h };
}

/**
 * Sizes from ГОСТ Р 51506-99; the block positions follow Russian Post practice: sender top left,
 * stamp top right, recipient bottom right, the index stencil bottom left, clear of each other
 * (a test checks that no two blocks overlap and all stay on the envelope).
 */
const DL_AREA = 220 * 110;
const DL_PT = 14;
/** maxPt for an envelope of this size: DL's 14 pt scaled by √(area / DL area), to a whole point. */
export function scaledMaxPt(width: number, height: number): number {
  return Math.round(DL_PT * Math.sqrt((width * height) / DL_AREA));
}

type Placement = Omit<EnvelopeFormat, 'maxPt'>;
const withFont = (f: Placement): EnvelopeFormat => ({ ...f, maxPt: scaledMaxPt(f.width, f.height) });

export const ENVELOPE_FORMATS: Record<EnvelopeFormatId, EnvelopeFormat> = {
  DL: withFont({
    id: 'DL', label: 'DL', width: 220, height: 110,
    sender: { x: 8, y: 8, w: 95, h: 38 }, stamp: stamp(220),
    recipient: { x: 100, y: 50, w: 112, h: 52 }, stencil: { x: 8, y: 84, ...STENCIL_SIZE },
  }),
  C6: withFont({
    id: 'C6', label: 'C6', width: 162, height: 114,
    sender: { x: 8, y: 8, w: 95, h: 38 }, stamp: stamp(162),
    recipient: { x: 70, y: 50, w: 84, h: 56 }, stencil: { x: 8, y: 88, ...STENCIL_SIZE },
  }),
  C6C5: withFont({
    id: 'C6C5', label: 'C6/C5', width: 229, height: 114,
    sender: { x: 8, y: 8, w: 100, h: 40 }, stamp: stamp(229),
    recipient: { x: 105, y: 52, w: 116, h: 54 }, stencil: { x: 8, y: 88, ...STENCIL_SIZE },
  }),
  C5: withFont({
    id: 'C5', label: 'C5', width: 229, height: 162,
    sender: { x: 8, y: 8, w: 100, h: 50 }, stamp: stamp(229),
    recipient: { x: 105, y: 80, w: 116, h: 74 }, stencil: { x: 8, y: 136, ...STENCIL_SIZE },
  }),
  C4: withFont({
    id: 'C4', label: 'C4', width: 324, height: 229,
    sender: { x: 10, y: 10, w: 120, h: 60 }, stamp: stamp(324),
    recipient: { x: 160, y: 120, w: 154, h: 99 }, stencil: { x: 10, y: 201, ...STENCIL_SIZE },
  }),
};

export const ENVELOPE_FORMAT_LIST = ENVELOPE_FORMAT_IDS.map((id) => ENVELOPE_FORMATS[id]);

/** 422 with the list of formats, instead of a 500 from deep inside the renderer. */
export class UnknownFormatError extends AppError {
  constructor(given: string, messageKey = 'envelopes.unknownFormat') {
    super(422, messageKey, { format: given, formats: ENVELOPE_FORMAT_LIST.map((f) => f.label).join(', ') });
  }
}

/** The format named in a query string ("DL", "c6", "C6/C5", "C6C5"); the fallback when absent. */
export function parseFormat(raw: unknown, fallback: EnvelopeFormatId = 'DL'): EnvelopeFormat {
  if (raw === undefined || raw === null || raw === '') return ENVELOPE_FORMATS[fallback];
  const key = String(raw).trim().toUpperCase().replace(/[\s/_-]+/g, '');
  if ((ENVELOPE_FORMAT_IDS as readonly string[]).includes(key)) return ENVELOPE_FORMATS[key as EnvelopeFormatId];
  throw new UnknownFormatError(String(raw).slice(0, 40));
}

export function isFormatId(v: unknown): v is EnvelopeFormatId {
  return typeof v === 'string' && (ENVELOPE_FORMAT_IDS as readonly string[]).includes(v);
}

const mm = (n: number) => `${Number(n.toFixed(2))}mm`;
const place = (b: Box) => `left: ${mm(b.x)}; top: ${mm(b.y)}; width: ${mm(b.w)}; height: ${mm(b.h)};`;

/**
 * The CSS that depends on the format: the page size (set here only, so the print dialog and
 * Chromium's PDF agree) and the block positions. Served as a stylesheet for the HTML page and
 * injected into the PDF page, so both come from this one table.
 */
export function envelopeCss(f: EnvelopeFormat): string {
  return [
    `@page { size: ${mm(f.width)} ${mm(f.height)}; margin: 0; }`,
    `.envelope { width: ${mm(f.width)}; height: ${mm(f.height)}; }`,
    `.envelope .sender { ${place(f.sender)} }`,
    `.envelope .stamp { ${place(f.stamp)} }`,
    `.envelope .recipient { ${place(f.recipient)} }`,
    `.envelope .stencil-box { ${place(f.stencil)} }`,
  ].join('\n');
}
