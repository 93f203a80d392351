import { fragment } from 'xmlbuilder2';
import type { XMLBuilder, XMLWriterOptions } from 'xmlbuilder2/lib/interfaces.js';
import { xmlAttribute, xmlText } from '../../lib/exchange/format.js';

/**
 * The records of one kind (persons, organizations, …) of the XML export, written with reusable
 * xmlbuilder2 elements. Each element xmlbuilder2 creates is a DOM node, costly to make, and its
 * streaming writer (`createCB`) even builds a whole document for every `ele()` and `txt()`: that
 * was nearly all of the export's time. Here a record's elements are made once and kept in pools
 * (records by position in a group of a hundred, children by name and repetition); each record
 * refills them (text, attribute values) and puts in place the children it has, touching the DOM
 * only where it differs from the record written there before; xmlbuilder2 then serializes the
 * group of records in one go.
 *
 * The elements have no namespace of their own: they are serialized as they are written inside the
 * document, whose root declares the default namespace that their unprefixed names belong to.
 */
export type XmlValue = string | number | null | undefined;
export type XmlAttributes = Record<string, XmlValue>;
/** The children a record may have, in the schema's order; `[name, children]` has children of its own. */
export type XmlLayout = readonly (string | readonly [string, XmlLayout])[];

/** The W3C DOM behind xmlbuilder2's builders (@oozcitak/dom), as far as it is used here. */
interface DomAttr {
  value: string;
}
interface DomElement {
  getAttributeNode(name: string): DomAttr | null;
}

/** A child element name of a part: its place in the layout, and its elements by repetition. */
interface Slot {
  order: number;
  children: XmlLayout | null;
  pool: Part[];
  /** How many of the pool this record uses so far. */
  taken: number;
}

const NO_ATTRIBUTES: XmlAttributes = {};
const present = (v: XmlValue): v is string | number => v !== null && v !== undefined && v !== '';

/** One pooled element: a record, an element with children (address), or a leaf with text. */
class Part {
  /** Its children in the record being written, in order; and those it has in the DOM now. */
  readonly wanted: Part[] = [];
  private attached: Part[] = [];
  private attributeNames: string[] = [];
  private attributeNodes: DomAttr[] = [];
  private readonly slots: Map<string, Slot> | null;
  private readonly text: XMLBuilder['node'] | null;

  constructor(
    readonly el: XMLBuilder,
    /** Place among its siblings: position of its name in the layout, then its repetition. */
    readonly rank: number,
    children: XmlLayout | null,
  ) {
    this.slots = children && new Map(children.map((c, order): [string, Slot] => (typeof c === 'string' ? [c, { order, children: null, pool: [], taken: 0 }] : [c[0], { order, children: c[1], pool: [], taken: 0 }])));
    // A leaf's one text node, its value set for each record.
    this.text = children ? null : el.txt('-').node.firstChild;
  }

  /** Starts this element over for the next record. */
  reset() {
    this.wanted.length = 0;
    if (this.slots) for (const slot of this.slots.values()) slot.taken = 0;
  }

  setText(value: string) {
    if (this.text!.nodeValue !== value) this.text!.nodeValue = value;
  }

  /** Sets the attributes that have a value, in the given order; the others are removed. */
  setAttributes(list: XmlAttributes) {
    let i = 0;
    let same = true;
    for (const name in list) {
      if (!present(list[name])) continue;
      if (this.attributeNames[i++] !== name) same = false;
    }
    if (same && i === this.attributeNames.length) {
      // The same attributes as the record before: only their values change.
      i = 0;
      for (const name in list) {
        const v = list[name];
        if (!present(v)) continue;
        const value = xmlAttribute(String(v));
        const attr = this.attributeNodes[i++];
        if (attr.value !== value) attr.value = value;
      }
      return;
    }
    for (const name of this.attributeNames) this.el.removeAtt(name);
    const names = Object.keys(list).filter((name) => present(list[name]));
    for (const name of names) this.el.att(name, xmlAttribute(String(list[name])));
    const node = this.el.node as unknown as DomElement;
    this.attributeNames = names;
    this.attributeNodes = names.map((name) => node.getAttributeNode(name)!);
  }

