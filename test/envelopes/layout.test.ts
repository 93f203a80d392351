import { describe, expect, it } from 'vitest';
import { ENVELOPE_FORMAT_LIST, ENVELOPE_FORMATS, envelopeCss, parseFormat, UnknownFormatError, type Box } from '../../src/features/envelopes/formats.js';
import { LABEL_SHEETS, labelsCss, labelView, paginateLabels, parseSheet, parseStart } from '../../src/features/envelopes/labels.js';
import { addressLines, countryLine, envelopeView, fitFontSize, FONT_STEPS } from '../../src/features/envelopes/layout.js';
import { addressProblem, dativeName, isUsable, resolveAddress, toAddressee, type OrganizationPart, type PersonPart } from '../../src/features/envelopes/recipient.js';
import { stencilSvg } from '../../src/features/envelopes/stencil.js';
import { ADDRESS } from './helpers.js';
import { registerFeatures } from '../../src/features/index.js';

// The features' dictionaries (the envelope's strings) join the core one at startup; this test starts no app.
registerFeatures();

const EMPTY = { addrIndex: '', addrCountry: '', addrRegion: '', addrDistrict: '', addrLocality: '', addrStreet: '', addrHouse: '', addrBuilding: '', addrOffice: '' };

function person(over: Partial<PersonPart> = {}): PersonPart {
  return { id: 1, surname: 'Иванов', firstName: 'Иван', patronymic: 'Петрович', gender: 'male', dativeOverride: '', organizationId: null, archivedAt: null, ...EMPTY, ...over };
}
function org(over: Partial<OrganizationPart> = {}): OrganizationPart {
  return { id: 7, name: 'ООО «Ромашка»', shortName: '', archivedAt: null, ...ADDRESS, ...over };
}

describe('index stencil', () => {
  // The segment table of FORMATS.md, written out again here so a slip in the code cannot hide.
  const TABLE: Record<string, string[]> = {
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
  // A box one unit (5 mm) wide and two tall, under a 7 mm bar; cells on a 9 mm pitch from x = 4 mm.
  const ENDPOINTS: Record<string, [number, number, number, number]> = {
    T: [0, 0, 1, 0], M: [0, 1, 1, 1], B: [0, 2, 1, 2], UL: [0, 0, 0, 1], LL: [0, 1, 0, 2],
    UR: [1, 0, 1, 1], LR: [1, 1, 1, 2], D1: [1, 0, 0, 1], D2: [1, 1, 0, 2],
  };

  /** The digits as drawn: each path's "M x y L x y" pieces, and the filled rectangles of the bars path. */
  function parse(svg: string) {
    const digits = [...svg.matchAll(/<path class="digit" data-digit="(\d)" data-segs="([A-Z0-9 ]+)" d="([^"]+)"\/>/g)].map((m) => ({
      digit: m[1],
      segs: m[2].split(' '),
      lines: [...m[3].matchAll(/M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)/g)].map((l) => l.slice(1).map(Number)),
    }));
    const barsPath = /<path class="bars" d="([^"]+)" fill="#000"\/>/.exec(svg)![1];
    const rects = [...barsPath.matchAll(/M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-([\d.]+)z/g)].map((r) => r.slice(1, 5).map(Number));
    return { digits, rects };
  }

  for (const index of ['190000', '620014']) {
    it(`draws ${index} segment by segment, to scale`, () => {
      const svg = stencilSvg(index);
      expect(svg).toContain('viewBox="0 0 56 14" width="56mm" height="14mm"');
      expect(svg).toContain('stroke="#000"');
      expect(svg).not.toMatch(/red|yellow|green|#f00|#ff0|#0f0/i);
      const { digits, rects } = parse(svg);
      // The start mark, then a 7 × 2 mm bar over each of the six cells on a 9 mm pitch.
      expect(rects).toEqual([[0, 0, 2, 2], ...[0, 1, 2, 3, 4, 5].map((i) => [4 + i * 9, 0, 7, 2])]);
      expect(digits.map((c) => c.digit).join('')).toBe(index);
      digits.forEach((cell, i) => {
        const left = 4 + i * 9 + 1;
        expect([...cell.segs].sort(), `digit ${cell.digit} in cell ${i}`).toEqual([...TABLE[cell.digit]].sort());
        const expected = TABLE[cell.digit].map((seg) => {
          const [x1, y1, x2, y2] = ENDPOINTS[seg];
          return [left + x1 * 5, 4 + y1 * 5, left + x2 * 5, 4 + y2 * 5];
        });
        expect(cell.lines.map(String).sort(), `lines of digit ${cell.digit} in cell ${i}`).toEqual(expected.map(String).sort());
      });
    });
  }

  it('refuses anything but six digits', () => {
    for (const bad of ['12345', '1234567', '62OO14', '']) expect(() => stencilSvg(bad)).toThrow();
  });
});

