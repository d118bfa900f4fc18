import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { ClosedError, TaskqError } from '../../src/errors';
import { silentLogger, type Logger } from '../../src/logger';
import { buildResultMeta, exceptionInfo, EMPTY_EMBED, type ResultMeta, type TaskRequest, type TaskState } from '../../src/protocol';
import { createRedisResultBackend, createRedisResultStore, type ResultBackend, type ResultStore } from '../../src/results';
import { createSerializerRegistry } from '../../src/serialization';

const REDIS_URL = process.env['TASKQ_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
const PYTHON = '/usr/bin/python3';
const serializers = createSerializerRegistry();
const json = serializers.get('json');
const accept = serializers.acceptList(['json']);
const runPython = promisify(execFile);

function request(id: string, overrides: Partial<TaskRequest> = {}): TaskRequest {
  return {
    id,
    name: 'tests.redis',
    args: [],
    kwargs: {},
    embed: EMPTY_EMBED,
    retries: 0,
    ignoreResult: false,
    timeLimit: [null, null],
    contentType: 'application/json',
    headers: {},
    ...overrides,
  };
}

function meta(taskId: string, status: TaskState, result: unknown): ResultMeta {
  return buildResultMeta({ taskId, status, result });
}

/** A logger that keeps its lines, to check what would be logged. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string): void => void lines.push(message);
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

describe('redis result backend against the real Redis', () => {
  const raw = new Redis(REDIS_URL, { lazyConnect: true });
  const keys = new Set<string>();
  const closables: Array<ResultStore | ResultBackend> = [];

  /** A unique task id whose key is deleted after the test. */
  const taskId = (): string => {
    const id = `test-${randomUUID()}`;
    keys.add(`celery-task-meta-${id}`);
    return id;
  };
  const newStore = (expires = 3600, url = REDIS_URL, logger: Logger = silentLogger): ResultStore => {
    const store = createRedisResultStore(url, json, expires, logger);
    closables.push(store);
    return store;
  };
  const newBackend = (url = REDIS_URL, logger: Logger = silentLogger): ResultBackend => {
    const backend = createRedisResultBackend(url, accept, logger);
    closables.push(backend);
    return backend;
  };
  const stored = async (id: string): Promise<ResultMeta | null> => {
    const value = await raw.get(`celery-task-meta-${id}`);
    return value === null ? null : (JSON.parse(value) as ResultMeta);
  };

  beforeAll(async () => {
    await raw.connect();
  });

  afterEach(async () => {
    for (const closable of closables.splice(0)) await closable.close();
    if (keys.size) await raw.del(...keys);
    keys.clear();
  });

  afterAll(async () => {
    await raw.quit();
  });

  it('round-trips a SUCCESS and a FAILURE from the store to a waiting backend', async () => {
    const store = newStore();
    const backend = newBackend();
    await backend.start();
    expect(backend.isStarted).toBe(true);
    expect(backend.replyTo).toBeUndefined();
    const ok = taskId();
    const failed = taskId();
    const owner = {};
    backend.track(ok, owner);
    backend.track(failed, owner);

    const waitOk = backend.waitFor(ok);
    const waitFailed = backend.waitFor(failed);
    await store.store(request(ok), meta(ok, 'SUCCESS', { sum: 5 }));
    await store.store(request(failed), meta(failed, 'FAILURE', exceptionInfo(new TypeError('bad input'))));

    await expect(waitOk).resolves.toMatchObject({ task_id: ok, status: 'SUCCESS', result: { sum: 5 } });
    await expect(waitFailed).resolves.toMatchObject({
      task_id: failed,
      status: 'FAILURE',
      result: { exc_type: 'TypeError', exc_message: ['bad input'], exc_module: 'builtins' },
    });
    expect(backend.peek(ok)?.status).toBe('SUCCESS');
    // The same Celery JSON document is in the key.
    expect(await stored(ok)).toMatchObject({ task_id: ok, status: 'SUCCESS', result: { sum: 5 }, traceback: null, children: [] });
  });

  it('finds a result that was stored before waiting started', async () => {
    const id = taskId();
    await newStore().store(request(id), meta(id, 'SUCCESS', 42));
    const backend = newBackend();
    backend.track(id, {});
    await expect(backend.waitFor(id)).resolves.toMatchObject({ status: 'SUCCESS', result: 42 });
  });

  it('gets the PUBLISH when waiting started before the store, and shows progress states on the way', async () => {
    const id = taskId();
    const backend = newBackend();
    const owner = {};
    backend.track(id, owner);
    const waiting = backend.waitFor(id);
    let settled = false;
    void waiting.then(() => (settled = true));
    await waitUntil(async () => (await raw.pubsub('NUMSUB', `celery-task-meta-${id}`))[1] === 1);

    const store = newStore();
    await store.store(request(id), meta(id, 'STARTED', { pid: 1 }));
    await waitUntil(() => backend.peek(id)?.status === 'STARTED');
    expect(settled).toBe(false);
    await store.store(request(id), meta(id, 'SUCCESS', 'done'));
    await expect(waiting).resolves.toMatchObject({ status: 'SUCCESS', result: 'done' });
    // Done: the backend unsubscribed from the task's channel.
    await waitUntil(async () => (await raw.pubsub('NUMSUB', `celery-task-meta-${id}`))[1] === 0);
  });

  it('sets the expiry (result_expires) on the stored key', async () => {
    const id = taskId();
    await newStore(120).store(request(id), meta(id, 'SUCCESS', 1));
    const pttl = await raw.pttl(`celery-task-meta-${id}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(120_000);
  });

  it('never overwrites a stored SUCCESS (and publishes nothing for the refused write)', async () => {
    const id = taskId();
    const store = newStore();
    const listener = raw.duplicate();
    const messages: string[] = [];
    try {
      await listener.subscribe(`celery-task-meta-${id}`);
      listener.on('message', (_channel: string, message: string) => messages.push(message));
      await store.store(request(id), meta(id, 'SUCCESS', 'first'));
      await store.store(request(id), meta(id, 'FAILURE', exceptionInfo(new Error('lost worker'))));
      await store.store(request(id), meta(id, 'STARTED', null));
      expect(await stored(id)).toMatchObject({ status: 'SUCCESS', result: 'first' });
      await raw.publish(`celery-task-meta-${id}`, 'marker'); // everything before it has arrived
      await waitUntil(() => messages.includes('marker'));
      expect(messages.map((m) => (m === 'marker' ? m : (JSON.parse(m) as ResultMeta).status))).toEqual(['SUCCESS', 'marker']);
    } finally {
      listener.disconnect();
    }
  });

  it('lets a later state replace a FAILURE, as Celery does (only SUCCESS is final in the store)', async () => {
    const id = taskId();
    const store = newStore();
    await store.store(request(id), meta(id, 'FAILURE', exceptionInfo(new Error('first try'))));
    await store.store(request(id), meta(id, 'SUCCESS', 'second try'));
    expect(await stored(id)).toMatchObject({ status: 'SUCCESS', result: 'second try' });
  });

  it('keeps SUCCESS when two workers race to store SUCCESS and FAILURE', async () => {
    const [a, b] = [newStore(), newStore()];
    const races = Array.from({ length: 20 }, () => taskId());
    await Promise.all(
      races.map((id, i) => {
        const success = a.store(request(id), meta(id, 'SUCCESS', i));
        const failure = b.store(request(id), meta(id, 'FAILURE', exceptionInfo(new Error('duplicate'))));
        return Promise.all(i % 2 ? [success, failure] : [failure, success]);
      }),
    );
    for (const id of races) expect((await stored(id))?.status).toBe('SUCCESS');
  });

  it('wants a result unless the task was sent with ignoreResult', () => {
    const store = newStore();
    expect(store.wantsResult(request('x'))).toBe(true);
    expect(store.wantsResult(request('x', { ignoreResult: true }))).toBe(false);
  });

  it('fails clearly, with the password masked, when Redis cannot be reached', async () => {
    const url = 'redis://:s3cret-pass@127.0.0.1:1/0';
    const logger = recordingLogger();
    const backend = newBackend(url, logger);
    const started = Date.now();
    const error = await backend.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(TaskqError);
    expect(error).toMatchObject({ code: 'RESULT_BACKEND_UNREACHABLE' });
    const message = (error as Error).message;
    expect(message).toContain('redis://:****@127.0.0.1:1/0');
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).toMatch(/Check that Redis is running/);
    expect(message).not.toContain('s3cret-pass');
    expect(backend.isStarted).toBe(false);

    const id = taskId();
    const storeError = await newStore(60, url, logger)
      .store(request(id), meta(id, 'SUCCESS', 1))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(storeError).toMatchObject({ code: 'RESULT_BACKEND_UNREACHABLE' });
    expect((storeError as Error).message).not.toContain('s3cret-pass');
    expect(logger.lines.join('\n')).not.toContain('s3cret-pass');

    // A waiter is rejected with the same error instead of hanging.
    backend.track(id, {});
    await expect(backend.waitFor(id)).rejects.toMatchObject({ code: 'RESULT_BACKEND_UNREACHABLE' });
  });

  it('reports refused credentials as unreachable, without the password', async () => {
    const backend = newBackend('redis://no-such-user:wrong-secret@127.0.0.1:6379/0');
    const error = await backend.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ code: 'RESULT_BACKEND_UNREACHABLE', message: expect.stringMatching(/WRONGPASS/) });
    expect((error as Error).message).toContain('redis://no-such-user:****@127.0.0.1:6379/0');
    expect((error as Error).message).not.toContain('wrong-secret');
  });

  it('rejects a malformed URL at creation, with the password masked', () => {
    expect(() => createRedisResultBackend('redis://:pw-secret@host/zero', accept, silentLogger)).toThrow(
      expect.objectContaining({ code: 'RESULT_BACKEND_INVALID', message: expect.stringContaining('redis://:****@host/zero') }),
    );
    expect(() => createRedisResultStore('redis://127.0.0.1/0?ssl_cert_reqs=CERT_NONE', json, 60, silentLogger)).toThrow(/rediss:\/\//);
  });

  it('ignores results for task ids it does not track', async () => {
    const backend = newBackend();
    await backend.start();
    const tracked = taskId();
    const other = taskId();
    backend.track(tracked, {});
    await newStore().store(request(other), meta(other, 'SUCCESS', 'not mine'));
    expect(backend.peek(other)).toBeUndefined();
    await expect(backend.waitFor(other)).rejects.toBeInstanceOf(ClosedError);

    // Untracked while waiting: later results for it are ignored too.
    const waiting = backend.waitFor(tracked);
    await waitUntil(async () => (await raw.pubsub('NUMSUB', `celery-task-meta-${tracked}`))[1] === 1);
    backend.untrack(tracked);
    await expect(waiting).rejects.toBeInstanceOf(ClosedError);
    await newStore().store(request(tracked), meta(tracked, 'SUCCESS', 'late'));
    expect(backend.peek(tracked)).toBeUndefined();
    await waitUntil(async () => (await raw.pubsub('NUMSUB', `celery-task-meta-${tracked}`))[1] === 0);
  });

  it('drops an unreadable published value and still resolves with the real result', async () => {
    const logger = recordingLogger();
    const backend = newBackend(REDIS_URL, logger);
    const id = taskId();
    backend.track(id, {});
    const waiting = backend.waitFor(id);
    await waitUntil(async () => (await raw.pubsub('NUMSUB', `celery-task-meta-${id}`))[1] === 1);
    await raw.publish(`celery-task-meta-${id}`, 'not json {');
    await newStore().store(request(id), meta(id, 'SUCCESS', 'ok'));
    await expect(waiting).resolves.toMatchObject({ status: 'SUCCESS' });
    expect(logger.lines.join('\n')).toMatch(/unreadable result/);
  });

  it('re-reads the key after the subscriber reconnects, so a result published meanwhile is not lost', async () => {
    const logger = recordingLogger();
    const backend = newBackend(REDIS_URL, logger);
    const id = taskId();
    backend.track(id, {});
    const waiting = backend.waitFor(id);
    await waitUntil(async () => (await raw.pubsub('NUMSUB', `celery-task-meta-${id}`))[1] === 1);
    // Drop the subscriber connection and store while it is away: the PUBLISH reaches nobody.
    const clients = String(await raw.client('LIST', 'TYPE', 'PUBSUB')).split('\n');
    const subscriberIds = clients.filter((line) => / name=taskq-result-subscriber /.test(line)).map((line) => /^id=(\d+)/.exec(line)?.[1]);
    expect(subscriberIds.length).toBeGreaterThan(0);
    for (const clientId of subscriberIds) await raw.client('KILL', 'ID', String(clientId));
    await newStore().store(request(id), meta(id, 'SUCCESS', 'while away'));
    await expect(waiting).resolves.toMatchObject({ status: 'SUCCESS', result: 'while away' });
    await waitUntil(() => logger.lines.some((line) => line.startsWith('Reconnected the Redis result subscriber')));
    expect(logger.lines.join('\n')).toMatch(/Lost the Redis result subscriber connection to redis:\/\/127\.0\.0\.1:6379\/0/);
  });

  it('rejects waiters with ClosedError on close', async () => {
    const backend = newBackend();
    const id = taskId();
    backend.track(id, {});
    const waiting = backend.waitFor(id);
    await waitUntil(async () => (await raw.pubsub('NUMSUB', `celery-task-meta-${id}`))[1] === 1);
    const rejected = expect(waiting).rejects.toBeInstanceOf(ClosedError);
    await backend.close();
    await rejected;
    await expect(backend.start()).rejects.toBeInstanceOf(ClosedError);
  });

  describe('interop with Python Celery 5.2', () => {
    const celeryApp = `from celery import Celery\napp = Celery(backend=${JSON.stringify(REDIS_URL)})\n`;
    const python = async (script: string, ...args: string[]): Promise<unknown> => {
      const { stdout } = await runPython(PYTHON, ['-c', celeryApp + script, ...args], { timeout: 20_000 });
      return JSON.parse(stdout.trim().split('\n').pop() ?? 'null');
    };

    it("reads results stored by Celery's RedisBackend", async () => {
      const ok = taskId();
      const failed = taskId();
      await python(
        [
          'import sys, json',
          "app.backend.store_result(sys.argv[1], {'a': 1}, 'SUCCESS')",
          "app.backend.store_result(sys.argv[2], ValueError('boom from python'), 'FAILURE', traceback='Traceback ...')",
          'print(json.dumps(True))',
        ].join('\n'),
        ok,
        failed,
      );
      const backend = newBackend();
      backend.track(ok, {});
      backend.track(failed, {});
      await expect(backend.waitFor(ok)).resolves.toMatchObject({ task_id: ok, status: 'SUCCESS', result: { a: 1 } });
      await expect(backend.waitFor(failed)).resolves.toMatchObject({
        status: 'FAILURE',
        traceback: 'Traceback ...',
        result: { exc_type: 'ValueError', exc_module: 'builtins', exc_message: ['boom from python'] },
      });
      // Celery set the expiry too (result_expires: one day).
      expect(await raw.ttl(`celery-task-meta-${ok}`)).toBeGreaterThan(86_000);
    });

    it("writes results that Celery's AsyncResult.get() returns or raises", async () => {
      const ok = taskId();
      const failed = taskId();
      const store = newStore();
      await store.store(request(ok), meta(ok, 'SUCCESS', { sum: 5, list: [1, 'two'] }));
      await store.store(request(failed), meta(failed, 'FAILURE', exceptionInfo(new RangeError('out of range in js'))));
      const outcome = await python(
        [
          'import sys, json',
          'from celery.result import AsyncResult',
          'value = AsyncResult(sys.argv[1], app=app).get(timeout=5)',
          'try:',
          '    AsyncResult(sys.argv[2], app=app).get(timeout=5)',
          '    error = None',
          'except Exception as exc:',
          '    error = [type(exc).__name__, str(exc)]',
          'print(json.dumps({"value": value, "error": error}))',
        ].join('\n'),
        ok,
        failed,
      );
      expect(outcome).toEqual({ value: { sum: 5, list: [1, 'two'] }, error: ['RangeError', 'out of range in js'] });
    });

    it('wakes a waiting Celery client with the PUBLISH', async () => {
      const id = taskId();
      const waiting = python(
        [
          'import sys, json',
          'from celery.result import AsyncResult',
          'print(json.dumps(AsyncResult(sys.argv[1], app=app).get(timeout=10)))',
        ].join('\n'),
        id,
      );
      await waitUntil(async () => (await raw.pubsub('NUMSUB', `celery-task-meta-${id}`))[1] === 1, 10_000);
      await newStore().store(request(id), meta(id, 'SUCCESS', 'published'));
      await expect(waiting).resolves.toBe('published');
    });
  });
});

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
