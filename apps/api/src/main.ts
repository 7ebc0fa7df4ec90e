import 'reflect-metadata';
import { createLogger, DEMO, loadConfig, startServer } from '@bulwark/platform-api';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { apiPlugins } from '@bulwark/composition-api';

async function main() {
  const log = createLogger({ service: 'bulwark-api' });
  // Node prints process warnings (a dependency's deprecation or support notice) as plain text;
  // here they are log lines like every other (removing the listeners removes Node's printer).
  process.removeAllListeners('warning');
  process.on('warning', (w) => log.warn('process warning', { name: w.name, message: w.message.replace(/\s+/g, ' ').trim() }));
  const config = loadConfig();
  config.consoleDir ??= [resolve('dist/apps/console'), resolve(__dirname, '../../../dist/apps/console')].find((d) =>
    existsSync(`${d}/index.html`),
  );
  const server = await startServer(apiPlugins, config, { log, seedDemoIfEmpty: !config.databaseUrl });
  let stopping = false;
  const shutdown = async (signal: string) => {
    // A terminal's Ctrl-C reaches both `npm start`'s wrapper and this process: act once.
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const failed = await server.close().then(
      () => false,
      (error: unknown) => {
        log.error('shutdown failed', { error });
        return true;
      },
    );
    log.info(failed ? 'stopped, with errors (above)' : 'stopped');
    process.exit(failed ? 1 : 0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // G8: an unhandled rejection means unknown state; log it and stop rather than go on.
  process.on('unhandledRejection', (error) => {
    log.error('unhandled rejection', { error });
    void shutdown('unhandledRejection');
  });
  log.info('Bulwark is up', { url: server.url, console: config.consoleDir ? `${server.url}/` : 'not built (npm run build)', graphql: `${server.url}/graphql` });
  const demo =
    server.demoTenant && config.env !== 'production'
      ? `  Sign in to workspace "${DEMO.tenant}" as ${DEMO.adminEmail} with password "${DEMO.password}"\n`
      : '';
  process.stdout.write(`\n  Bulwark console: http://localhost:${server.port}/  (stop with Ctrl-C)\n${demo}\n`);
}

main().catch((error) => {
  process.stderr.write(`Bulwark failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
