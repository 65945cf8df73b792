import t from 'tap';
import Fastify from 'fastify';
import { pino } from 'pino';
import { loggerOptions, OneLinePerRequest } from './logger.js';

/** A Fastify app logging like a service does, into an array of parsed lines. */
async function appLoggingTo(lines: Record<string, unknown>[]) {
  const root = pino(loggerOptions({ level: 'info', service: 'wallet', serverId: 'wallet-test-1' }), { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = Fastify({ loggerInstance: root, logController: new OneLinePerRequest(root) });
  app.get('/ok', async (request) => {
    request.log.info({ headers: { authorization: 'Bearer secret-token' }, password: 'hunter2' }, 'handler line');
    return { ok: true };
  });
  app.get('/quiet', { logLevel: 'warn' }, async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw Object.assign(new Error('failed'), { token: 'secret-token' });
  });
  await app.ready();
  return app;
}

t.test('one line per request: method, URL, status, time and the request id', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const app = await appLoggingTo(lines);
  t.teardown(() => app.close());
  const response = await app.inject({ method: 'GET', url: '/ok?page=2', headers: { authorization: 'Bearer secret-token' } });
  t.equal(response.statusCode, 200);
  const completed = lines.filter((line) => line.msg === 'request completed');
  t.equal(completed.length, 1, 'exactly one line for the request');
  t.equal(lines.filter((line) => line.msg === 'incoming request').length, 0, 'no incoming line');
  t.match(completed[0], { service: 'wallet', serverId: 'wallet-test-1', req: { method: 'GET', url: '/ok?page=2' }, res: { statusCode: 200 }, responseTime: Number });
  const handler = lines.find((line) => line.msg === 'handler line');
  t.equal(completed[0]!.reqId, handler?.reqId, 'the same request id as the handler’s own lines');
  t.notOk(JSON.stringify(completed[0]).includes('secret-token'), 'no header reaches the line');
});

t.test('other lines are still redacted', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const app = await appLoggingTo(lines);
  t.teardown(() => app.close());
  await app.inject({ method: 'GET', url: '/ok' });
  await app.inject({ method: 'GET', url: '/boom' });
  const text = lines.map((line) => JSON.stringify(line)).join('\n');
  t.notOk(text.includes('secret-token'), 'tokens redacted');
  t.notOk(text.includes('hunter2'), 'passwords redacted');
  t.match(
    lines.find((line) => line.err !== undefined),
    { err: { message: 'failed', token: '[redacted]' } },
    "the error's line, its token redacted",
  );
  t.match(lines.at(-1), { msg: 'request completed', req: { url: '/boom' }, res: { statusCode: 500 } }, 'the failed request has its line');
});

t.test("a route's own log level still decides", async (t) => {
  const lines: Record<string, unknown>[] = [];
  const app = await appLoggingTo(lines);
  t.teardown(() => app.close());
  await app.inject({ method: 'GET', url: '/quiet' });
  t.same(lines.filter((line) => line.msg === 'request completed'), [], 'no line for a warn-level route');
});
