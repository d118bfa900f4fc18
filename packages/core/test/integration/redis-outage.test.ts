import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ClosedError, ResultBackendUnavailableError, TaskqError } from '../../src/errors';
import type { Logger } from '../../src/logger';
import { AsyncResult, createRedisResultBackend, type ResultBackend } from '../../src/results';
import { createSerializerRegistry } from '../../src/serialization';
import { RedisServer } from '../../../../test/support/redis-server';

// Each test stops or reconfigures its own redis-server (RedisServer, on a free port), never the
// shared one on 6379.
const PASSWORD = 'outage-s3cret-pass';
const accept = createSerializerRegistry().acceptList(['json']);

/** A logger that keeps its lines, by level. */
function recordingLogger(): Logger & { lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const keep =
    (level: string) =>
    (message: string): void =>
      void lines.push({ level, message });
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

describe('redis result backend through Redis outages', () => {
  let redis: RedisServer;
  const backends: ResultBackend[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  /** Run `fn` on a short-lived client of the test server (which must be running). */
  const admin = async <T>(fn: (client: Redis) => Promise<T>): Promise<T> => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      client.disconnect();
    }
  };
  /** Store a SUCCESS as a worker does (Celery's document; SET + PUBLISH); returns the PUBLISH's receivers. */
  const storeResult = (id: string, result: unknown): Promise<number> =>
    admin(async (client) => {
      const meta = JSON.stringify({
        status: 'SUCCESS',
        result,
        traceback: null,
        children: [],
        date_done: new Date().toISOString(),
        task_id: id,
      });
      await client.set(`celery-task-meta-${id}`, meta);
      return client.publish(`celery-task-meta-${id}`, meta);
    });
  const subscribers = (id: string): Promise<number> =>
    admin(async (client) => Number((await client.pubsub('NUMSUB', `celery-task-meta-${id}`))[1]));

  /** A started backend for the test server, closed after the test. */
  const newBackend = async (logger: Logger = recordingLogger(), url = redis.url): Promise<ResultBackend> => {
    const backend = createRedisResultBackend(url, accept, logger);
    backends.push(backend);
    await backend.start();
    return backend;
  };
  /** What the send path does: a tracked task, and its AsyncResult. */
  const sent = (backend: ResultBackend): AsyncResult<unknown> => {
    const result = new AsyncResult(`outage-${randomUUID()}`, 'tests.outage', backend);
    backend.track(result.id, result);
    return result;
  };
  /** Settle-tracking for a promise, so a test can check it is still pending. */
  const watch = <T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } => {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    return { promise, settled: () => settled };
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    redis = await RedisServer.start({ password: PASSWORD });
  });

  afterEach(async () => {
    for (const backend of backends.splice(0)) await backend.close();
    // A fresh process: running, empty, and with the configuration a failed test may have changed.
    await redis.stop();
    await redis.startAgain();
  });

  afterAll(async () => {
    await redis?.dispose();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('keeps waiting through an outage and resolves with a result stored after the restart', async () => {
    const logger = recordingLogger();
    const backend = await newBackend(logger);
    const before = sent(backend);
    const waiting = watch(before.get({ timeout: 10_000 }));
    await waitUntil(async () => (await subscribers(before.id)) === 1);

    await redis.stop();
    // A get() that starts during the outage waits too (its SUBSCRIBE fails, and is retried).
    const during = sent(backend);
    const waitingDuring = watch(during.get({ timeout: 10_000 }));
    await sleep(2_000); // past ioredis's maxRetriesPerRequest (≈1.2 s), where commands used to fail
    expect(waiting.settled()).toBe(false);
    expect(waitingDuring.settled()).toBe(false);

    await redis.startAgain();
    await storeResult(before.id, 42);
    await storeResult(during.id, 'during');
    await expect(waiting.promise).resolves.toBe(42);
    await expect(waitingDuring.promise).resolves.toBe('during');

    // Logged once per connection when lost and once when back: nothing per retry.
    await waitUntil(() => logger.lines.filter((line) => line.message.startsWith('Reconnected')).length === 2);
    const warnings = logger.lines.filter((line) => line.level !== 'debug' && !line.message.startsWith('Reconnected'));
    expect(warnings.map((line) => line.message.replace(/ connection to .*/, ''))).toEqual(
      expect.arrayContaining(['Lost the Redis result commands', 'Lost the Redis result subscriber']),
    );
    expect(warnings).toHaveLength(2);
    expect(logger.lines.map((line) => line.message).join('\n')).not.toContain(PASSWORD);
  });

  it('fails get({ timeout }) at its timeout, not earlier, naming the masked backend and the error', async () => {
    const backend = await newBackend();
    const result = sent(backend);
    await redis.stop();

    const started = Date.now();
    const error = await result.get({ timeout: 3_000 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(4_500);
    expect(error).toBeInstanceOf(ResultBackendUnavailableError);
    expect(error).toBeInstanceOf(TaskqError);
    expect(error).toMatchObject({ code: 'RESULT_BACKEND_UNAVAILABLE', taskId: result.id, timeoutMs: 3_000 });
    const message = (error as Error).message;
    expect(message).toContain(`the Redis result backend at redis://:****@127.0.0.1:${redis.port}/0 is unreachable`);
    expect(message).toMatch(/last error: .*ECONNREFUSED/);
    expect(message).toMatch(/result can still arrive/);
    expect(message).toMatch(/Check that Redis is running/);
    expect(message).not.toContain(PASSWORD);

    // The backend still follows the task: once Redis is back, another get() has the result.
    await redis.startAgain();
    await storeResult(result.id, 'after all');
    await expect(result.get({ timeout: 10_000 })).resolves.toBe('after all');
  });

  it('says so when Redis was unreachable for part of the wait, and times out plainly when it never was', async () => {
    const backend = await newBackend();
    const fine = sent(backend);
    await expect(fine.get({ timeout: 300 })).rejects.toMatchObject({ code: 'RESULT_TIMEOUT' });

    const result = sent(backend);
    const waiting = result.get({ timeout: 4_000 });
    await redis.stop();
    await sleep(500);
    await redis.startAgain();
    const error = await waiting.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ code: 'RESULT_BACKEND_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/was unreachable during the wait/);
  });

  it('sees a result stored while the subscriber was disconnected, once it reconnects', async () => {
    const backend = await newBackend();
    const result = sent(backend);
    const waiting = watch(result.get({ timeout: 15_000 }));
    await waitUntil(async () => (await subscribers(result.id)) === 1);

    // Keep the subscriber out: it cannot log in again until the password is restored (the
    // commands connection and the admin connection stay logged in).
    await admin(async (client) => {
      await client.config('SET', 'requirepass', 'changed-for-the-test');
      await client.client('KILL', 'TYPE', 'pubsub');
    });
    // A wait that starts once the subscriber noticed has its SUBSCRIBE failed by the refused
    // login (ioredis fails queued commands with the AUTH reply), and retries it.
    await sleep(300);
    const late = sent(backend);
    const waitingLate = watch(late.get({ timeout: 15_000 }));
    const storeWhileAway = async (id: string, value: string): Promise<number> => {
      const client = new Redis({ host: redis.host, port: redis.port, password: 'changed-for-the-test', lazyConnect: true });
      await client.connect();
      try {
        const meta = JSON.stringify({ status: 'SUCCESS', result: value, traceback: null, children: [], date_done: null, task_id: id });
        await client.set(`celery-task-meta-${id}`, meta);
        return await client.publish(`celery-task-meta-${id}`, meta);
      } finally {
        client.disconnect();
      }
    };
    expect(await storeWhileAway(result.id, 'stored while away')).toBe(0); // nobody heard the PUBLISH
    expect(await storeWhileAway(late.id, 'late')).toBe(0);
    await sleep(1_500);
    expect(waiting.settled()).toBe(false);
    expect(waitingLate.settled()).toBe(false);

    const restore = new Redis({ host: redis.host, port: redis.port, password: 'changed-for-the-test', lazyConnect: true });
    await restore.connect();
    await restore.config('SET', 'requirepass', PASSWORD);
    restore.disconnect();
    await expect(waiting.promise).resolves.toBe('stored while away');
    await expect(waitingLate.promise).resolves.toBe('late');
  });

  it('rejects waiters promptly with ClosedError when closed during an outage', async () => {
    const backend = await newBackend();
    const forever = sent(backend);
    const bounded = sent(backend);
    const waitingForever = watch(forever.get());
    const waitingBounded = watch(bounded.get({ timeout: 30_000 }));
    await redis.stop();
    const during = watch(sent(backend).get());
    await sleep(1_500);
    // get() without a timeout waits through the outage, like Celery's.
    expect([waitingForever.settled(), waitingBounded.settled(), during.settled()]).toEqual([false, false, false]);

    const closing = Date.now();
    await backend.close();
    await expect(waitingForever.promise).rejects.toBeInstanceOf(ClosedError);
    await expect(waitingBounded.promise).rejects.toBeInstanceOf(ClosedError);
    await expect(during.promise).rejects.toBeInstanceOf(ClosedError);
    expect(Date.now() - closing).toBeLessThan(1_000);
  });

  it('still fails the first start clearly when Redis is down before it (the send path does not hang)', async () => {
    await redis.stop();
    const backend = createRedisResultBackend(redis.url, accept, recordingLogger());
    backends.push(backend);
    const started = Date.now();
    const error = await backend.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(error).toMatchObject({ code: 'RESULT_BACKEND_UNREACHABLE' });
    expect((error as Error).message).toContain(`redis://:****@127.0.0.1:${redis.port}/0`);
    expect((error as Error).message).not.toContain(PASSWORD);
    const result = sent(backend);
    await expect(result.get({ timeout: 10_000 })).rejects.toMatchObject({ code: 'RESULT_BACKEND_UNREACHABLE' });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await sleep(20);
  }
}