  /** The next child of this name in this record: the same element as in the record before. */
  take(make: (name: string) => XMLBuilder, name: string): Part {
    const slot = this.slots?.get(name);
    if (!slot) throw new Error(`<${name}> is not in the layout of its record`);
    const i = slot.taken++;
    const part = (slot.pool[i] ??= new Part(make(name), slot.order * 65536 + i, slot.children));
    const last = this.wanted[this.wanted.length - 1];
    if (last && last.rank >= part.rank) throw new Error(`<${name}> is written out of the schema's order`);
    return part;
  }

  /** Puts the wanted children into the DOM, moving only what differs from what is there. */
  sync() {
    const now = this.attached;
    const want = this.wanted;
    let same = now.length === want.length;
    for (let i = 0; same && i < want.length; i++) same = now[i] === want[i];
    if (!same) {
      const parent = this.el.node;
      let j = 0;
      for (const p of want) {
        while (j < now.length && now[j].rank < p.rank) parent.removeChild(now[j++].el.node);
        if (now[j] === p) j++;
        else parent.insertBefore(p.el.node, j < now.length ? now[j].el.node : null);
      }
      while (j < now.length) parent.removeChild(now[j++].el.node);
      this.attached = want.slice();
    }
    for (const p of want) if (p.slots) p.sync();
  }
}

/** Records serialized together: the pool holds this many, so it stays small (a person's is ~25 kB). */
const GROUP_SIZE = 100;

export class XmlRecords {
  /** Holds the records being written, in order, for xmlbuilder2 to serialize together. */
  private readonly group = fragment();
  /** The record elements, the first `count` of them in use now, `attachedCount` in the DOM. */
  private readonly records: Part[] = [];
  private count = 0;
  private attachedCount = 0;
  /** The record being written and its open elements. */
  private readonly open: Part[] = [];
  /** Serialized groups of records not yet handed over. */
  private written = '';
  private readonly options: XMLWriterOptions;
  /** A new element of the records' document, in no place yet. */
  private readonly make = (name: string) => {
    const el = this.group.ele(name);
    el.remove();
    return el;
  };

  /** `depth`: how many elements enclose a record in the document, for the indentation. */
  constructor(
    private readonly name: string,
    private readonly layout: XmlLayout,
    depth: number,
  ) {
    this.options = { format: 'xml', prettyPrint: true, indent: '  ', offset: depth };
  }

  /** Begins the next record with its attributes (those without a value are left out). */
  start(attributes: XmlAttributes = {}): this {
    if (this.open.length > 1) throw new Error('an element of the record before is still open');
    if (this.count === GROUP_SIZE) this.serialize();
    const record = (this.records[this.count] ??= new Part(this.make(this.name), this.count, this.layout));
    this.count++;
    record.reset();
    record.setAttributes(attributes);
    this.open.length = 0;
    this.open.push(record);
    return this;
  }

  /** A child element with text, left out when empty (the importer reads a missing one as empty). */
  leaf(name: string, value: XmlValue, attributes?: XmlAttributes): this {
    if (!present(value)) return this;
    const parent = this.open[this.open.length - 1];
    const part = parent.take(this.make, name);
    part.setText(xmlText(String(value)));
    part.setAttributes(attributes ?? NO_ATTRIBUTES);
    parent.wanted.push(part);
    return this;
  }

  /** A child element with children of its own, up to `up()`; left out when it gets none. */
  ele(name: string): this {
    const part = this.open[this.open.length - 1].take(this.make, name);
    part.reset();
    this.open.push(part);
    return this;
  }

  up(): this {
    const part = this.open.pop()!;
    if (part.wanted.length) this.open[this.open.length - 1].wanted.push(part);
    return this;
  }

  /** Roughly how much text the records written since the last end() make: serialized a group at a time. */
  get length(): number {
    return this.written.length;
  }

  /** The records written since the last call, as xmlbuilder2 writes them at their depth, each on a line of its own. */
  end(): string {
    if (this.open.length > 1) throw new Error('an element of the last record is still open');
    this.serialize();
    const text = this.written;
    this.written = '';
    return text;
  }

  private serialize() {
    const n = this.count;
    this.count = 0;
    this.open.length = 0;
    if (!n) return;
    const group = this.group.node;
    for (let i = this.attachedCount; i < n; i++) group.appendChild(this.records[i].el.node);
    for (let i = n; i < this.attachedCount; i++) group.removeChild(this.records[i].el.node);
    this.attachedCount = n;
    for (let i = 0; i < n; i++) this.records[i].sync();
    this.written += '\n' + this.group.toString(this.options);
  }
}
