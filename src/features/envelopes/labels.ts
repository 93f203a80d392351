import { AppError } from '../../lib/errors.js';
import { fitBlock, type Block } from './layout.js';
import type { Addressee } from './recipient.js';

/** An A4 sheet of address labels; millimetres. */
export interface LabelSheet {
  id: LabelSheetId;
  label: string;
  cols: number;
  rows: number;
  labelW: number;
  labelH: number;
  top: number;
  left: number;
  colGap: number;
  /** Text inset inside a label: wider on edge-to-edge sheets, which printers cannot reach. */
  padX: number;
  padY: number;
}

export const LABEL_SHEET_IDS = ['L7160', 'L7163', '3475'] as const;
export type LabelSheetId = (typeof LABEL_SHEET_IDS)[number];

export const A4 = { width: 210, height: 297 };

export const LABEL_SHEETS: Record<LabelSheetId, LabelSheet> = {
  L7160: { id: 'L7160', label: 'Avery L7160 (3 × 7, 63,5 × 38,1)', cols: 3, rows: 7, labelW: 63.5, labelH: 38.1, top: 15.15, left: 7.25, colGap: 2.5, padX: 3, padY: 2.5 },
  L7163: { id: 'L7163', label: 'Avery L7163 (2 × 7, 99,1 × 38,1)', cols: 2, rows: 7, labelW: 99.1, labelH: 38.1, top: 15.15, left: 4.65, colGap: 2.5, padX: 4, padY: 2.5 },
  '3475': { id: '3475', label: 'Zweckform 3475/3490 (3 × 8, 70 × 36)', cols: 3, rows: 8, labelW: 70, labelH: 36, top: 4.5, left: 0, colGap: 0, padX: 5, padY: 3.5 },
};

export const LABEL_SHEET_LIST = LABEL_SHEET_IDS.map((id) => LABEL_SHEETS[id]);

export function perSheet(s: LabelSheet): number {
  return s.cols * s.rows;
}

export function parseSheet(raw: unknown): LabelSheet {
  if (raw === undefined || raw === null || raw === '') return LABEL_SHEETS.L7160;
  const key = String(raw).trim().toUpperCase();
  if ((LABEL_SHEET_IDS as readonly string[]).includes(key)) return LABEL_SHEETS[key as LabelSheetId];
  throw new AppError(422, 'labels.unknownSheet', { sheet: String(raw).slice(0, 40), sheets: LABEL_SHEET_IDS.join(', ') });
}

/** The first label to use on the first sheet (1-based), so a part-used sheet can go back in. */
export function parseStart(raw: unknown, sheet: LabelSheet): number {
  if (raw === undefined || raw === null || raw === '') return 1;
  const s = String(raw).trim();
  const n = /^\d{1,4}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= perSheet(sheet))) throw new AppError(422, 'labels.badStart', { max: perSheet(sheet) });
  return n;
}

export interface LabelView {
  addressee: Addressee;
  block: Block;
}

/** What one label shows: the recipient's name and address in Russian Post order, index last. */
export function labelView(addressee: Addressee, sheet: LabelSheet): LabelView {
  if (!addressee.address) throw new Error('labelView needs an addressee with an address');
  // The label CSS pads by padX/padY; fitBlock subtracts its own 2 mm on each side.
  const box = { w: sheet.labelW - 2 * sheet.padX + 4, h: sheet.labelH - 2 * sheet.padY + 4 };
  const unit = addressee.addressSource === 'person' ? 'flat' : 'office';
  return { addressee, block: fitBlock({ full: addressee.nameLines, short: addressee.shortNameLines }, addressee.address, unit, box, { captionMm: 0 }) };
}

/**
 * The labels of one print run at one font size: the size at which at least four labels in five
 * fit (all of them, in a run of up to four), so a sheet reads evenly; a label whose text does not
 * fit at that size, and only such a label, takes the smaller step it fits at.
 */
export function labelRun(addressees: Addressee[], sheet: LabelSheet): LabelView[] {
  const views = addressees.map((a) => labelView(a, sheet));
  if (!views.length) return views;
  const fits = views.map((v) => v.block.fontSize).sort((a, b) => b - a);
  const size = fits[Math.max(0, Math.ceil(fits.length * RUN_SHARE) - 1)];
  return views.map((v) => (v.block.fontSize > size ? { ...v, block: { ...v.block, fontSize: size } } : v));
}
const RUN_SHARE = 0.8;

/**
 * The labels laid out on sheets: `start - 1` blank places first, then one label per addressee.
 * null marks a place left empty.
 */
export function paginateLabels<T>(items: T[], sheet: LabelSheet, start: number): (T | null)[][] {
  const cells: (T | null)[] = [...Array<null>(start - 1).fill(null), ...items];
  const size = perSheet(sheet);
  const sheets: (T | null)[][] = [];
  for (let i = 0; i < cells.length; i += size) sheets.push(cells.slice(i, i + size));
  return sheets;
}

const mm = (n: number) => `${Number(n.toFixed(2))}mm`;

/** The CSS that depends on the sheet: A4 page, grid of label cells. */
export function labelsCss(s: LabelSheet): string {
  const bottom = A4.height - s.top - s.rows * s.labelH;
  const right = A4.width - s.left - s.cols * s.labelW - (s.cols - 1) * s.colGap;
  return [
    `@page { size: ${mm(A4.width)} ${mm(A4.height)}; margin: 0; }`,
    `.sheet { width: ${mm(A4.width)}; height: ${mm(A4.height)}; padding: ${mm(s.top)} ${mm(right)} ${mm(bottom)} ${mm(s.left)};` +
      ` grid-template-columns: repeat(${s.cols}, ${mm(s.labelW)}); grid-template-rows: repeat(${s.rows}, ${mm(s.labelH)}); column-gap: ${mm(s.colGap)}; }`,
    `.sheet .label { padding: ${mm(s.padY)} ${mm(s.padX)}; }`,
  ].join('\n');
}