describe('recipient name in the dative', () => {
  it('declines by the gender on the card', () => {
    expect(dativeName(person())).toBe('Иванову И. П.');
    expect(dativeName(person({ surname: 'Иванова', firstName: 'Анна', patronymic: 'Сергеевна', gender: 'female' }))).toBe('Ивановой А. С.');
    // The same surname declines differently for a man and a woman.
    expect(dativeName(person({ surname: 'Шевчук', firstName: 'Андрей', patronymic: 'Борисович', gender: 'male' }))).toBe('Шевчуку А. Б.');
    expect(dativeName(person({ surname: 'Шевчук', firstName: 'Анна', patronymic: 'Борисовна', gender: 'female' }))).toBe('Шевчук А. Б.');
  });

  it('guesses the gender from the names when the card does not say', () => {
    expect(dativeName(person({ surname: 'Иванова', firstName: 'Анна', patronymic: 'Сергеевна', gender: 'unspecified' }))).toBe('Ивановой А. С.');
    expect(dativeName(person({ surname: 'Петров', firstName: '', patronymic: '', gender: 'unspecified' }))).toBe('Петрову');
    expect(dativeName(person({ surname: 'Салтыкова-Щедрина', firstName: 'Анна-Мария', patronymic: '', gender: 'female' }))).toBe('Салтыковой-Щедриной А.-М.');
  });

  it('takes the override from the card when it is filled in', () => {
    expect(dativeName(person({ surname: 'Дурново', dativeOverride: 'Дурново П. Н.' }))).toBe('Дурново П. Н.');
    expect(dativeName(person({ dativeOverride: '   ' }))).toBe('Иванову И. П.');
  });
});

describe('addresses', () => {
  it('are usable with a six-digit index and a street or a locality', () => {
    expect(isUsable(ADDRESS)).toBe(true);
    expect(isUsable({ ...ADDRESS, addrStreet: '' })).toBe(true);
    expect(addressProblem(EMPTY)).toBe('noAddress');
    expect(addressProblem({ ...ADDRESS, addrIndex: '' })).toBe('noIndex');
    expect(addressProblem({ ...ADDRESS, addrIndex: '62001' })).toBe('badIndex');
    expect(addressProblem({ ...ADDRESS, addrIndex: '62OO14' })).toBe('badIndex');
    expect(addressProblem({ ...ADDRESS, addrIndex: '6200145' })).toBe('badIndex');
    expect(addressProblem({ ...ADDRESS, addrStreet: '', addrLocality: '' })).toBe('noStreetOrLocality');
    // Abroad the postal code is the country's business.
    expect(addressProblem({ ...EMPTY, addrCountry: 'Германия', addrIndex: '10115', addrLocality: 'Berlin' })).toBeNull();
    expect(addressProblem({ ...EMPTY, addrCountry: 'Россия', addrIndex: '10115', addrLocality: 'Москва' })).toBe('badIndex');
  });

  it('fall back from the person to the organization', () => {
    const own = { ...ADDRESS, addrIndex: '101000', addrLocality: 'Москва', addrStreet: 'ул. Тверская' };
    expect(resolveAddress(own, org())).toMatchObject({ source: 'person', address: { addrIndex: '101000' } });
    expect(resolveAddress(EMPTY, org())).toMatchObject({ source: 'organization', address: { addrIndex: '620014' } });
    // A half-filled own address does not hide a complete one of the organization.
    expect(resolveAddress({ ...EMPTY, addrIndex: '101000' }, org())).toMatchObject({ source: 'organization' });
    expect(resolveAddress({ ...EMPTY, addrIndex: '1010' }, org({ ...EMPTY }))).toEqual({ problem: 'badIndex' });
    expect(resolveAddress(EMPTY, null)).toEqual({ problem: 'noAddress' });
  });

  it('name the organization and, for its person, the person in the dative', () => {
    const a = toAddressee({ person: person({ organizationId: 7 }), personOrganization: org(), organization: null });
    expect(a).toMatchObject({ kind: 'person', nameLines: ['ООО «Ромашка»', 'Иванову И. П.'], addressSource: 'organization', problem: null });
    const o = toAddressee({ person: null, personOrganization: null, organization: org() });
    expect(o).toMatchObject({ kind: 'organization', nameLines: ['ООО «Ромашка»'], problem: null });
    const archived = toAddressee({ person: person({ ...ADDRESS, archivedAt: new Date() }), personOrganization: null, organization: null });
    expect(archived.problem).toBe('archived');
  });

  it('are laid out in Russian Post order, the country only abroad and in Latin capitals', () => {
    expect(addressLines({ ...ADDRESS, addrDistrict: 'Ленинский район', addrBuilding: '2' })).toEqual([
      'ул. Малышева, д. 5, корп. 2, оф. 12',
      'Екатеринбург',
      'Ленинский район',
      'Свердловская область',
    ]);
    expect(addressLines(ADDRESS, 'flat')[0]).toBe('ул. Малышева, д. 5, кв. 12');
    expect(addressLines({ ...ADDRESS, addrHouse: 'дом 5', addrCountry: 'Россия' })[0]).toBe('ул. Малышева, дом 5, оф. 12');
    expect(addressLines({ ...EMPTY, addrCountry: 'Германия', addrLocality: 'Berlin', addrStreet: 'Unter den Linden 1', addrIndex: '10117' })).toEqual([
      'Unter den Linden 1',
      'Berlin',
      'GERMANY',
    ]);
    expect(countryLine('Казахстан')).toBe('KAZAKHSTAN');
    expect(countryLine('Narnia')).toBe('NARNIA');
  });
});

