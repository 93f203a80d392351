import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { fragment } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { XmlRecords, type XmlLayout } from '../../src/features/export/xml-record.js';
import { xmlAttribute, xmlText } from '../../src/lib/exchange/format.js';

// XmlRecords reuses its elements from record to record; whatever the records before, each must
// come out exactly as xmlbuilder2 writes a record built afresh.
const LAYOUT: XmlLayout = ['name', 'title', ['address', ['index', 'city', 'street']], 'phone', 'email', 'note'];

interface Rec {
  attrs: Record<string, string | undefined>;
  name?: string;
  title?: string;
  address: { index?: string; city?: string; street?: string };
  phones: { kind: string; number: string }[];
  emails: string[];
  note?: string;
}

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

function records(n: number): Rec[] {
  const rnd = random(42);
  const maybe = (s: string, p = 0.5) => (rnd() < p ? s : undefined);
  const texts = ['Иванов', 'a & b', '&lt;b&gt;', '<x> "q"', ' ', 'строка\nвторая', 'x'.repeat(50), 'line1\r\nline2\rline3', '\tтаб\t', '&#13; &#xD; \r'];
  const text = () => texts[Math.floor(rnd() * texts.length)];
  return Array.from({ length: n }, (_, i) => ({
    // The attributes change in number and presence, not only in value.
    attrs: { id: `r${i}`, organization: maybe(`o${i % 7}`), archived: maybe('2026-01-01T00:00:00.000Z', 0.2), label: maybe(text(), 0.3) },
    name: maybe(text(), 0.9),
    title: maybe(text(), 0.3),
    address: { index: maybe('101000', 0.4), city: maybe(text(), 0.4), street: maybe(text(), 0.2) },
    phones: Array.from({ length: Math.floor(rnd() * 4) }, (_, j) => ({ kind: j % 2 ? 'mobile' : 'work', number: `+7 ${i}-${j}` })),
    emails: Array.from({ length: Math.floor(rnd() * 3) }, (_, j) => `u${i}.${j}@example.com`),
    note: maybe(text(), 0.3),
  }));
}

// What the writer must hand xmlbuilder2, which escapes "<", ">" and '"' but no "&" before "lt;" or
// "#13;", nor any white space: "&" and "\r" as references in text, tab and newline in attributes too.
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/\r/g, '&#13;');
const escAttr = (s: string) => esc(s).replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');

/** The same record through xmlbuilder2's ordinary builder, a new element for everything. */
function fresh(r: Rec): string {
  const el = fragment().ele('rec');
  for (const [k, v] of Object.entries(r.attrs)) if (v) el.att(k, escAttr(v));
  const leaf = (parent: XMLBuilder, name: string, v: string | undefined, attrs?: Record<string, string>) => {
    if (v) parent.ele(name, attrs).txt(esc(v));
  };
  leaf(el, 'name', r.name);
  leaf(el, 'title', r.title);
  if (r.address.index || r.address.city || r.address.street) {
    const a = el.ele('address');
    leaf(a, 'index', r.address.index);
    leaf(a, 'city', r.address.city);
    leaf(a, 'street', r.address.street);
  }
  for (const p of r.phones) leaf(el, 'phone', p.number, { kind: p.kind });
  for (const e of r.emails) leaf(el, 'email', e);
  leaf(el, 'note', r.note);
  return '\n' + el.toString({ prettyPrint: true, indent: '  ', offset: 2 });
}

function write(out: XmlRecords, r: Rec) {
  out.start(r.attrs).leaf('name', r.name).leaf('title', r.title);
  out.ele('address').leaf('index', r.address.index).leaf('city', r.address.city).leaf('street', r.address.street).up();
  for (const p of r.phones) out.leaf('phone', p.number, { kind: p.kind });
  for (const e of r.emails) out.leaf('email', e);
  out.leaf('note', r.note);
}

/** A record as a parser reads it back: its attributes, and each leaf's path, attributes and text. */
type Read = { attrs: Record<string, string>; leaves: [string, Record<string, string>, string][] };

