import { readFile } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import fontkit from '@cantoo/fontkit';
import { PDFDocument, PDFName, type PDFFont } from '@cantoo/pdf-lib';
import type { Locale } from '../../db/schema/users.js';
import type { Translate } from '../../i18n/index.js';
import { AppError } from '../../lib/errors.js';

/** One list of the form as drawn: its rows and totals, the texts already formatted (form103.ts makes it). */
export interface Form103ListView {
  number: number;
  rows: { n: number; name: string; address: string; value: string; tracking: string; note: string }[];
  count: number;
  countWords: string;
  declaredValue: string | null;
}

/** The whole form as drawn: the lists and what every list repeats. */
export interface Form103View {
  t: Translate;
  locale: Locale;
  kind: string;
  category: string;
  sender: { name: string; address: string };
  date: string;
  lists: Form103ListView[];
  pageTitle: string;
}

/**
 * Form 103 drawn straight into a PDF, with the geometry of the printed HTML form (FORM103_CSS):
 * A4 landscape, 10 mm margins, the same column widths, fonts, sizes and rules, measured from the
 * page Chromium prints from that stylesheet. A browser spends ~2.4 ms a row laying out and painting
 * the table (5,000 items: 12 s of Chromium CPU); here a row is a few operators in a content stream.
 *
 * The layout is computed here, not by a browser: a row is as tall as its longest wrapped cell,
 * rows fill a sheet down to the bottom margin and never split, the column headings repeat on a
 * list's next sheet, the totals row and the signature block move to a new sheet when they do not fit.
 */

const deflateAsync = promisify(deflate);

const MM = 72 / 25.4;
/** A4 landscape as Chromium sizes it (whole CSS pixels: 1123 × 794 px), so 60 dpi renders at 702 × 496. */
const PAGE_W = 841.92;
const PAGE_H = 594.96;
const LEFT = 10 * MM;
const RIGHT = 287.1 * MM;
/** Rows end above the bottom margin. */
const BOTTOM = 200 * MM;

/** Column widths in mm, as the stylesheet's <col>s: they add up to 277 mm. */
const COLS_MM = [9, 50, 100, 19, 15, 15, 15, 29, 25];
const COL_X: number[] = [];
{
  let x = 10.1;
  for (const w of COLS_MM) {
    COL_X.push(x * MM);
    x += w;
  }
  COL_X.push(x * MM);
}
/** Text sits 0.9 mm inside a cell's rule (0.8 mm padding and half the 0.2 mm rule). */
const PAD_X = 0.9 * MM;

const BODY_SIZE = 8;
const LINE = BODY_SIZE * 1.2;
/** A one-line row, rule to rule; each further line adds LINE. */
const ROW_H = 4.344 * MM;
/** From a row's top rule to its first baseline. */
const ROW_BASE = 8.9;
/**
 * The column headings: top rule → the rule under "Плата, руб." (HEAD_PAY) → the headings' bottom,
 * as tall as their longest wrapped heading (a line of 7 pt headings takes 7.7 pt, of the 6.5 pt
 * payment headings 7.15 pt, plus 2.55 pt of padding and rule) → the numbers row, 3.2 mm.
 */
const HEAD_PAY = 3.7 * MM;
const HEAD_PAD = 2.55;
const HEAD_NUMS_H = 3.2 * MM;
/** The signature block below the table: 3 mm of margin, then ~41 mm of totals, signatures and the note on copies. */
const FOOT_H = 3 * MM + 126;
const RULE = 0.2 * MM;
const FIELD_RULE = 0.25 * MM;

const FONT_DIRS = ['/usr/share/fonts/truetype/paratype', '/usr/share/fonts/truetype/dejavu'];
/** PT Sans as the stylesheet asks for, DejaVu Sans where it is missing. */
const FONT_FILES: [regular: string, bold: string][] = [
  [`${FONT_DIRS[0]}/PTS55F.ttf`, `${FONT_DIRS[0]}/PTS75F.ttf`],
  [`${FONT_DIRS[1]}/DejaVuSans.ttf`, `${FONT_DIRS[1]}/DejaVuSans-Bold.ttf`],
];

