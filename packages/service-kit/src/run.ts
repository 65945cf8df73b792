import closeWithGrace from 'close-with-grace';
import type { TObject, Static } from '@sinclair/typebox';
import type { ServiceApp } from './app.js';
import { ConfigError, loadConfig, type BaseConfig } from './config.js';

/**
 * What every `server.ts` does: read the config (a bad one stops the process with a message
 * naming the variable), build the app, listen, and on SIGTERM/SIGINT stop taking new
 * requests, finish the ones in flight, close connections, exit.
 */
export async function runService<T extends TObject>(
  schema: T,
  buildApp: (config: Static<T>) => Promise<ServiceApp>,
): Promise<void> {
  let config: Static<T> & BaseConfig;
  try {
    config = loadConfig(schema) as Static<T> & BaseConfig;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }

  const app = await buildApp(config);
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'fatal error, shutting down');
    else app.log.info({ signal }, 'shutting down: draining in-flight requests');
    await app.close();
  });
  await app.listen({ host: config.HOST, port: config.PORT });
}
