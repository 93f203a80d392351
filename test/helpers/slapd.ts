import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'ldapts';

/**
 * A real OpenLDAP server (Debian's slapd) for the tests: its own configuration, certificates
 * (a CA made here, for StartTLS and ldaps://) and database in a temporary directory, on free
 * ports the OS chose, loaded with slapadd from an LDIF. `stop()` ends it; `remove()` deletes it all.
 * slapd runs in the foreground with the `stats` log level, so every BIND it receives can be counted.
 */
export interface Slapd {
  /** ldap://127.0.0.1:port (StartTLS offered). */
  url: string;
  /** ldaps://127.0.0.1:port */
  ldapsUrl: string;
  caFile: string;
  suffix: string;
  rootDn: string;
  rootPassword: string;
  /** What slapd has logged so far (stats level). */
  log(): string;
  /** BIND operations received so far (optionally for one DN). */
  binds(dn?: string): number;
  /** A connection bound as the directory's manager, for changing entries in a test. */
  admin(): Promise<Client>;
  stop(): Promise<void>;
  remove(): Promise<void>;
}

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const SCHEMA = '/etc/ldap/schema';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A CA and a server certificate for localhost/127.0.0.1, signed by it (openssl). */
function makeCertificates(dir: string) {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Test directory CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr']);
  execFileSync('sh', ['-c', 'printf "subjectAltName=DNS:localhost,IP:127.0.0.1\\n" > san.ext'], { cwd: dir });
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem']);
}

const AD_SCHEMA = `
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.102 NAME 'memberOf'
  EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
`;

export async function startSlapd(opts: { ldif: string; suffix: string; serviceDn: string }): Promise<Slapd> {
  if (!existsSync(SLAPD) || !existsSync(SLAPADD)) {
    throw new Error('OpenLDAP is not installed: apt-get install slapd ldap-utils (.ci/run installs it)');
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crm-slapd-'));
  await mkdir(path.join(dir, 'db'));
  makeCertificates(dir);
  const rootDn = `cn=manager,${opts.suffix}`;
  const rootPassword = 'manager-secret';
  // The Active Directory attributes the app reads, with AD's OIDs and matching rules (Debian's
  // msuser.schema declares them without EQUALITY, so no filter could match them); the ppolicy
  // overlay brings OpenLDAP's pwdAccountLockedTime: both kinds of "disabled" are real here.
  await writeFile(path.join(dir, 'ad.schema'), AD_SCHEMA);
  const conf = `
include ${SCHEMA}/core.schema
include ${SCHEMA}/cosine.schema
include ${SCHEMA}/inetorgperson.schema
include ${SCHEMA}/nis.schema
include ${dir}/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCACertificateFile ${dir}/ca.pem
TLSCertificateFile ${dir}/server.pem
TLSCertificateKeyFile ${dir}/server.key
database mdb
maxsize 16777216
suffix "${opts.suffix}"
rootdn "${rootDn}"
rootpw ${rootPassword}
directory ${dir}/db
overlay ppolicy
access to attrs=userPassword by self write by anonymous auth by * none
access to * by dn.exact="${opts.serviceDn}" read by self read by * none
`;
  const confFile = path.join(dir, 'slapd.conf');
  await writeFile(confFile, conf);
  const ldifFile = path.join(dir, 'data.ldif');
  await writeFile(ldifFile, opts.ldif);
  execFileSync(SLAPADD, ['-f', confFile, '-l', ldifFile], { stdio: 'pipe' });

  const [port, ldapsPort] = [await freePort(), await freePort()];
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
  let log = '';
  const child: ChildProcess = spawn(SLAPD, ['-h', `${url}/ ${ldapsUrl}/`, '-f', confFile, '-d', process.env.SLAPD_DEBUG ?? '256'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    log += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`slapd did not start within 20 s:\n${log}`)), 20_000);
    const onData = () => {
      if (log.includes('slapd starting')) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`slapd exited with ${code}:\n${log}`));
    });
  });

  let running = true;
  const stop = async () => {
    if (!running) return;
    running = false;
    child.kill('SIGTERM');
    await exited;
  };
  return {
    url,
    ldapsUrl,
    caFile: path.join(dir, 'ca.pem'),
    suffix: opts.suffix,
    rootDn,
    rootPassword,
    log: () => log,
    binds(dn) {
      const lines = log.split('\n').filter((l) => / BIND dn="[^"]*" method=/.test(l));
      return dn ? lines.filter((l) => l.toLowerCase().includes(`bind dn="${dn.toLowerCase()}"`)).length : lines.length;
    },
    async admin() {
      const c = new Client({ url, timeout: 5000, connectTimeout: 5000 });
      await c.bind(rootDn, rootPassword);
      return c;
    },
    stop,
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