function expected(r: Rec): Read {
  const leaves: Read['leaves'] = [];
  const leaf = (path: string, v: string | undefined, attrs: Record<string, string> = {}) => void (v && leaves.push([path, attrs, v]));
  leaf('name', r.name);
  leaf('title', r.title);
  leaf('address/index', r.address.index);
  leaf('address/city', r.address.city);
  leaf('address/street', r.address.street);
  for (const p of r.phones) leaf('phone', p.number, { kind: p.kind });
  for (const e of r.emails) leaf('email', e);
  leaf('note', r.note);
  return { attrs: Object.fromEntries(Object.entries(r.attrs).filter((e): e is [string, string] => Boolean(e[1]))), leaves };
}

function readBack(xml: string): Read[] {
  const parser = new SaxesParser();
  const out: Read[] = [];
  const open: { name: string; attrs: Record<string, string>; text: string; leaf: boolean }[] = [];
  parser.on('opentag', (tag) => {
    if (open.length) open[open.length - 1].leaf = false;
    open.push({ name: tag.name, attrs: tag.attributes as Record<string, string>, text: '', leaf: true });
    if (open.length === 2) out.push({ attrs: { ...(tag.attributes as Record<string, string>) }, leaves: [] });
  });
  parser.on('text', (t) => void (open.length && (open[open.length - 1].text += t)));
  parser.on('closetag', () => {
    const el = open.pop()!;
    if (open.length >= 2 && el.leaf) out[out.length - 1].leaves.push([[...open.slice(2).map((o) => o.name), el.name].join('/'), el.attrs, el.text]);
  });
  parser.write(`<records>${xml}</records>`).close();
  return out;
}

describe('XmlRecords', () => {
  it('writes every record as xmlbuilder2 writes it afresh, whatever came before', () => {
    const list = records(450);
    const out = new XmlRecords('rec', LAYOUT, 2);
    let text = '';
    // Hand-overs of uneven size, some larger than the groups of a hundred serialized together.
    for (const size of [1, 7, 130, 0, 99, 213]) {
      for (const r of list.splice(0, size)) write(out, r);
      text += out.end();
    }
    expect(list).toEqual([]);
    expect(text).toBe(records(450).map(fresh).join(''));
    expect(text).toContain('<name>a &amp; b</name>');
    expect(text).toContain('<name>&amp;lt;b&amp;gt;</name>');
    expect(text).toContain('line1&#13;\nline2&#13;line3');
    expect(text).toMatch(/label="&#9;таб&#9;"/);
    expect(text).not.toMatch(/\r|<[^>]*[\t\n][^>]*>/);
  });

  it('gives a parser back exactly the strings written, line breaks and tabs included', () => {
    const list = records(450);
    const out = new XmlRecords('rec', LAYOUT, 2);
    list.forEach((r) => write(out, r));
    expect(readBack(out.end())).toEqual(list.map(expected));
  });

  it('escapes in one pass what must be escaped, and drops what XML cannot carry', () => {
    const s = 'a\u0001b\ud800c😀 &amp; &\r\n\t\uffff<"';
    expect(xmlText(s)).toBe('abc😀 &amp;amp; &amp;&#13;\n\t<"');
    expect(xmlAttribute(s)).toBe('abc😀 &amp;amp; &amp;&#13;&#10;&#9;<"');
    expect(xmlText('Иванов\nстрока\t<b>')).toBe('Иванов\nстрока\t<b>');
  });

  it('hands over nothing when no record was written', () => {
    expect(new XmlRecords('rec', LAYOUT, 2).end()).toBe('');
  });

  it('refuses an element the layout does not have, or one out of its order', () => {
    const out = new XmlRecords('rec', LAYOUT, 2);
    expect(() => out.start({ id: 'r1' }).leaf('colour', 'red')).toThrow(/not in the layout/);
    expect(() => out.start({ id: 'r2' }).leaf('note', 'n').leaf('name', 'x')).toThrow(/out of the schema's order/);
  });
});