let fontBytes: Promise<[Uint8Array, Uint8Array]> | null = null;
function loadFonts(): Promise<[Uint8Array, Uint8Array]> {
  fontBytes ??= (async () => {
    for (const [regular, bold] of FONT_FILES) {
      try {
        return [await readFile(regular), await readFile(bold)] as [Uint8Array, Uint8Array];
      } catch {
        // The next family.
      }
    }
    throw new AppError(503, 'form103.fontMissing');
  })();
  // A failed read is not cached: the fonts may be installed meanwhile.
  fontBytes.catch(() => {
    fontBytes = null;
  });
  return fontBytes;
}

interface Metrics {
  unitsPerEm: number;
  layout(text: string): { glyphs: unknown[]; positions: { xAdvance: number }[] };
  glyphsForString(text: string): { advanceWidth: number }[];
}

/** Advances and pair kerning in em, cached: fontkit's shaping costs ~0.2 ms a string, a pair is shaped once per process. */
class Kerning {
  private readonly pairs = new Map<string, number>();
  private readonly advances = new Map<string, number>();
  constructor(private readonly metrics: Metrics) {}

  advance(ch: string): number {
    let w = this.advances.get(ch);
    if (w === undefined) {
      w = (this.metrics.glyphsForString(ch)[0]?.advanceWidth ?? 0) / this.metrics.unitsPerEm;
      this.advances.set(ch, w);
    }
    return w;
  }

  kern(a: string, b: string): number {
    const key = a + b;
    let k = this.pairs.get(key);
    if (k === undefined) {
      const run = this.metrics.layout(key);
      k = run.glyphs.length === 2 ? run.positions[0].xAdvance / this.metrics.unitsPerEm - this.advance(a) : 0;
      this.pairs.set(key, k);
    }
    return k;
  }
}

/**
 * One parsed font per font file for the process, for measuring and kerning: a font parses its
 * shaping tables on first use. (pdf-lib gets a font of its own per document: its subsetter does
 * not survive a font shared between documents — glyphs of an earlier PDF go missing in a later one.)
 */
const kernings = new Map<Uint8Array, Kerning>();
function kerningOf(bytes: Uint8Array): Kerning {
  let k = kernings.get(bytes);
  if (!k) {
    k = new Kerning(fontkit.create(bytes as Buffer) as unknown as Metrics);
    kernings.set(bytes, k);
  }
  return k;
}

/**
 * A font of one document: text is encoded a character at a time from a cache, kerned pair by pair
 * as a browser kerns it, so words sit where Chromium put them.
 */
class Face {
  readonly name: string;
  private readonly codes = new Map<string, string>();
  constructor(
    private readonly font: PDFFont,
    name: PDFName,
    private readonly metrics: Kerning,
  ) {
    this.name = name.toString();
  }

  private code(ch: string): string {
    let c = this.codes.get(ch);
    if (c === undefined) {
      c = this.font.encodeText(ch).toString().slice(1, -1);
      this.codes.set(ch, c);
    }
    return c;
  }

  /** The operand of TJ: glyph codes, with the kerning between them in thousandths of an em. */
  shown(text: string): string {
    let out = '[<';
    let prev = '';
    for (const ch of text) {
      const k = prev ? this.metrics.kern(prev, ch) : 0;
      if (k !== 0) out += `> ${Math.round(-k * 1000)} <`;
      out += this.code(ch);
      prev = ch;
    }
    return out + '>]';
  }

  width(text: string, size: number): number {
    let w = 0;
    let prev = '';
    for (const ch of text) {
      w += this.metrics.advance(ch) + (prev ? this.metrics.kern(prev, ch) : 0);
      prev = ch;
    }
    return w * size;
  }

