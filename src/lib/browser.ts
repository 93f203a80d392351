import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Flags Chromium needs on servers (no GPU, closed network) and in containers. */
const BASE_ARGS = [
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface SandboxFacts {
  /** The process's user id (null where there is none, e.g. Windows). */
  uid: number | null;
  /** Whether this process may create a user namespace (null: could not be tried). */
  userNamespaces: boolean | null;
}

/**
 * Why Chromium's sandbox cannot work here, or null when it can. Debian's Chromium sandboxes its
 * renderers in user namespaces (it ships no setuid helper), so:
 * - as root Chromium refuses to start with the sandbox at all ("Running as root without
 *   --no-sandbox is not supported"): CI machines and containers run as root;
 * - without unprivileged user namespaces (Docker's default seccomp profile, kernels with
 *   user.max_user_namespaces=0 or kernel.unprivileged_userns_clone=0) it fails to start its
 *   renderers.
 * Everywhere else the sandbox stays on: a page that exploited the renderer would otherwise run
 * with the app's own rights (the database URL, the session secret).
 */
export function sandboxUnavailableReason(facts: SandboxFacts): string | null {
  if (facts.uid === 0) return 'running as root';
  if (facts.userNamespaces === false) return 'no unprivileged user namespaces';
  return null;
}

function readProc(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Tries what Chromium will do: create a user namespace (`unshare --user`, util-linux, present on
 * every Debian). Without that tool, the kernel switches tell.
 */
function probeUserNamespaces(): boolean | null {
  if (process.platform !== 'linux') return null;
  const probe = spawnSync('unshare', ['--user', 'true'], { stdio: 'ignore', timeout: 5_000 });
  if (!probe.error) return probe.status === 0;
  if (readProc('/proc/sys/user/max_user_namespaces') === '0') return false;
  if (readProc('/proc/sys/kernel/unprivileged_userns_clone') === '0') return false;
  return null;
}

let decided: string[] | null = null;

/**
 * Chromium's command-line flags, decided once, when the first browser is launched:
 * `--no-sandbox` only where the sandbox cannot work (see sandboxUnavailableReason).
 */
export function chromiumArgs(): string[] {
  if (!decided) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : null;
    // Root needs no probe: Chromium refuses the sandbox as root anyway.
    const reason = sandboxUnavailableReason({ uid, userNamespaces: uid === 0 ? null : probeUserNamespaces() });
    decided = reason ? ['--no-sandbox', ...BASE_ARGS] : [...BASE_ARGS];
  }
  return [...decided];
}

const SYSTEM_BROWSERS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

export class BrowserMissingError extends Error {
  constructor() {
    super(
      'No Chromium or Chrome found. Install one (Debian/Ubuntu: `apt-get install chromium`; ' +
        'elsewhere: `npx @puppeteer/browsers install chrome@stable`) and set PUPPETEER_EXECUTABLE_PATH to it.',
    );
  }
}

/**
 * Finds a browser: PUPPETEER_EXECUTABLE_PATH, else the system Chromium/Chrome. The app uses
 * puppeteer-core, which never downloads a browser: PDFs use the one the operator installed.
 */
export async function findBrowser(configured: string | null = process.env.PUPPETEER_EXECUTABLE_PATH || null): Promise<string> {
  if (configured) {
    if (existsSync(configured)) return configured;
    throw new BrowserMissingError();
  }
  for (const p of SYSTEM_BROWSERS) if (existsSync(p)) return p;
  throw new BrowserMissingError();
}
