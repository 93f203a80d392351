/**
 * The "индекс места назначения" stencil: the six-digit index drawn from the nine-segment table of
 * Russian Post (FORMATS.md), to scale in millimetres, so sorting machines read it like a
 * hand-filled envelope.
 */

export const SEGMENTS = ['T', 'M', 'B', 'UL', 'LL', 'UR', 'LR', 'D1', 'D2'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** Which segments draw each digit. */
export const DIGIT_SEGMENTS: Record<string, readonly Segment[]> = {
  '0': ['T', 'B', 'UL', 'LL', 'UR', 'LR'],
  '1': ['D1', 'UR', 'LR'],
  '2': ['T', 'UR', 'D2', 'B'],
  '3': ['T', 'D1', 'M', 'D2'],
  '4': ['UL', 'M', 'UR', 'LR'],
  '5': ['T', 'UL', 'M', 'LR', 'B'],
  '6': ['D1', 'LL', 'B', 'LR', 'M'],
  '7': ['T', 'D1', 'LL'],
  '8': ['T', 'M', 'B', 'UL', 'LL', 'UR', 'LR'],
  '9': ['T', 'UL', 'UR', 'M', 'D2'],
};

/** Each segment as a line in a box one unit wide and two tall: [x1, y1, x2, y2]. */
export const SEGMENT_LINES: Record<Segment, readonly [number, number, number, number]> = {
  T: [0, 0, 1, 0],
  M: [0, 1, 1, 1],
  B: [0, 2, 1, 2],
  UL: [0, 0, 0, 1],
  LL: [0, 1, 0, 2],
  UR: [1, 0, 1, 1],
  LR: [1, 1, 1, 2],
  D1: [1, 0, 0, 1],
  D2: [1, 1, 0, 2],
};

/** Millimetres. */
export const STENCIL = {
  pitch: 9,
  bar: { w: 7, h: 2 },
  /** The start mark: a square in the row of bars, left of the first cell (not a stroke that reads as "1"). */
  mark: { w: 2, h: 2 },
  firstCell: 4,
  digitTop: 4,
  /** The digit box: one unit is this wide, two units tall. */
  unit: 5,
  stroke: 0.8,
  width: 4 + 5 * 9 + 7,
  height: 4 + 2 * 5,
} as const;

const n = (v: number) => String(Number(v.toFixed(3)));

/** True for an index the stencil can draw: exactly six digits. */
export function isStencilIndex(index: string): boolean {
  return /^\d{6}$/.test(index);
}

/** The stencil as an SVG element sized in mm; black ink (Russian Post forbids red, yellow, green). */
export function stencilSvg(index: string): string {
  if (!isStencilIndex(index)) throw new Error(`stencil needs six digits, got "${index}"`);
  const S = STENCIL;
  const parts: string[] = [
    `<svg class="stencil" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${S.width} ${S.height}" width="${S.width}mm" height="${S.height}mm" data-index="${index}" aria-hidden="true">`,
    `<rect class="start-mark" x="0" y="0" width="${S.mark.w}" height="${S.mark.h}" fill="#000"/>`,
  ];
  [...index].forEach((digit, i) => {
    const cell = S.firstCell + i * S.pitch;
    const left = cell + (S.bar.w - S.unit) / 2;
    parts.push(`<g class="cell" data-digit="${digit}">`);
    parts.push(`<rect class="bar" x="${n(cell)}" y="0" width="${S.bar.w}" height="${S.bar.h}" fill="#000"/>`);
    for (const seg of DIGIT_SEGMENTS[digit]) {
      const [x1, y1, x2, y2] = SEGMENT_LINES[seg];
      parts.push(
        `<line data-seg="${seg}" x1="${n(left + x1 * S.unit)}" y1="${n(S.digitTop + y1 * S.unit)}" x2="${n(left + x2 * S.unit)}" y2="${n(S.digitTop + y2 * S.unit)}" stroke="#000" stroke-width="${S.stroke}" stroke-linecap="round"/>`,
      );
    }
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('');
}