  /**
   * Lines of at most `max` points: breaks at spaces, and inside a word too long for a line
   * (overflow-wrap: anywhere, as the table's cells) unless `words` keeps words whole (the headings).
   */
  wrap(text: string, size: number, max: number, words = false): string[] {
    // Most cells hold one line.
    if (this.width(text, size) <= max) return [text];
    const lines: string[] = [];
    let line = '';
    let lineWidth = 0;
    // Break opportunities: spaces, and after "/" or a hyphen not followed by a digit (as a browser breaks).
    for (const [word, joined] of pieces(text)) {
      const added = line ? (joined ? word : ` ${word}`) : word;
      const candidateWidth = line ? lineWidth + this.width(added, size) + this.metrics.kern(line.slice(-1), added[0]) * size : this.width(word, size);
      if (candidateWidth <= max) {
        line += added;
        lineWidth = candidateWidth;
        continue;
      }
      if (line) lines.push(line);
      let rest = word;
      while (!words && this.width(rest, size) > max && rest.length > 1) {
        let cut = 1;
        while (cut < rest.length && this.width(rest.slice(0, cut + 1), size) <= max) cut++;
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      line = rest;
      lineWidth = this.width(rest, size);
    }
    if (line || lines.length === 0) lines.push(line);
    return lines;
  }

}

/** A text's pieces between break opportunities, each with whether it joins the previous one without a space. */
function pieces(text: string): [string, boolean][] {
  const out: [string, boolean][] = [];
  for (const word of text.split(/ +/)) {
    word.split(/(?<=\/)(?=.)|(?<=-)(?=\D)/).forEach((piece, i) => out.push([piece, i > 0]));
  }
  return out;
}

/** One sheet's content stream, in the page's coordinates turned upside down: y grows downwards from the sheet's top. */
class Sheet {
  private ops: string[] = [];
  private width = -1;
  private dash = false;

  private lineWidth(w: number) {
    if (w !== this.width) {
      this.ops.push(`${f(w)} w`);
      this.width = w;
    }
  }

  private dashed(on: boolean) {
    if (on !== this.dash) {
      this.ops.push(on ? `[${f(1 * MM)} ${f(0.6 * MM)}] 0 d` : '[] 0 d');
      this.dash = on;
    }
  }

  hline(x1: number, x2: number, y: number, w = RULE) {
    this.lineWidth(w);
    this.dashed(false);
    this.ops.push(`${f(x1)} ${f(PAGE_H - y)} m ${f(x2)} ${f(PAGE_H - y)} l S`);
  }

  vline(x: number, y1: number, y2: number, w = RULE) {
    this.lineWidth(w);
    this.dashed(false);
    this.ops.push(`${f(x)} ${f(PAGE_H - y1)} m ${f(x)} ${f(PAGE_H - y2)} l S`);
  }

  /** A dashed rectangle with rounded corners (the stamp's place). */
  roundRect(x: number, y: number, w: number, h: number, r: number) {
    this.lineWidth(FIELD_RULE);
    this.dashed(true);
    const k = r * 0.5523;
    const top = PAGE_H - y;
    const bottom = top - h;
    const right = x + w;
    this.ops.push(
      `${f(x + r)} ${f(top)} m ${f(right - r)} ${f(top)} l ${f(right - r + k)} ${f(top)} ${f(right)} ${f(top - r + k)} ${f(right)} ${f(top - r)} c ` +
        `${f(right)} ${f(bottom + r)} l ${f(right)} ${f(bottom + r - k)} ${f(right - r + k)} ${f(bottom)} ${f(right - r)} ${f(bottom)} c ` +
        `${f(x + r)} ${f(bottom)} l ${f(x + r - k)} ${f(bottom)} ${f(x)} ${f(bottom + r - k)} ${f(x)} ${f(bottom + r)} c ` +
        `${f(x)} ${f(top - r)} l ${f(x)} ${f(top - r + k)} ${f(x + r - k)} ${f(top)} ${f(x + r)} ${f(top)} c S`,
    );
  }

