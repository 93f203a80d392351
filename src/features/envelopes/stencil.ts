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

/** A segment's line in millimetres, for the digit in cell `i` (0-based). */
export function segmentLine(seg: Segment, i: number): [number, number, number, number] {
  const left = STENCIL.firstCell + i * STENCIL.pitch + (STENCIL.bar.w - STENCIL.unit) / 2;
  const [x1, y1, x2, y2] = SEGMENT_LINES[seg];
  const u = STENCIL.unit;
  return [left + x1 * u, STENCIL.digitTop + y1 * u, left + x2 * u, STENCIL.digitTop + y2 * u];
}

/**
 * The stencil as an SVG sized in mm, in black ink (Russian Post forbids red, yellow and green).
 * Few elements on purpose: all bars in one filled path and each digit in one stroked path, since
 * Chromium's PDF time grows with the element count, and a print run has thousands of stencils.
 */
export function stencilSvg(index: string): string {
  if (!isStencilIndex(index)) throw new Error(`stencil needs six digits, got "${index}"`);
  const S = STENCIL;
  const bars = [`M0 0h${S.mark.w}v${S.mark.h}h-${S.mark.w}z`];
  const digits: string[] = [];
  [...index].forEach((digit, i) => {
    bars.push(`M${n(S.firstCell + i * S.pitch)} 0h${S.bar.w}v${S.bar.h}h-${S.bar.w}z`);
    const segs = DIGIT_SEGMENTS[digit];
    const d = segs.map((seg) => {
      const [x1, y1, x2, y2] = segmentLine(seg, i);
      return `M${n(x1)} ${n(y1)}L${n(x2)} ${n(y2)}`;
    });
    digits.push(`<path class="digit" data-digit="${digit}" data-segs="${segs.join(' ')}" d="${d.join('')}"/>`);
  });
  return (
    `<svg class="stencil" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${S.width} ${S.height}" width="${S.width}mm" height="${S.height}mm" data-index="${index}" aria-hidden="true">` +
    `<path class="bars" d="${bars.join('')}" fill="#000"/>` +
    `<g fill="none" stroke="#000" stroke-width="${S.stroke}" stroke-linecap="round">${digits.join('')}</g>` +
    '</svg>'
  );
}
