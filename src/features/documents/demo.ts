import { asc, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { Direction } from '../../db/schema/documents.js';
import { persons } from '../../db/schema/persons.js';
import type { User } from '../../db/schema/users.js';
import { makePdf } from './demo-pdf.js';
import { asciiFileName, uploadedFile } from './files.js';
import { registerDocument } from './service.js';

/** The demo's seeded random source (see features/demo/seed.ts). */
export interface DemoRandom {
  int(min: number, max: number): number;
  pick<T>(a: readonly T[]): T;
  chance(p: number): boolean;
}

const INCOMING = [
  'Запрос коммерческого предложения',
  'Счёт на оплату',
  'Акт сверки взаимных расчётов',
  'Претензия по качеству поставленной продукции',
  'Письмо о смене банковских реквизитов',
  'Приглашение к участию в тендере',
  'Уведомление о повышении цен',
  'Гарантийное письмо',
  'Рекламация',
  'Запрос документов для проверки контрагента',
  'Предложение о сотрудничестве',
  'Уведомление о задержке поставки',
  'Подписанный договор поставки',
  'Благодарственное письмо',
  'Ответ на запрос о сроках поставки',
];

const OUTGOING = [
  'Коммерческое предложение',
  'Ответ на претензию',
  'Договор поставки на подпись',
  'Дополнительное соглашение к договору',
  'Акт выполненных работ',
  'Уведомление об отгрузке',
  'Запрос о сроках оплаты',
  'Письмо о погашении задолженности',
  'Поздравление с юбилеем компании',
  'Информационное письмо о новом прайс-листе',
  'Запрос на предоставление скидки',
  'Протокол разногласий',
];

const SUMMARIES = [
  'Просят подтвердить сроки и условия поставки до конца месяца.',
  'Требуется согласование с юридическим отделом.',
  'Сумма по счёту — согласно спецификации № 2.',
  'Ответ необходимо направить в течение десяти рабочих дней.',
  'Передано в отдел продаж для исполнения.',
  '',
  '',
];

/**
 * A few hundred registered documents across the demo's persons and organizations, both
 * directions, over the last two years: registered in date order, so numbers follow the dates.
 */
export async function seedCorrespondence(db: Db, actor: User, r: DemoRandom, opts: { documents?: number } = {}): Promise<number> {
  const people = await db.select({ id: persons.id, organizationId: persons.organizationId }).from(persons).where(isNull(persons.archivedAt)).orderBy(asc(persons.id));
  if (people.length === 0) return 0;
  const total = opts.documents ?? 320;
  const today = new Date();
  const plans = Array.from({ length: total }, () => {
    const p = r.pick(people);
    const direction: Direction = r.chance(0.6) ? 'incoming' : 'outgoing';
    const daysAgo = r.int(0, 720);
    const day = new Date(Date.UTC(today.getFullYear(), today.getMonth(), today.getDate() - daysAgo));
    // Some letters are addressed to the organization as a whole, without a person.
    const toOrgOnly = p.organizationId !== null && r.chance(0.3);
    return { p, direction, regDate: day.toISOString().slice(0, 10), toOrgOnly };
  }).sort((a, b) => (a.regDate < b.regDate ? -1 : a.regDate > b.regDate ? 1 : 0));

  for (const plan of plans) {
    const subject = r.pick(plan.direction === 'incoming' ? INCOMING : OUTGOING);
    const sent = new Date(`${plan.regDate}T00:00:00Z`);
    sent.setUTCDate(sent.getUTCDate() - r.int(1, 7));
    const incoming = plan.direction === 'incoming';
    // Some letters come with a scan: a small generated PDF (Latin text, see demo-pdf.ts).
    const files = r.chance(0.3) ? [uploadedFile(`${subject}.pdf`, makePdf([asciiFileName(subject), `Date: ${plan.regDate}`]))] : [];
    await registerDocument(
      db,
      actor,
      {
        direction: plan.direction,
        regDate: plan.regDate,
        senderNumber: incoming || r.chance(0.3) ? `${r.int(1, 99)}/${r.int(100, 999)}${r.chance(0.3) ? '-к' : ''}` : '',
        senderDate: incoming ? sent.toISOString().slice(0, 10) : null,
        subject,
        summary: r.pick(SUMMARIES),
        note: r.chance(0.08) ? 'Оригинал передан в бухгалтерию.' : '',
        organizationId: plan.p.organizationId,
        personId: plan.toOrgOnly ? null : plan.p.id,
      },
      files,
    );
  }
  return total;
}