  /** `spacing`: letter-spacing in points, after every character as a browser adds it. */
  text(face: Face, size: number, x: number, baseline: number, s: string, spacing = 0) {
    if (!s) return;
    const tc = spacing ? `${f(spacing)} Tc ` : '';
    this.ops.push(`BT ${face.name} ${f(size)} Tf ${tc}1 0 0 1 ${f(x)} ${f(PAGE_H - baseline)} Tm ${face.shown(s)} TJ ET${spacing ? ' 0 Tc' : ''}`);
  }

  textRight(face: Face, size: number, right: number, baseline: number, s: string) {
    this.text(face, size, right - face.width(s, size), baseline, s);
  }

  textCenter(face: Face, size: number, center: number, baseline: number, s: string) {
    this.text(face, size, center - face.width(s, size) / 2, baseline, s);
  }

  /** Operators drawn elsewhere; the line width and dash they leave are unknown here. */
  append(ops: string) {
    this.ops.push(ops);
    this.width = -1;
    this.dash = false;
    this.ops.push('[] 0 d');
  }

  content(): string {
    return this.ops.join('\n');
  }
}

/** Points with two decimals, as PDF numbers. */
function f(n: number): string {
  return String(Math.round(n * 100) / 100);
}

interface Fonts {
  regular: Face;
  bold: Face;
  /** The column headings' operators by the height they start at, and their height. */
  headings: Map<number, { ops: string; height: number }>;
}

const SPANNED: [number, string][] = [
  [0, 'form103.col.number'],
  [1, 'form103.col.addressee'],
  [2, 'form103.col.address'],
  [3, 'form103.col.declaredValue'],
  [7, 'form103.col.tracking'],
  [8, 'form103.col.note'],
];
const PAY = ['form103.col.postage', 'form103.col.valueFee', 'form103.col.noticeFee'];

/** A heading's lines in its cells (words are not broken: overflow-wrap is normal in the headings). */
function headingLines(fonts: Fonts, size: number, c1: number, c2: number, label: string): string[] {
  return fonts.regular.wrap(label, size, COL_X[c2] - COL_X[c1] - 2 * PAD_X, true);
}

/** The headings' height from the top rule to the bottom of the numbers row, in a language. */
function headingsHeight(fonts: Fonts, t: Translate): { main: number; nums: number } {
  const payLines = Math.max(...PAY.map((key, i) => headingLines(fonts, 6.5, 4 + i, 5 + i, t(key)).length));
  const spanLines = Math.max(...SPANNED.map(([c, key]) => headingLines(fonts, 7, c, c + 1, t(key)).length));
  const main = Math.max(HEAD_PAY + payLines * 7.15 + HEAD_PAD, spanLines * 7.7 + HEAD_PAD);
  return { main, nums: main + HEAD_NUMS_H };
}

/** Column headings of a list's table (repeated on each of its sheets), from its top rule at y; returns their height. */
function drawHeadings(s: Sheet, fonts: Fonts, t: Translate, y: number): number {
  // Every sheet has them at one of two heights: drawn once per document and copied.
  const cached = fonts.headings.get(y);
  if (cached) {
    s.append(cached.ops);
    return cached.height;
  }
  const own = new Sheet();
  const height = drawHeadingsOnce(own, fonts, t, y);
  fonts.headings.set(y, { ops: own.content(), height });
  s.append(own.content());
  return height;
}

function drawHeadingsOnce(s: Sheet, fonts: Fonts, t: Translate, y: number): number {
  const { regular } = fonts;
  const height = headingsHeight(fonts, t);
  const yPay = y + HEAD_PAY;
  const yMain = y + height.main;
  const yNums = y + height.nums;
  s.hline(COL_X[0], COL_X[9], y);
  s.hline(COL_X[4], COL_X[7], yPay);
  s.hline(COL_X[0], COL_X[9], yMain);
  s.hline(COL_X[0], COL_X[9], yNums);
  for (const c of [0, 1, 2, 3, 4, 7, 8, 9]) s.vline(COL_X[c], y, yNums);
  s.vline(COL_X[5], yPay, yNums);
  s.vline(COL_X[6], yPay, yNums);
  // Headings are centred both ways in their cells (7 pt, the payment columns 6.5 pt).
  const centred = (size: number, lineGap: number, c1: number, c2: number, top: number, bottom: number, label: string) => {
    const lines = headingLines(fonts, size, c1, c2, label);
    const first = (top + bottom) / 2 + 0.37 * size - ((lines.length - 1) * lineGap) / 2;
    lines.forEach((line, i) => s.textCenter(regular, size, (COL_X[c1] + COL_X[c2]) / 2, first + i * lineGap, line));
  };
  for (const [c, key] of SPANNED) centred(7, 8.2, c, c + 1, y, yMain, t(key));
  centred(7, 8.2, 4, 7, y, yPay, t('form103.col.payment'));
  PAY.forEach((key, i) => centred(6.5, 7.1, 4 + i, 5 + i, yPay, yMain, t(key)));
  for (let c = 0; c < 9; c++) s.textCenter(regular, 6.5, (COL_X[c] + COL_X[c + 1]) / 2, yMain + 0.5 * HEAD_NUMS_H + 2.9, String(c + 1));
  return height.nums;
}

/** The list's heading and its three filled-in lines, on its first sheet; returns where the table starts. */
function drawHeader(s: Sheet, fonts: Fonts, view: Form103View, list: Form103ListView): number {
  const { regular, bold } = fonts;
  const t = view.t;
  const centre = (LEFT + RIGHT) / 2;
  // The title is letter-spaced by .04 em.
  const title = t('form103.title', { number: String(list.number) });
  const spacing = 0.04 * 13;
  s.text(bold, 13, centre - (bold.width(title, 13) + spacing * [...title].length) / 2, 40.5, title, spacing);
  s.textRight(regular, 9, RIGHT, 36.7, t('form103.formCode'));
  s.textRight(regular, 8, RIGHT, 50.2, t('form103.sheetOf', { number: String(list.number), total: String(view.lists.length) }));
  s.textCenter(regular, 10, centre, 55.4, t('form103.subtitle'));

  const GAP = 2 * MM;
  const VALUE_PAD = 1 * MM;
  /** A value on its rule with the rule's caption under it; the value shrinks to fit a long line. */
  const field = (baseline: number, x1: number, x2: number, value: string, hint: string | null) => {
    s.hline(x1, x2, baseline + 3.3, FIELD_RULE);
    if (value) {
      const room = x2 - x1 - 2 * VALUE_PAD;
      const size = Math.min(9, (9 * room) / Math.max(bold.width(value, 9), 1));
      s.text(bold, size, x1 + VALUE_PAD, baseline, value);
    }
    if (hint) s.textCenter(regular, 6.5, (x1 + x2) / 2, baseline + 9, hint);
  };
  const label = (baseline: number, x: number, text: string) => {
    s.text(regular, 9, x, baseline, text);
    return x + regular.width(text, 9) + GAP;
  };

  let b = 72.7;
  field(b, label(b, LEFT, t('form103.kindCategory')), RIGHT, view.category ? `${view.kind}, ${view.category}` : view.kind, t('form103.kindCategoryHint'));
  b = 93.7;
  const dateX = RIGHT - 55 * MM;
  const dateLabel = t('form103.date');
  const dateLabelX = dateX - GAP - regular.width(dateLabel, 9);
  field(b, label(b, LEFT, t('form103.acceptedAt')), dateLabelX - GAP, '', t('form103.acceptedAtHint'));
  label(b, dateLabelX, dateLabel);
  field(b, dateX, RIGHT, view.date, null);
  b = 114.7;
  field(b, label(b, LEFT, t('form103.sender')), RIGHT, view.sender.address ? `${view.sender.name}, ${view.sender.address}` : view.sender.name, t('form103.senderHint'));
  return 45 * MM;
}

/** Totals, signatures and the stamp's place, below the table's bottom rule at y. */
function drawFoot(s: Sheet, fonts: Fonts, t: Translate, list: Form103ListView, y: number) {
  const { regular, bold } = fonts;
  const width = 221 * MM;
  let b = y + 17;
  const para = (size: number, text: string, gap: number) => {
    for (const line of regular.wrap(text, size, width)) {
      s.text(regular, size, LEFT, b, line);
      b += size * 1.2;
    }
    b += gap;
  };
  para(9, t('form103.totalItems', { count: String(list.count), words: list.countWords }), 4.25);
  para(9, list.declaredValue === null ? `${t('form103.totalValue', { sum: '—' })} (${t('form103.noValue')})` : t('form103.totalValue', { sum: list.declaredValue }), 4.25);
  para(9, t('form103.totalPayment'), 4.25);
  // Two rows of signature lines: who, position, signature, full name (grid 26/45/30/50 mm, 4 mm gaps).
  const cells: [number, number][] = [
    [40, 85],
    [89, 119],
    [123, 173],
  ];
  const caps = ['form103.position', 'form103.signature', 'form103.fullName'];
  ['form103.handedOver', 'form103.accepted'].forEach((who, i) => {
    const base = y + 74 + i * 33;
    s.text(bold, 9, LEFT, base, t(who));
    cells.forEach(([x1, x2], c) => {
      s.hline(x1 * MM, x2 * MM, base + 0.8, FIELD_RULE);
      s.textCenter(regular, 6.5, ((x1 + x2) / 2) * MM, base + 7.5, t(caps[c]));
    });
  });
  b = y + 121.9;
  for (const line of regular.wrap(t('form103.copies'), 7, width)) {
    s.text(regular, 7, LEFT, b, line);
    b += 7 * 1.2;
  }
  // The calendar stamp's place: 48 × 34 mm, dashed, its caption at the bottom.
  const top = y + 3 * MM;
  const x = RIGHT - 48 * MM;
  s.roundRect(x, top, 48 * MM, 34 * MM, 2 * MM);
  const lines = regular.wrap(t('form103.stamp'), 7, 44 * MM);
  lines.forEach((line, i) => s.textCenter(regular, 7, x + 24 * MM, top + 34 * MM - 2 * MM - 2.2 - (lines.length - 1 - i) * 8.2, line));
}

interface Row {
  lines: string[][];
  height: number;
}

/** The cells of a row wrapped to their columns (the number, value and ШПИ columns keep one line). */
function rowOf(fonts: Fonts, r: Form103ListView['rows'][number]): Row {
  const room = (c: number) => COL_X[c + 1] - COL_X[c] - 2 * PAD_X;
  const name = fonts.regular.wrap(r.name, BODY_SIZE, room(1));
  const address = fonts.regular.wrap(r.address, BODY_SIZE, room(2));
  const note = fonts.regular.wrap(r.note, BODY_SIZE, room(8));
  const n = Math.max(name.length, address.length, note.length);
  return { lines: [[String(r.n)], name, address, [r.value], [], [], [], [r.tracking], note], height: ROW_H + (n - 1) * LINE };
}

/** The vertical rules of the table body from y1 to y2. */
function bodyRules(s: Sheet, y1: number, y2: number) {
  if (y2 <= y1) return;
  for (let c = 0; c <= 9; c++) s.vline(COL_X[c], y1, y2);
}

/** A list on as many sheets as it needs; returns their content streams. */
async function drawList(fonts: Fonts, view: Form103View, list: Form103ListView, pace: Pace): Promise<string[]> {
  const { regular, bold } = fonts;
  const t = view.t;
  const sheets: string[] = [];
  let s = new Sheet();
  let y = drawHeader(s, fonts, view, list);
  let bodyTop = y + drawHeadings(s, fonts, t, y);
  y = bodyTop;
  const newSheet = (headings: boolean) => {
    bodyRules(s, bodyTop, y);
    sheets.push(s.content());
    s = new Sheet();
    y = 10.1 * MM;
    if (headings) {
      y += drawHeadings(s, fonts, t, y);
    }
    bodyTop = y;
  };
  for (const r of list.rows) {
    // The first rows fill the fonts' caches (a new character pair costs a shaping run): pace by row.
    await pace.tick();
    const row = rowOf(fonts, r);
    if (y + row.height > BOTTOM + 0.01) newSheet(true);
    const base = y + ROW_BASE;
    row.lines.forEach((lines, c) => {
      const right = c === 0 || c === 3;
      lines.forEach((line, i) => {
        if (right) s.textRight(regular, BODY_SIZE, COL_X[c + 1] - PAD_X, base + i * LINE, line);
        else s.text(regular, BODY_SIZE, COL_X[c] + PAD_X, base + i * LINE, line);
      });
    });
    y += row.height;
    s.hline(COL_X[0], COL_X[9], y);
  }
  // The totals row: "Итого" across the first three columns, the declared values' sum in the fourth.
  if (y + ROW_H > BOTTOM + 0.01) newSheet(true);
  const totalTop = y;
  s.text(bold, BODY_SIZE, COL_X[0] + PAD_X, y + ROW_BASE, `${t('form103.total')}: ${list.count}`);
  if (list.declaredValue) s.textRight(bold, BODY_SIZE, COL_X[4] - PAD_X, y + ROW_BASE, list.declaredValue);
  y += ROW_H;
  s.hline(COL_X[0], COL_X[9], y);
  bodyRules(s, bodyTop, totalTop);
  for (const c of [0, 3, 4, 5, 6, 7, 8, 9]) s.vline(COL_X[c], totalTop, y);
  bodyTop = y;
  if (y + FOOT_H > BOTTOM + 10 * MM) {
    sheets.push(s.content());
    s = new Sheet();
    y = 7 * MM;
  }
  drawFoot(s, fonts, t, list, y);
  sheets.push(s.content());
  return sheets;
}

/** Work between turns of the event loop: well under the 50 ms a request may wait. */
const SLICE_MS = 20;

/** Hands the event loop back every SLICE_MS; an aborted signal stops the work there. */
class Pace {
  private started = performance.now();
  constructor(private readonly signal?: AbortSignal) {}

