import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, currentTask, silentLogger, type TaskqApp } from '@taskq/core';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture } from '../../../../test/support/broker';
import {
  REDIS_BACKEND_URL,
  describeWithCelery,
  pyBytes,
  pyDatetime,
  pyDecimal,
  pyUuid,
  runCeleryClient,
  sendResult,
  uniqueCeleryQueue,
  type ClientDocument,
  type SendOp,
  type SendResult,
} from '../../../../test/celery/harness';

const SERIALIZERS = ['json', 'msgpack', 'yaml'] as const;

/** What a taskq handler reports about the values it received. */
function describeValues(values: unknown[]): string[] {
  return values.map((v) => {
    if (v instanceof Date) return `Date:${v.toISOString()}`;
    if (Buffer.isBuffer(v)) return `Buffer:${v.toString('hex')}`;
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'array';
    return `${typeof v}:${typeof v === 'object' ? JSON.stringify(v) : String(v)}`;
  });
}

/** A real Celery 5.2.6 producer (send_task, AsyncResult.get) calling tasks a taskq worker runs. */
describeWithCelery('Celery → taskq', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];
  const order: string[] = [];

  /** A taskq worker (not yet started unless `start`) on a fresh queue, with the interop tasks. */
  async function taskqWorker(options: { resultBackend?: string; start?: boolean; config?: string; queue?: string } = {}) {
    const queue = options.queue ?? broker.queue(uniqueCeleryQueue('c2t'));
    broker.exchange(queue); // Celery's send_task(queue=…) declares a direct exchange named like the queue
    const app: TaskqApp = createApp({
      brokerUrl: BROKER_URL,
      logger: silentLogger,
      ...(options.resultBackend ? { resultBackend: options.resultBackend } : {}),
      ...(options.config ? { config: options.config } : {}),
    });
    app.task('tasks.add', (x: number, y: number) => x + y, { params: ['x', 'y'] });
    app.task('tasks.fail', (message: string) => {
      const error = new Error(message);
      error.name = 'ValueError';
      throw error;
    });
    app.task('tasks.decline', () => {
      const error = new Error('insufficient funds');
      error.name = 'PaymentDeclined';
      throw error;
    });
    app.task('tasks.echo', (...args: unknown[]) => ({
      args: describeValues(args),
      kwargs: describeValues(Object.values(currentTask().kwargs)),
    }));
    app.task('tasks.now', () => Date.now() / 1000);
    app.task('tasks.record', (label: string) => {
      order.push(label);
      return label;
    });
    const worker = new Worker(app, { queues: [queue], concurrency: 1, drainTimeoutMs: 2000 });
    cleanups.push(async () => {
      await worker.stop();
      await app.close();
    });
    if (options.start !== false) await worker.start();
    return { app, worker, queue };
  }

  async function python(doc: ClientDocument): Promise<SendResult[]> {
    return (await runCeleryClient(doc)).map((r) => sendResult(r));
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.cleanup();
    order.length = 0;
  });

  describe.each(SERIALIZERS)('with %s', (serializer) => {
    it('runs send_task with args and kwargs; Python’s get() receives the result', async () => {
      const { queue } = await taskqWorker();
      const op = (extra: Partial<SendOp>): SendOp => ({ name: 'tasks.add', queue, serializer, get: true, timeout: 15, ...extra });
      const results = await python({
        ops: [op({ args: [2, 3] }), op({ kwargs: { x: 20, y: 22 } }), op({ args: [1], kwargs: { y: 9 } })],
      });
      expect(results.map((r) => [r.state, r.result])).toEqual([
        ['SUCCESS', 5],
        ['SUCCESS', 42],
        ['SUCCESS', 10],
      ]);
    });

    it('a taskq failure is an exception in Python with the original message', async () => {
      const { queue } = await taskqWorker();
      const [builtin, custom, unknownKwarg] = await python({
        ops: [
          { name: 'tasks.fail', args: ['bad input'], queue, serializer, get: true, timeout: 15 },
          { name: 'tasks.decline', queue, serializer, get: true, timeout: 15 },
          { name: 'tasks.add', args: [1], kwargs: { z: 2 }, queue, serializer, get: true, timeout: 15 },
        ],
      });
      expect(builtin).toMatchObject({ state: 'FAILURE', exc_type: 'ValueError', exc_message: 'bad input' });
      expect(custom).toMatchObject({ state: 'FAILURE', exc_type: 'PaymentDeclined', exc_message: 'insufficient funds' });
      expect(unknownKwarg).toMatchObject({ state: 'FAILURE', exc_type: 'TypeError' });
      expect(unknownKwarg!.exc_message).toContain("unexpected keyword argument 'z'");
    });

    it('honours countdown (moved into the broker’s delay queues) and expires (REVOKED in Python)', async () => {
      const { queue } = await taskqWorker();
      const sentAt = Date.now() / 1000;
      const [delayed, expired] = await python({
        ops: [
          { name: 'tasks.now', queue, serializer, countdown: 2, get: true, timeout: 30 },
          // Due after it expires: it waits in the broker, then the taskq worker refuses to run it. (A message
          // already expired when published is dropped by RabbitMQ itself, as Celery sets its AMQP expiration.)
          { name: 'tasks.add', args: [1, 1], queue, serializer, countdown: 2, expires: 1, get: true, timeout: 15 },
        ],
      });
      expect(delayed!.state).toBe('SUCCESS');
      expect((delayed!.result as number) - sentAt).toBeGreaterThanOrEqual(1.9);
      expect(expired!.state).toBe('REVOKED');
    });

    it('a Python backlog with priorities runs highest first on a taskq worker', async () => {
      const { worker, queue } = await taskqWorker({ start: false });
      // taskq declares the queue (x-max-priority 10) before Python publishes into it, as a deployed worker would have.
      await worker.start();
      await worker.stop();
      const labels: Array<[string, number]> = [
        ['p1', 1],
        ['p0', 0],
        ['p9', 9],
        ['p5', 5],
        ['p10', 10],
      ];
      await python({ ops: labels.map(([label, priority]) => ({ name: 'tasks.record', args: [label], queue, serializer, priority })) });
      await taskqWorker({ queue });
      await BrokerFixture.eventually(() => order.length === labels.length, 'all five tasks');
      expect(order).toEqual(['p10', 'p9', 'p5', 'p1', 'p0']);
    });
  });

  it('Python values arrive as these JavaScript values', async () => {
    const { queue } = await taskqWorker();
    const when = pyDatetime('2024-01-02T03:04:05.123456+00:00');
    const tagged = { __type__: 'datetime', __value__: '2024-01-02T03:04:05.123456+00:00' }; // kombu ≥ 5.3's JSON for a datetime
    const echo = (serializer: 'json' | 'msgpack' | 'yaml', args: unknown[]): SendOp => ({
      name: 'tasks.echo',
      args: args as SendOp['args'],
      queue,
      serializer,
      get: true,
      timeout: 15,
    });
    const [json, jsonTagged, yaml, msgpack] = await python({
      ops: [
        echo('json', [when, pyDecimal('1.10'), pyUuid('12345678-1234-5678-1234-567812345678'), 2 ** 40, 1.5]),
        echo('json', [tagged]),
        echo('yaml', [when, pyBytes('hi'), 7]),
        echo('msgpack', [pyBytes('hi'), 2 ** 40]),
      ],
    });
    expect((json!.result as { args: string[] }).args).toEqual([
      'string:2024-01-02T03:04:05.123456Z',
      'string:1.10',
      'string:12345678-1234-5678-1234-567812345678',
      'number:1099511627776',
      'number:1.5',
    ]);
    expect((jsonTagged!.result as { args: string[] }).args).toEqual(['Date:2024-01-02T03:04:05.123Z']);
    expect((yaml!.result as { args: string[] }).args).toEqual(['Date:2024-01-02T03:04:05.123Z', 'Buffer:6869', 'number:7']);
    expect((msgpack!.result as { args: string[] }).args).toEqual(['Buffer:6869', 'number:1099511627776']);
  });

  it('routes a Python send by exchange and routing key through a taskq routing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-c2t-routes-'));
    try {
      const queue = broker.queue(uniqueCeleryQueue('c2t-routed'));
      const exchange = broker.exchange(uniqueCeleryQueue('c2t-x'));
      writeFileSync(
        join(dir, `${queue}.yaml`),
        `exchange: ${exchange}\nexchangeType: topic\nbindingKeys: ['billing.#']\nroutingKey: billing.invoice\n`,
      );
      await taskqWorker({ queue, config: dir });
      const [routed] = await python({
        ops: [{ name: 'tasks.add', args: [2, 2], exchange, routing_key: 'billing.eu.invoice', declare: false, get: true, timeout: 15 }],
      });
      expect(routed).toMatchObject({ state: 'SUCCESS', result: 4 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a Python send reaches a taskq quorum queue with priority bands (its lowest band) and the result comes back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-c2t-quorum-'));
    try {
      const queue = broker.queue(uniqueCeleryQueue('c2t-quorum'));
      for (const band of ['p4-6', 'p7-9']) broker.queue(`${queue}.${band}`);
      const exchange = broker.exchange(uniqueCeleryQueue('c2t-qx'));
      writeFileSync(join(dir, `${queue}.yaml`), `queueType: quorum\nmaxPriority: 9\nexchange: ${exchange}\nroutingKey: ${queue}\n`);
      await taskqWorker({ queue, config: dir });
      // Celery 5.2 would declare the queue as classic (refused: it exists as quorum), so it sends without
      // declaring, through the queue's exchange; its priority does not pick a band (it knows only the
      // queue's own name, the lowest band's).
      const [sent] = await python({
        ops: [{ name: 'tasks.add', args: [20, 22], exchange, routing_key: queue, priority: 9, declare: false, get: true, timeout: 15 }],
      });
      expect(sent).toMatchObject({ state: 'SUCCESS', result: 42 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes results Python reads from Celery’s Redis backend', async () => {
    const { queue } = await taskqWorker({ resultBackend: REDIS_BACKEND_URL });
    const [ok, failed] = await python({
      backend: REDIS_BACKEND_URL,
      ops: [
        { name: 'tasks.add', args: [5, 6], queue, get: true, timeout: 15 },
        { name: 'tasks.fail', args: ['redis says no'], queue, get: true, timeout: 15 },
      ],
    });
    expect(ok).toMatchObject({ state: 'SUCCESS', result: 11 });
    expect(failed).toMatchObject({ state: 'FAILURE', exc_type: 'ValueError', exc_message: 'redis says no' });
  });

  it('runs Celery protocol v1 messages (task_protocol = 1)', async () => {
    const { queue } = await taskqWorker();
    const [v1] = await python({ task_protocol: 1, ops: [{ name: 'tasks.add', args: [3, 4], queue, get: true, timeout: 15 }] });
    expect(v1).toMatchObject({ state: 'SUCCESS', result: 7 });
  });
});
