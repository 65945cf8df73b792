import t from 'tap';
import { concurrentBetsPerPlayer, PerKeyQueue } from './per-key-queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('tasks of one key run one at a time, in order; other keys run alongside', async (t) => {
  const queue = new PerKeyQueue(10);
  const log: string[] = [];
  let running = 0;
  let most = 0;
  const task = (name: string) => async () => {
    running++;
    most = Math.max(most, running);
    log.push(`start ${name}`);
    await tick();
    log.push(`end ${name}`);
    running--;
    return name;
  };
  const results = await Promise.all([queue.run('a', task('a1')), queue.run('a', task('a2')), queue.run('b', task('b1'))]);
  t.same(results, ['a1', 'a2', 'b1']);
  t.ok(log.indexOf('end a1') < log.indexOf('start a2'), 'a2 waited for a1');
  t.equal(most, 2, 'b ran beside a');
});

t.test('with concurrency n, n tasks of one key run side by side and the next waits for a slot', async (t) => {
  const queue = new PerKeyQueue(10, 2);
  const gates: (() => void)[] = [];
  const started: string[] = [];
  const task = (name: string) => () =>
    new Promise<string>((resolve) => {
      started.push(name);
      gates.push(() => resolve(name));
    });
  const runs = ['a1', 'a2', 'a3', 'a4'].map((name) => queue.run('a', task(name)));
  await tick();
  t.same(started, ['a1', 'a2'], 'two run, two wait');
  gates.shift()!();
  await tick();
  await tick();
  t.same(started, ['a1', 'a2', 'a3'], 'a finished task hands its slot to the first waiter');
  while (gates.length > 0) {
    gates.shift()!();
    await tick();
    await tick();
  }
  t.same(await Promise.all(runs), ['a1', 'a2', 'a3', 'a4']);
  t.same(started, ['a1', 'a2', 'a3', 'a4'], 'in arrival order');
});

t.test('a failing task does not block the next one', async (t) => {
  const queue = new PerKeyQueue(10);
  const failed = queue.run('a', async () => {
    throw new Error('boom');
  });
  const next = queue.run('a', async () => 'ok');
  await t.rejects(failed, /boom/);
  t.equal(await next, 'ok');
});

t.test('beyond the queue limit a key is refused with 429', async (t) => {
  const queue = new PerKeyQueue(2);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = queue.run('a', () => gate);
  const second = queue.run('a', async () => undefined);
  await t.rejects(queue.run('a', async () => undefined), { code: 'RATE_LIMITED', statusCode: 429 });
  t.equal(await queue.run('b', async () => 'other key'), 'other key');
  release();
  await Promise.all([first, second]);
  t.equal(await queue.run('a', async () => 'free again'), 'free again');
});

t.test("a player's concurrent bets are 40 % of the instance's pool, at least one", async (t) => {
  t.equal(concurrentBetsPerPlayer(10), 4, 'the default pool: 4, as before');
  t.equal(concurrentBetsPerPlayer(20), 8);
  t.equal(concurrentBetsPerPlayer(2), 1);
  t.equal(concurrentBetsPerPlayer(1), 1);
});
