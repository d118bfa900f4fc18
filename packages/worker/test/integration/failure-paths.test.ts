import { createApp, silentLogger, TaskFailedError, type AppOptions, type Logger } from '@taskq/core';
import type { GetMessage, Options } from 'amqplib';
import { Worker, type WorkerOptions } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';
import { RedisServer } from '../../../../test/support/redis-server';

/**
 * Issue 9: every failure path is bounded. Hostile messages are refused at the door with a specific
 * reason, internal errors retry through the broker with backoff, redeliveries are counted in the
 * message, and a result backend outage never makes a task run twice or report a false result.
 */
describe('bounded failure paths', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.cleanup();
  });

  async function setup(options: AppOptions = {}, workerOptions: WorkerOptions = {}) {
    const queue = broker.queue(uniqueName('fp'));
    const dead = broker.queue(uniqueName('fp-dead'));
    const app = createApp({
      brokerUrl: BROKER_URL,
      logger: silentLogger,
      defaults: { defaultQueue: queue },
      deadLetterQueue: dead,
      ...options,
    });
    const runs: string[] = [];
    const running = { now: 0, max: [] as Array<[string, number]> };
    app.task('fp.record', async (id: string, ms = 0) => {
      running.now++;
      running.max.push([id, running.now]);
      runs.push(id);
      if (ms) await new Promise((r) => setTimeout(r, ms));
      running.now--;
      return id;
    });
    const worker = new Worker(app, { queues: [queue], concurrency: 4, drainTimeoutMs: 3000, handleProcessErrors: false, ...workerOptions });
    const rejected: Error[] = [];
    worker.on('message-rejected', (_q, reason) => rejected.push(reason));
    cleanups.push(async () => {
      await worker.stop();
      await app.close();
    });
    return { app, worker, queue, dead, runs, running, rejected };
  }

  function send(queue: string, content: Buffer | string, properties: Options.Publish): Promise<void> {
    return broker.withChannel(async (ch) => {
      ch.sendToQueue(queue, Buffer.from(content), properties);
    });
  }

  async function deadLetters(dead: string, count: number, timeoutMs = 15_000): Promise<GetMessage[]> {
    await BrokerFixture.eventually(
      async () => (await broker.counts(dead).catch(() => ({ messageCount: 0 }))).messageCount >= count,
      `${count} dead letter(s)`,
      timeoutMs,
    );
    const letters: GetMessage[] = [];
    for (let i = 0; i < count; i++) letters.push((await broker.get(dead)) as GetMessage);
    return letters;
  }

  const longId = 'x'.repeat(280);
  const body = JSON.stringify([['hostile'], {}, {}]);

  it.each<[string, string, Options.Publish, string, RegExp]>([
    [
      'an id over 255 bytes with a reply wanted',
      body,
      { contentType: 'application/json', replyTo: 'fp-replies-nowhere', headers: { task: 'fp.record', id: longId } },
      'malformed',
      /id of 280 bytes/,
    ],
    [
      'an unknown task with an id over 255 bytes',
      body,
      { contentType: 'application/json', headers: { task: 'fp.nope', id: longId } },
      'malformed',
      /id of 280 bytes/,
    ],
    [
      'an eta in the year 2100',
      body,
      { contentType: 'application/json', headers: { task: 'fp.record', id: 'eta-1', eta: '2100-01-01T00:00:00+00:00' } },
      'eta-out-of-range',
      /further ahead than the longest delay/,
    ],
    [
      'retries that are not a whole number',
      body,
      { contentType: 'application/json', headers: { task: 'fp.record', id: 'r-1', retries: 'x' } },
      'malformed',
      /'retries' must be a whole number/,
    ],
    [
      'YAML nested 3,000 levels deep',
      `${'{a: '.repeat(3000)}1${'}'.repeat(3000)}`,
      { contentType: 'application/x-yaml', headers: { task: 'fp.record', id: 'deep-1' } },
      'malformed',
      /nested deeper than/,
    ],
  ])(
    'refuses %s at the door: dead-lettered once with its reason, never run, no loop',
    async (_label, content, properties, reason, error) => {
      const { app, worker, queue, dead, runs, rejected } = await setup();
      await worker.start();
      await send(queue, content, properties);
      const [letter] = await deadLetters(dead, 1);
      expect(letter!.properties.headers!['x-taskq-reason']).toBe(reason);
      expect(String(letter!.properties.headers!['x-taskq-error'])).toMatch(error);
      await new Promise((r) => setTimeout(r, 500));
      expect(rejected).toHaveLength(1); // handled once: no requeue loop
      expect(runs).toEqual([]);
      await expect((await app.sendTask('fp.record', ['after'])).get({ timeout: 10_000 })).resolves.toBe('after');
      expect((await broker.counts(queue)).messageCount).toBe(0);
      expect((await broker.counts(dead)).messageCount).toBe(0);
    },
  );

  it('reads headers as own properties: a __proto__ header cannot smuggle in a task', async () => {
    const { worker, queue, dead, runs } = await setup();
    await worker.start();
    // amqplib decodes the table by assignment, so this header becomes the headers' prototype.
    await send(queue, body, {
      contentType: 'application/json',
      headers: { ['__proto__']: { task: 'fp.record', id: 'smuggled' } } as Record<string, unknown>,
    });
    const [letter] = await deadLetters(dead, 1);
    expect(letter!.properties.headers!['x-taskq-reason']).toBe('malformed');
    expect(runs).toEqual([]);
  });

  it('retries an internal error through the delay ladder with backoff, then dead-letters it as internal-error', async () => {
    const errors: string[] = [];
    let attempts: number[] = [];
    // The user's logger throwing is the one internal error a test can cause on purpose.
    const logger: Logger = {
      ...silentLogger,
      warn(message: string) {
        if (message.includes('expired')) throw new Error('logger failed');
      },
      error(message: string) {
        errors.push(message);
        const match = /attempt (\d) of/.exec(message);
        if (match) attempts.push(Date.now());
      },
    };
    const { worker, queue, dead, runs } = await setup({ logger });
    await worker.start();
    const expired = { task: 'fp.record', id: 'int-1', expires: '2020-01-01T00:00:00+00:00' };
    await send(queue, body, { contentType: 'application/json', headers: expired });
    await BrokerFixture.eventually(() => attempts.length >= 2, 'a second attempt', 20_000);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(1900); // 2 s apart, in the broker: no tight loop
    expect(errors[0]).toMatch(/attempt 1 of 5\); trying again in 2 s/);
    // The last attempt (4 already counted) dead-letters with the error text.
    attempts = [];
    await send(queue, body, { contentType: 'application/json', headers: { ...expired, id: 'int-2', 'x-taskq-internal-errors': 4 } });
    const letters = await deadLetters(dead, 1);
    expect(letters[0]!.properties.headers!['id']).toBe('int-2');
    expect(letters[0]!.properties.headers!['x-taskq-reason']).toBe('internal-error');
    expect(String(letters[0]!.properties.headers!['x-taskq-error'])).toMatch(/logger failed/);
    expect(runs).toEqual([]);
  });

  it('counts a redelivery in the message, runs the copy alone and flagged as redelivered, and gives up at maxRedeliveries', async () => {
    const { app, worker, queue, dead, runs, running } = await setup({}, { maxRedeliveries: 3 });
    // Deliver two messages to a consumer that dies without acking: both come back redelivered.
    await app.sendTask('fp.record', ['suspect', 200], { queue, taskId: 'suspect' });
    await send(queue, body, { contentType: 'application/json', headers: { task: 'fp.record', id: 'hopeless', 'x-taskq-redeliveries': 2 } });
    const connection = await broker.conn();
    const channel = await connection.createChannel();
    await channel.prefetch(10);
    let got = 0;
    await channel.consume(queue, () => got++, { noAck: false });
    await BrokerFixture.eventually(() => got === 2, 'both delivered to the consumer that dies');
    await channel.close();
    // Normal tasks beside the suspect.
    const beside = await Promise.all(['b1', 'b2', 'b3'].map((id) => app.sendTask('fp.record', [id, 200], { queue, taskId: id })));
    await worker.start();
    for (const result of beside) await result.get({ timeout: 10_000 });
    const [letter] = await deadLetters(dead, 1);
    expect(letter!.properties.headers!['id']).toBe('hopeless');
    expect(letter!.properties.headers!['x-taskq-reason']).toBe('worker-crash');
    await BrokerFixture.eventually(() => runs.includes('suspect'), 'the suspect ran');
    expect(runs.filter((id) => id === 'suspect')).toHaveLength(1);
    expect(runs).not.toContain('hopeless');
    // It ran with nothing beside it.
    expect(running.max.find(([id]) => id === 'suspect')![1]).toBe(1);
    const during = running.max.filter(([id]) => id !== 'suspect');
    expect(during.every(([, n]) => n >= 1)).toBe(true);
  });

  describe('with a Redis result backend', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await RedisServer.start({ password: 's3cret-pw' });
    });
    afterAll(() => redis.dispose());
    afterEach(async () => {
      if (!redis.isRunning) await redis.startAgain();
    });

    it('holds a result through an outage: the task runs once, its SUCCESS is stored after, no task starts meanwhile', async () => {
      const lines: string[] = [];
      const logger: Logger = {
        ...silentLogger,
        warn: (m: string) => lines.push(`warn ${m}`),
        info: (m: string) => lines.push(`info ${m}`),
      };
      const { app, worker, runs } = await setup({ resultBackend: redis.url, logger }, { concurrency: 2 });
      await worker.start();
      const warm = await app.sendTask('fp.record', ['warm']);
      await expect(warm.get({ timeout: 10_000 })).resolves.toBe('warm');
      await redis.stop();
      const during = await app.sendTask('fp.record', ['during']);
      await BrokerFixture.eventually(() => runs.includes('during'), 'the task ran during the outage');
      await BrokerFixture.eventually(() => lines.some((l) => l.startsWith('warn Cannot store results')), 'the outage warning');
      const later = await Promise.all(['l1', 'l2'].map((id) => app.sendTask('fp.record', [id])));
      await new Promise((r) => setTimeout(r, 1500));
      expect(runs).toEqual(['warm', 'during']); // paused: nothing new starts while results cannot be stored
      await redis.startAgain();
      await expect(during.get({ timeout: 20_000 })).resolves.toBe('during');
      for (const result of later) await result.get({ timeout: 20_000 });
      expect(runs.filter((id) => id === 'during')).toHaveLength(1);
      const outageLines = lines.filter((l) => /Cannot store results|reachable again/.test(l));
      expect(outageLines).toHaveLength(2);
      expect(lines.join('\n')).not.toContain('s3cret-pw');
    }, 60_000);

    it('dead-letters a result it could not store within resultStoreTimeoutMs, with the result kept, and never records a false failure', async () => {
      const { app, worker, dead, runs } = await setup({ resultBackend: redis.url }, { resultStoreTimeoutMs: 1500 });
      await worker.start();
      await (await app.sendTask('fp.record', ['warm'])).get({ timeout: 10_000 }); // the producer's backend connects
      runs.length = 0;
      await redis.stop();
      const sent = await app.sendTask('fp.record', ['kept'], { taskId: 'kept-1' });
      const [letter] = await deadLetters(dead, 1, 20_000);
      const headers = letter!.properties.headers!;
      expect(headers['x-taskq-reason']).toBe('result-backend-unavailable');
      expect(JSON.parse(String(headers['x-taskq-result']))).toMatchObject({ status: 'SUCCESS', result: 'kept', task_id: 'kept-1' });
      expect(String(headers['x-taskq-error'])).not.toContain('s3cret-pw');
      expect(runs).toEqual(['kept']);
      await redis.startAgain();
      // Nothing false was stored: the result is simply not there.
      const error = await sent.get({ timeout: 1500 }).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(TaskFailedError);
    }, 60_000);

    it('refuses to start when the result backend is unreachable, with one clear error', async () => {
      await redis.stop();
      const { worker } = await setup({ resultBackend: redis.url });
      const error = (await worker.start().catch((e: unknown) => e)) as Error & { code?: string };
      expect(error.code).toBe('RESULT_BACKEND_UNREACHABLE');
      expect(error.message).toMatch(/Cannot reach the Redis result backend at redis:\/\/:\*\*\*\*@127\.0\.0\.1/);
      expect(error.message).not.toContain('s3cret-pw');
    });
  });
});
