import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether LibreOffice is installed (`libreoffice-calc-nogui` in .ci/run). */
export function hasSoffice(): boolean {
  try {
    execFileSync('soffice', ['--version'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens a file in LibreOffice Calc headless, as a user's spreadsheet program would, and saves
 * its first sheet as CSV (";" separated, UTF-8): what the program read, value by value; or the
 * whole document as flat OpenDocument XML (`fods`), to see what else it made of it. A CSV
 * input is read the way Excel reads it by double-click: ";" separated, UTF-8, quotes as text.
 */
export async function throughLibreOffice(file: Buffer, ext: 'xlsx' | 'csv', to: 'csv' | 'fods' = 'csv'): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exp-soffice-'));
  try {
    const input = path.join(dir, `in.${ext}`);
    writeFileSync(input, file);
    const args = [
      // Its own profile: several conversions (or a user's LibreOffice) may run at once.
      `-env:UserInstallation=${pathToFileURL(path.join(dir, 'profile')).href}`,
      '--headless',
      ...(ext === 'csv' ? ['--infilter=CSV:59,34,76,1,,0,true,false'] : []),
      '--convert-to',
      to === 'csv' ? 'csv:Text - txt - csv (StarCalc):59,34,76' : 'fods',
      '--outdir',
      path.join(dir, 'out'),
      input,
    ];
    await run('soffice', args, { timeout: 120_000 });
    return readFileSync(path.join(dir, 'out', `in.${to}`), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A CSV parser (RFC 4180 quoting, any line end) for reading back what was written. */
export function parseCsv(text: string, sep = ';'): string[][] {
  const s = text.replace(/^\ufeff/, '');
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === sep) {
      row.push(field);
      field = '';
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
