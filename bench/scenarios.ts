/** Scenarios beyond page loads (export, import, envelopes): each returns its figures. */
import { scenario as exportScenario } from './scenarios/export.js';
import { scenario as envelopesScenario } from './scenarios/envelopes.js';
import { scenario as importScenario } from './scenarios/import.js';
import { scenario as duplicatesScenario } from './scenarios/duplicates.js';
import { scenario as jobsScenario } from './scenarios/jobs.js';
import { scenario as xlsxScenario } from './scenarios/xlsx.js';
import { scenario as xlsxImportScenario } from './scenarios/xlsx-import.js';
import { scenario as mailingsScenario } from './scenarios/mailings.js';

export interface Figure {
  name: string;
  url: string;
  p50?: number;
  p99?: number;
  rps?: number;
  errors?: number;
  floorP50?: number;
  floorP99?: number;
  ratio?: number;
  statements?: number;
  [key: string]: unknown;
}

export interface Context {
  /** The running server, e.g. http://127.0.0.1:3901. */
  base: string;
  /** Cookie header of the signed-in `bench` account (secretary). */
  cookie: string;
  /** CSRF token for that session: send as `_csrf` field, `X-CSRF-Token` header, or `?_csrf=` for multipart. */
  csrf: string;
  /** The benchmark database (PostgreSQL). */
  url: string;
  /** The server process: its RSS, and Chromium's as its descendants. */
  serverPid: number;
  log: (s: string) => void;
}

export type Scenario = (ctx: Context) => Promise<Figure[] | null>;

/** Run in this order; `BENCH_ONLY=pages,export` picks some of: pages, export, xlsx, import, envelopes, duplicates, jobs, mailings (and eventloop, see run.ts); `xlsx` is the .xlsx export and the .xlsx import. */
export const extraScenarios: { name: string; run: Scenario }[] = [
  { name: 'export', run: exportScenario },
  { name: 'xlsx', run: xlsxScenario }, // export
  { name: 'import', run: importScenario },
  { name: 'xlsx', run: xlsxImportScenario }, // import
  { name: 'envelopes', run: envelopesScenario },
  { name: 'duplicates', run: duplicatesScenario },
  { name: 'jobs', run: jobsScenario },
  { name: 'mailings', run: mailingsScenario },
];
