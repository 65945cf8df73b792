/**
 * The read ceiling: the smallest Fastify answer to any GET, with no logger, schema or plugin.
 * scripts/bench runs it behind the same nginx config as the services.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/*', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
