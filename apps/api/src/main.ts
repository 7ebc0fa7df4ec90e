import 'reflect-metadata';
import { createLogger, DEMO, loadConfig, startServer } from '@bulwark/platform-api';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { apiPlugins } from './plugins';

async function main() {
  const log = createLogger({ service: 'bulwark-api' });
  const config = loadConfig();
  config.consoleDir ??= [resolve('dist/apps/console'), resolve(__dirname, '../../../dist/apps/console')].find((d) =>
    existsSync(`${d}/index.html`),
  );
  const server = await startServer(apiPlugins, config, { log, seedDemoIfEmpty: !config.databaseUrl });
  const shutdown = async (signal: string) => {
    log.info('shutting down', { signal });
    await server.close().catch((error) => log.error('shutdown failed', { error }));
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // G8: an unhandled rejection means unknown state; log it and stop rather than go on.
  process.on('unhandledRejection', (error) => {
    log.error('unhandled rejection', { error });
    void shutdown('unhandledRejection');
  });
  log.info('Bulwark is up', { url: server.url, console: config.consoleDir ? `${server.url}/` : 'not built (npm run build)', graphql: `${server.url}/graphql` });
  if (!config.databaseUrl && config.env !== 'production') {
    process.stdout.write(
      `\n  Bulwark console: http://localhost:${server.port}/\n` +
        `  Sign in to tenant "${DEMO.tenant}" as ${DEMO.adminEmail} with password "${DEMO.password}"\n\n`,
    );
  }
}

main().catch((error) => {
  process.stderr.write(`Bulwark failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
