import { loadConfig, ConfigError } from './config.js';
import { buildApp } from './app.js';

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
  const app = await buildApp(config);
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
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
  return app;
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/server.ts');
if (isMain) {
  start().catch((err) => {
    process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
