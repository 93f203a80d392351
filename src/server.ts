import { loadConfig, ConfigError } from './config.js';
import type { AddressInfo } from 'node:net';
import { buildApp } from './app.js';
import { firstAdminNotice } from './features/users/service.js';

/** Listens and shuts down gracefully; everything else lives in app.ts. */
export async function start(extra?: (app: Awaited<ReturnType<typeof buildApp>>) => Promise<void>) {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // A generated administrator password is shown after "listening", with the address to open.
  let generated: { login: string; password: string } | null = null;
  const app = await buildApp(config, { onGeneratedAdmin: (admin) => (generated = admin) });
  if (extra) await extra(app);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // In-flight requests and running jobs finish (the jobs plugin stops taking new ones and gives
    // the running ones this long, less a margin); a hung one cannot hold the process forever.
    const timer = setTimeout(() => process.exit(1), config.shutdownSeconds * 1000 + 2000);
    timer.unref();
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Whatever escapes a request (a library's callback throwing, a promise nobody awaited) is
  // logged and the server goes on serving everyone else: one bad request never stops it.
  process.on('unhandledRejection', (reason) => app.log.error({ err: reason }, 'unhandled rejection (server keeps running)'));
  process.on('uncaughtException', (err, origin) => app.log.error({ err, origin }, 'uncaught exception (server keeps running)'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
  if (generated) {
    const { login, password } = generated as { login: string; password: string };
    process.stderr.write(firstAdminNotice(login, password, `${listeningUrl(app.server.address() as AddressInfo)}/login`));
    generated = null;
  }
  return app;
}

/** The address to open in a browser: a wildcard host becomes 127.0.0.1. */
export function listeningUrl(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${address.family === 'IPv6' && host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/server.ts');
if (isMain) {
  start().catch((err) => {
    process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
