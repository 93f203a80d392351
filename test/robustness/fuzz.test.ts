import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeForm, PASSWORD, type Client, type TestApp, createTestApp } from '../helpers/app.js';
import type { RouteEntry } from '../../src/plugins/access.js';
import type { Role } from '../../src/db/schema/users.js';
import { SocketClient } from './socket-client.js';

/**
 * Route fuzz (issue 14): every registered route, as every role, gets generated hostile values in
 * each of its params, query fields and form fields (names taken from the route's own schemas),
 * and hostile bodies (wrong content types, multipart without boundary, malformed encodings).
 * No answer may be a 5xx or Fastify's raw JSON error, and the server must keep answering.
 * fast-check with a fixed seed and a bounded count: the same cases every run, well under a minute.
 * Run it alone: `npx vitest run test/robustness/fuzz.test.ts` (FUZZ_RUNS=n for more cases per route).
 */
const SEED = 20261414;
const RUNS = Number(process.env.FUZZ_RUNS ?? 4);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const RAW_JSON = /"statusCode"\s*:|"code"\s*:\s*"FST_/;

/** Values that broke or could break a route: NUL, numbers out of range, odd Unicode, big strings, bad escapes. */
const hostile = fc.oneof(
  fc.constantFrom(
    '\u0000', 'a\u0000b', '\u0007\u001b[2J', '99999999999', '2147483648', '2147483647', '-1', '-2147483649', '0', '1e309', '-1e309', 'NaN', 'Infinity',
    '1.5', '0x10', ' 1', 'Ж', '/Ж', '//evil.example', '/\\evil', 'https://evil.example/', '%', '%zz', '%E0%A4%A', '%00', '\uD800', '🙂', '\u202Etxt.exe',
    'none', 'last', '', ' ', 'a'.repeat(10_240), 'Ж'.repeat(5_000), '../../etc/passwd', '<script>alert(1)</script>', "' or 1=1 --", 'W1tdXQ', 'eyJhIjoxfQ',
    '2026-02-30_1', '9999-99-99_99999999999',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.double().map(String),
);

/** As the value goes into a URL: encoded, or raw when it is a (malformed) escape sequence itself. */
function inUrl(v: string, raw: boolean): string {
  if (raw && /^[\x21-\x7e]*$/.test(v) && !/[?#&=/]/.test(v)) return v;
  try {
    return encodeURIComponent(v);
  } catch {
    return '%ED%A0%80'; // a lone surrogate, as a browser would encode it
  }
}

const namesOf = (schema: unknown): string[] => Object.keys((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});

interface Case {
  pick: number;
  target: 'param' | 'query' | 'body' | 'contentType';
  field: number;
  value: string;
  raw: boolean;
  contentType: number;
}

const HOSTILE_BODIES: [string, string][] = [
  ['text/plain', 'x'],
  ['application/json', '{"name":'],
  ['application/json', '{"_csrf":1,"name":{"a":[1]}}'],
  ['multipart/form-data', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n'],
  ['multipart/form-data; boundary=zzz', 'garbage without any boundary'],
  ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="file"; filename="a\u0000b.csv"\r\n\r\nФамилия\r\n--x--\r\n'],
  ['application/x-www-form-urlencoded', '%zz=%&a=%E0%A4%A&_csrf=%'],
  ['application/xml', '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'],
  ['', 'no content type at all'],
];

function request(route: RouteEntry, c: Client, k: Case) {
  const params = route.url.match(/:(\w+)|\*/g) ?? [];
  const queryNames = [...namesOf(route.schema.querystring), 'zz_unknown'];
  const bodyNames = [...namesOf(route.schema.body).filter((n) => n !== '_csrf'), 'zz_unknown'];
  // Only what the route can receive: params if it has any, the query, and for POST the body.
  const targets: Case['target'][] = [...(params.length ? ['param' as const] : []), 'query', ...(route.method === 'POST' ? ['body' as const, 'contentType' as const] : [])];
  // pick < 0: a fixed example that names its own target.
  if (k.pick >= 0) k = { ...k, target: targets[k.pick % targets.length] };
  let url = route.url;
  params.forEach((p, i) => {
    const value = k.target === 'param' && k.field % params.length === i ? inUrl(k.value, k.raw) : p === '*' ? 'app.css' : '1';
    url = url.replace(p, value);
  });
  if (k.target === 'query') url += `?${queryNames[k.field % queryNames.length]}=${inUrl(k.value, k.raw)}`;
  if (route.method === 'GET') return c.request({ method: 'GET', url });
  if (k.target === 'contentType') {
    const [type, payload] = HOSTILE_BODIES[k.contentType % HOSTILE_BODIES.length];
    const sep = url.includes('?') ? '&' : '?';
    return c.request({ method: route.method, url: `${url}${sep}_csrf=${encodeURIComponent(c.csrf)}`, payload, headers: type ? { 'content-type': type } : {} });
  }
  const form: Record<string, string> = { _csrf: c.csrf };
  if (k.target === 'body') form[bodyNames[k.field % bodyNames.length]] = k.value;
  return c.request({ method: route.method, url, payload: encodeForm(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

const arbCase = fc.record({
  pick: fc.nat(11),
  target: fc.constantFrom<Case['target']>('param', 'query', 'body', 'contentType'),
  field: fc.nat(50),
  value: hostile,
  raw: fc.boolean(),
  contentType: fc.nat(50),
});

/**
 * For the role that reaches every route: each param, query field and form field of each route
 * also gets the values that used to answer 500 (NUL, 1e309, beyond 2^31), before the random cases.
 */
function examples(route: RouteEntry): [Case][] {
  const out: [Case][] = [];
  const params = route.url.match(/:(\w+)|\*/g) ?? [];
  const base = { pick: -1, raw: false, contentType: 0 };
  params.forEach((_, i) => ['1e309', '99999999999', '\u0000'].forEach((value) => out.push([{ ...base, target: 'param', field: i, value }])));
  namesOf(route.schema.querystring).forEach((_, i) => ['\u0000', '1e309', '99999999999', '%zz'].forEach((value) => out.push([{ ...base, target: 'query', field: i, value, raw: value === '%zz' }])));
  if (route.method === 'POST') {
    namesOf(route.schema.body).filter((n) => n !== '_csrf').forEach((_, i) => ['\u0000', '1e309'].forEach((value) => out.push([{ ...base, target: 'body', field: i, value }])));
    HOSTILE_BODIES.forEach((_, i) => out.push([{ ...base, target: 'contentType', field: 0, value: '', contentType: i }]));
  }
  return out;
}

// Routes whose success would end the session the walk is using.
const SESSION_ENDERS = new Set(['POST /logout']);

describe('route fuzz', () => {
  it('no route answers hostile input with a 5xx or raw JSON, for any role', { timeout: 300_000 }, async () => {
    const roles: (Role | null)[] = [null, 'employee', 'secretary', 'admin'];
    const failures: string[] = [];
    let requests = 0;
    for (const role of roles) {
      const client = role ? await t.as(role) : t.anonymous();
      if (!role) await client.get('/login');
      for (const route of t.app.routeTable) {
        const key = `${route.method} ${route.url}`;
        if (role && SESSION_ENDERS.has(key)) continue;
        try {
          await fc.assert(
            fc.asyncProperty(arbCase, async (k) => {
              requests++;
              const res = await request(route, client, k);
              const type = String(res.headers['content-type'] ?? '');
              if (res.statusCode >= 500 || RAW_JSON.test(res.body) || type.startsWith('application/json')) {
                throw new Error(`${res.statusCode} ${type} ${res.body.slice(0, 160)}`);
              }
            }),
            { seed: SEED, numRuns: RUNS, endOnFailure: true, examples: role === 'admin' ? examples(route) : [] },
          );
        } catch (err) {
          failures.push(`${key} as ${role ?? 'anonymous'}: ${String((err as Error).message).split('\n').filter((l) => /Counterexample|Error:|^\d{3} /.test(l)).join(' | ').slice(0, 600)}`);
        }
      }
      // Still alive and still signed in after each role's walk.
      expect((await client.get('/healthz')).statusCode).toBe(200);
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(t.app.routeTable.length * RUNS);
  });

  it('on a real socket: the crash reproducers, a malformed URL, a body too large and no boundary leave /healthz answering', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const c = new SocketClient(base);
    await c.get('/login');
    expect((await c.post('/login', { login: 'secretary', password: PASSWORD, next: '/Ж' })).status).toBe(303);
    await c.get('/logout');
    const answers = [
      await c.get('/login?next=/%D0%96'),
      await c.get('/%'),
      await c.get('/contacts?q=%00&org=1e309'),
      await c.request('POST', `/import?_csrf=${encodeURIComponent(c.csrf)}`, { body: 'x', headers: { 'content-type': 'multipart/form-data' } }),
      await c.request('POST', '/groups', { body: 'a'.repeat(3 * 1024 * 1024), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      await c.request('POST', '/groups', { body: '{"name":', headers: { 'content-type': 'application/json' } }),
    ];
    for (const a of answers) {
      expect(a.status).toBeLessThan(500);
      expect(a.body).not.toMatch(RAW_JSON);
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
