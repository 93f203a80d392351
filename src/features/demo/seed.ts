import { count, eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/client.js';
import { persons } from '../../db/schema/persons.js';
import { activities, categories, regions } from '../../db/schema/references.js';
import { users, type Role, type User } from '../../db/schema/users.js';
import { hashPassword } from '../../lib/passwords.js';
import { normalizeKey } from '../../lib/text.js';
import { innWithChecksum } from '../organizations/model.js';
import { createOrganization } from '../organizations/service.js';
import { createPerson } from '../persons/service.js';
import { seedDemoDuplicates } from './duplicates.js';
import { ensureRegions } from '../references/service.js';
import { seedCorrespondence } from '../documents/demo.js';
import { ACTIVITIES, ACTIVITY_OF_STEM, CATEGORIES, CITIES, DEFAULT_ACTIVITY, PUBLIC_ACTIVITIES, FEMALE_NAMES, JOB_TITLES, MALE_NAMES, MALE_SURNAMES, ORG_FORMS, ORG_STEMS, PATRONYMIC_BASES, translit } from './data.js';
import { EMPTY_PERSON } from '../persons/model.js';

/** A small deterministic generator, so every demo directory is the same. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)],
    chance: (p: number) => next() < p,
  };
}

function femaleSurname(s: string): string {
  if (/(ов|ев|ёв|ин|ын)$/.test(s)) return `${s}а`;
  if (s.endsWith('ий')) return `${s.slice(0, -2)}ая`;
  return s;
}

export const DEMO_ACCOUNTS: { login: string; name: string; role: Role }[] = [
  { login: 'admin', name: 'Администратор Системы', role: 'admin' },
  { login: 'secretary', name: 'Соколова Мария Игоревна', role: 'secretary' },
  { login: 'employee', name: 'Ершов Павел Андреевич', role: 'employee' },
];

/** The demo accounts, created or reset to the demo password. */
export async function ensureDemoAccounts(db: Db, password: string): Promise<User[]> {
  const hash = await hashPassword(password);
  const out: User[] = [];
  for (const a of DEMO_ACCOUNTS) {
    const [row] = await db
      .insert(users)
      .values({ login: a.login, name: a.name, role: a.role, passwordHash: hash })
      .onConflictDoNothing()
      .returning();
    if (row) out.push(row);
    else {
      const [existing] = await db.select().from(users).where(eq(users.login, a.login));
      const [updated] = await db.update(users).set({ passwordHash: hash, active: true, role: a.role }).where(eq(users.id, existing.id)).returning();
      out.push(updated);
    }
  }
  return out;
}

/**
 * Loads the demo directory into an empty database: reference lists, organizations with
 * addresses, and their people. Does nothing when persons already exist.
 */
export async function seedDemo(db: Db, opts: { persons?: number; log?: FastifyBaseLogger } = {}): Promise<{ organizations: number; persons: number } | null> {
  const [{ n }] = await db.select({ n: count() }).from(persons);
  if (Number(n) > 0) return null;
  await ensureRegions(db);
  const [actor] = await db.select().from(users).where(eq(users.login, 'secretary'));
  const r = rng(20261126);

  for (const [table, names] of [
    [activities, ACTIVITIES],
    [categories, CATEGORIES],
  ] as const) {
    for (const name of names) await db.insert(table).values({ name, sortKey: normalizeKey(name) }).onConflictDoNothing();
  }
  const regionRows = await db.select().from(regions);
  const regionId = new Map(regionRows.map((x) => [x.name, x.id]));

  const orgs: { id: number; domain: string; city: (typeof CITIES)[number] }[] = [];
  const activityId = new Map((await db.select().from(activities)).map((x) => [x.name, x.id]));
  const categoryId = new Map((await db.select().from(categories)).map((x) => [x.name, x.id]));
  const commercialCategories = CATEGORIES.filter((c) => c !== 'Государственный орган');
  for (const [si, stem] of ORG_STEMS.entries()) {
    // Cities in turn (each region gets several organizations); the activity from the name; public
    // bodies are ГБУ/ФГУП in the "Государственный орган" category, companies never are.
    const city = CITIES[si % CITIES.length];
    const activity = ACTIVITY_OF_STEM.find(([re]) => re.test(stem))?.[1] ?? DEFAULT_ACTIVITY;
    const isPublic = PUBLIC_ACTIVITIES.includes(activity);
    const form = isPublic ? r.pick(['ГБУ', 'ФГУП']) : r.pick(ORG_FORMS.filter((f) => f !== 'ГБУ' && f !== 'ФГУП' && (f !== 'ИП' || activity === 'Розничная торговля' || activity === 'Оптовая торговля')));
    const category = isPublic ? 'Государственный орган' : r.pick(commercialCategories);
    const name = form === 'ИП' ? `ИП ${r.pick(MALE_SURNAMES)} ${r.pick(MALE_NAMES)[0]}. ${r.pick(MALE_NAMES)[0]}.` : `${form} «${stem}»`;
    // Whole words only ("sibirskiy-standart.ru", never a word cut short), as a firm would choose.
    const words = stem.split(/[\s-]+/).map(translit).filter(Boolean);
    const domain = `${words.reduce((d, w) => (!d ? w : d.length + 1 + w.length <= 24 ? `${d}-${w}` : d), '') || 'firma'}.ru`;
    const org = await createOrganization(db, actor, {
      name,
      shortName: form === 'ИП' ? '' : stem,
      // A valid INN of the city's tax office code, one per organization (not from the random
      // sequence: the rest of the demo stays as it was).
      inn: form === 'ИП' ? innWithChecksum(`${7700 + (si % 99)}${String(100000 + si).slice(-6)}`) : innWithChecksum(`${7700 + (si % 99)}${String(10000 + si).slice(-5)}`),
      regionId: regionId.get(city.region) ?? null,
      activityId: r.chance(0.93) ? (activityId.get(activity) ?? null) : null,
      categoryId: r.chance(0.9) ? (categoryId.get(category) ?? null) : null,
      addrIndex: r.chance(0.93) ? String(Number(city.index) + r.int(0, 9)).padStart(6, '0') : '',
      addrCountry: 'Россия',
      addrRegion: city.region === city.city ? '' : city.region,
      addrDistrict: '',
      addrLocality: city.city,
      addrStreet: r.pick(city.streets),
      addrHouse: String(r.int(1, 120)),
      addrBuilding: r.chance(0.2) ? String(r.int(1, 5)) : '',
      addrOffice: r.chance(0.6) ? String(r.int(1, 450)) : '',
      phones: `+7 (${r.int(300, 499)}) ${r.int(100, 999)}-${r.int(10, 99)}-${r.int(10, 99)}`,
      email: `info@${domain}`,
      website: `www.${domain}`,
      note: r.chance(0.2) ? 'Работаем по предоплате. Договор продлевается ежегодно.' : '',
    });
    orgs.push({ id: org.id, domain, city });
  }

  const total = opts.persons ?? 240;
  for (let i = 0; i < total; i++) {
    const female = r.chance(0.45);
    const base = r.pick(MALE_SURNAMES);
    const surname = female ? femaleSurname(base) : base;
    const firstName = female ? r.pick(FEMALE_NAMES) : r.pick(MALE_NAMES);
    // Patronymic from the father's-name stem: "Иванов" → Иванович / Ивановна.
    const patronymic = `${r.pick(PATRONYMIC_BASES)}${female ? 'на' : 'ич'}`;
    const org = i < total * 0.95 ? orgs[i % orgs.length] : null;
    const email = org ? `${translit(firstName)[0]}.${translit(surname)}@${org.domain}` : `${translit(surname)}${r.int(1, 99)}@mail.ru`;
    await createPerson(db, actor, {
      ...EMPTY_PERSON,
      surname,
      firstName,
      patronymic,
      influence: r.int(-5, 5) * (r.chance(0.4) ? 1 : 0),
      organizationId: org?.id ?? null,
      jobTitle: r.pick(JOB_TITLES),
      gender: female ? 'female' : 'male',
      note: r.chance(0.1) ? 'Предпочитает связь по электронной почте.' : '',
      addrIndex: '', addrCountry: '', addrRegion: '', addrDistrict: '', addrLocality: '', addrStreet: '', addrHouse: '', addrBuilding: '', addrOffice: '',
      phones: [
        { kind: 'work', number: `+7 (${r.int(300, 499)}) ${r.int(100, 999)}-${r.int(10, 99)}-${r.int(10, 99)}` },
        ...(r.chance(0.7) ? [{ kind: 'mobile' as const, number: `8 9${r.int(10, 99)} ${r.int(100, 999)}-${r.int(10, 99)}-${r.int(10, 99)}` }] : []),
      ],
      emails: r.chance(0.9) ? [email] : [],
    });
  }
  await seedCorrespondence(db, actor, r);
  await seedDemoDuplicates(db, actor);
  opts.log?.info({ organizations: orgs.length, persons: total }, 'demo directory loaded');
  return { organizations: orgs.length, persons: total };
}