describe('envelope formats', () => {
  const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

  it('keep every block on the envelope and clear of the others, the stamp area free', () => {
    expect(ENVELOPE_FORMAT_LIST.map((f) => [f.label, f.width, f.height])).toEqual([
      ['DL', 220, 110], ['C6', 162, 114], ['C6/C5', 229, 114], ['C5', 229, 162], ['C4', 324, 229],
    ]);
    for (const f of ENVELOPE_FORMAT_LIST) {
      const boxes = { sender: f.sender, stamp: f.stamp, recipient: f.recipient, stencil: f.stencil };
      for (const [name, b] of Object.entries(boxes)) {
        expect(b.x >= 0 && b.y >= 0 && b.x + b.w <= f.width && b.y + b.h <= f.height, `${f.id} ${name} on the envelope`).toBe(true);
      }
      const names = Object.keys(boxes) as (keyof typeof boxes)[];
      for (let i = 0; i < names.length; i++) {
        for (let j = i + 1; j < names.length; j++) expect(overlaps(boxes[names[i]], boxes[names[j]]), `${f.id}: ${names[i]} × ${names[j]}`).toBe(false);
      }
      expect(f.stamp).toMatchObject({ w: 40, h: 25 });
      expect(f.stamp.x + f.stamp.w).toBeGreaterThan(f.width - 10);
      // Sender top left, recipient bottom right, stencil bottom left.
      expect(f.recipient.x).toBeGreaterThan(f.sender.x);
      expect(f.recipient.y + f.recipient.h).toBeGreaterThan(f.height - 15);
      expect(f.stencil.x).toBeLessThan(f.recipient.x);
    }
  });

  it('set the page size once, in the generated CSS', () => {
    expect(envelopeCss(ENVELOPE_FORMATS.DL)).toContain('@page { size: 220mm 110mm; margin: 0; }');
    expect(envelopeCss(ENVELOPE_FORMATS.C4)).toContain('.envelope { width: 324mm; height: 229mm; }');
  });

  it('are parsed leniently and refused clearly', () => {
    expect(parseFormat('c6/c5').id).toBe('C6C5');
    expect(parseFormat('C6C5').id).toBe('C6C5');
    expect(parseFormat(' dl ').id).toBe('DL');
    expect(parseFormat(undefined, 'C5').id).toBe('C5');
    const err = (() => {
      try {
        parseFormat('B4');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownFormatError);
    expect(err).toMatchObject({ status: 422, params: { format: 'B4', formats: 'DL, C6, C6/C5, C5, C4' } });
  });
});

describe('fitting text', () => {
  it('steps the font down for long names and never past the smallest step', () => {
    const box = ENVELOPE_FORMATS.DL.recipient;
    const short = fitFontSize(['ООО «Ромашка»', 'Иванову И. П.', ...addressLines(ADDRESS), '620014'], box);
    const long = fitFontSize(['Н'.repeat(400), 'Иванову И. П.', ...addressLines(ADDRESS), '620014'], box);
    expect(short).toBe(14);
    expect(long).toBeLessThan(short);
    expect(long).toBeGreaterThanOrEqual(6);
    expect(fitFontSize(['Н'.repeat(5000)], box)).toBe(FONT_STEPS[FONT_STEPS.length - 1]);
    // A 400-character name on the smallest envelope still gets a readable step.
    const view = envelopeView(toAddressee({ person: null, personOrganization: null, organization: org({ name: 'Х'.repeat(400) }) }), ENVELOPE_FORMATS.C6.recipient);
    expect(view.recipient.fontSize).toBeGreaterThanOrEqual(6);
    expect(view.recipient.fontSize).toBeLessThanOrEqual(9);
    expect(view.stencil).toContain('data-index="620014"');
  });
});

describe('the short name', () => {
  it('replaces an organization name that cannot fit even at the smallest step', () => {
    const long = 'Научно-производственное объединение '.repeat(11).slice(0, 400);
    const member = { person: null, personOrganization: null, organization: org({ name: long, shortName: 'НПО «Кратко»' }) };
    const onLabel = labelView(toAddressee(member), LABEL_SHEETS['3475']);
    expect(onLabel.block.nameLines).toEqual(['НПО «Кратко»']);
    expect(onLabel.block.fontSize).toBeGreaterThan(6);
    // On an envelope the full name fits, so it stays.
    expect(envelopeView(toAddressee(member), ENVELOPE_FORMATS.DL.recipient).recipient.nameLines).toEqual([long]);
    // Without a short name the label keeps the full name at the smallest step (the CSS clips the name, not the address).
    const without = labelView(toAddressee({ ...member, organization: org({ name: long }) }), LABEL_SHEETS['3475']);
    expect(without.block).toMatchObject({ nameLines: [long], fontSize: 6 });
  });
});

describe('label sheets', () => {
  it('fill A4 exactly', () => {
    for (const s of Object.values(LABEL_SHEETS)) {
      const css = labelsCss(s);
      const pad = /padding: ([\d.]+)mm ([\d.]+)mm ([\d.]+)mm ([\d.]+)mm/.exec(css)!.slice(1).map(Number);
      expect(pad[0] + s.rows * s.labelH + pad[2], `${s.id} height`).toBeCloseTo(297, 5);
      expect(pad[3] + s.cols * s.labelW + (s.cols - 1) * s.colGap + pad[1], `${s.id} width`).toBeCloseTo(210, 5);
      expect(css).toContain('@page { size: 210mm 297mm; margin: 0; }');
    }
    expect([LABEL_SHEETS.L7160.cols, LABEL_SHEETS.L7160.rows, LABEL_SHEETS.L7163.cols, LABEL_SHEETS.L7163.rows, LABEL_SHEETS['3475'].cols, LABEL_SHEETS['3475'].rows]).toEqual([3, 7, 2, 7, 3, 8]);
  });

  it('start at the chosen label of a part-used sheet', () => {
    const sheets = paginateLabels([...'abcdefghijklmnopqrst'], LABEL_SHEETS.L7160, 5);
    expect(sheets.map((s) => s.length)).toEqual([21, 3]);
    expect(sheets[0].slice(0, 5)).toEqual([null, null, null, null, 'a']);
    expect(sheets[1]).toEqual(['r', 's', 't']);
    expect(parseStart('21', LABEL_SHEETS.L7160)).toBe(21);
    for (const bad of ['0', '22', 'abc', '-1', '1.5']) expect(() => parseStart(bad, LABEL_SHEETS.L7160), bad).toThrow();
    expect(parseStart('24', LABEL_SHEETS['3475'])).toBe(24);
    expect(parseSheet('l7163').id).toBe('L7163');
    expect(() => parseSheet('L9999')).toThrow();
  });
});