  async tick(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return;
    await nextTurn();
    if (this.signal?.aborted) throw new Error('PDF rendering aborted');
    this.started = performance.now();
  }
}

/**
 * The batch's lists as one PDF, drawn in slices of ~20 ms between which the event loop serves
 * other requests; an aborted signal stops it between slices.
 */
export async function drawForm103(view: Form103View, signal?: AbortSignal): Promise<Uint8Array> {
  const [regularBytes, boldBytes] = await loadFonts();
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.registerFontkit(fontkit as unknown as Parameters<PDFDocument['registerFontkit']>[0]);
  doc.setTitle(view.pageTitle);
  // Each font is parsed, and its shaping tables read on its first text, in turns of their own.
  const regularFont = await doc.embedFont(regularBytes, { subset: true });
  await nextTurn();
  regularFont.encodeText(' ');
  await nextTurn();
  const boldFont = await doc.embedFont(boldBytes, { subset: true });
  await nextTurn();
  boldFont.encodeText(' ');
  const fonts: Fonts = {
    regular: new Face(regularFont, PDFName.of('F103R'), kerningOf(regularBytes)),
    bold: new Face(boldFont, PDFName.of('F103B'), kerningOf(boldBytes)),
    headings: new Map(),
  };
  const pace = new Pace(signal);
  for (const list of view.lists) {
    await pace.tick();
    for (const content of await drawList(fonts, view, list, pace)) {
      const page = doc.addPage([PAGE_W, PAGE_H]);
      page.node.setFontDictionary(PDFName.of('F103R'), regularFont.ref);
      page.node.setFontDictionary(PDFName.of('F103B'), boldFont.ref);
      // Compressed in libuv's thread pool, off the event loop (level 1: content streams of rules and text compress well anyway).
      const bytes = await deflateAsync(content, { level: 1 });
      page.node.addContentStream(doc.context.register(doc.context.stream(bytes, { Filter: 'FlateDecode' })));
    }
  }
  return doc.save({ objectsPerTick: 500, useObjectStreams: false });
}
