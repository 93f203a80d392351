import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PDFDocument } from '@cantoo/pdf-lib';
import type { Db } from '../../src/db/client.js';
import { groupMemberships, mailingGroups } from '../../src/db/schema/groups.js';

let seq = 0;

/** A group with the given members, written straight to the tables (the groups feature is not needed). */
export async function makeGroup(db: Db, members: { personId?: number; organizationId?: number; removed?: boolean }[], name = `Группа ${Date.now().toString(36)}${++seq}`) {
  const [group] = await db.insert(mailingGroups).values({ name, sortKey: name.toLowerCase() }).returning();
  if (members.length) {
    await db.insert(groupMemberships).values(
      members.map((m) => ({ groupId: group.id, personId: m.personId ?? null, organizationId: m.organizationId ?? null, removedAt: m.removed ? new Date() : null })),
    );
  }
  return group;
}

export const MM_PER_PT = 25.4 / 72;

/** Page sizes in millimetres, from the PDF's own page boxes. */
export async function pageSizesMm(pdf: Buffer | Uint8Array): Promise<{ w: number; h: number }[]> {
  const doc = await PDFDocument.load(pdf);
  return doc.getPages().map((p) => ({ w: p.getWidth() * MM_PER_PT, h: p.getHeight() * MM_PER_PT }));
}

/** The text of one page (1-based) or all, through poppler's pdftotext; `layout` keeps captions beside their values. */
export function pdfText(pdf: Buffer | Uint8Array, page?: number, opts: { layout?: boolean } = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'env-'));
  try {
    const file = path.join(dir, 'in.pdf');
    writeFileSync(file, pdf);
    const args = [...(page ? ['-f', String(page), '-l', String(page)] : []), ...(opts.layout ? ['-layout'] : [])];
    return execFileSync('pdftotext', [...args, '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const ADDRESS = {
  addrIndex: '620014', addrCountry: '', addrRegion: 'Свердловская область', addrDistrict: '', addrLocality: 'Екатеринбург',
  addrStreet: 'ул. Малышева', addrHouse: '5', addrBuilding: '', addrOffice: '12',
};
