import net from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Message } from 'amqplib';
import { Worker, type WorkerOptions } from '../../src';
import { createApp, currentTask, memoryBroker, Reject, Retry, silentLogger, type AppOptions, type TaskqApp } from '@taskq/core';
import { connectMemoryBroker } from '@taskq/core/internal';

/**
 * Real scenarios — producer, Worker, rpc results, priorities, delays, retries, dead letters,
 * redelivery — through `memory://`, in this process, with no connection to anything.
 */
describe('memory:// broker', () => {
  let url: string;
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(() => {
    url = `memory://it-${randomUUID()}`;
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    jest.restoreAllMocks();
  });

  function app(options: AppOptions = {}): TaskqApp {
    const created = createApp({ brokerUrl: url, logger: silentLogger, defaults: { defaultQueue: 'tasks' }, ...options });
    cleanups.push(() => created.close());
    return created;
  }

  async function worker(consumer: TaskqApp, options: Partial<WorkerOptions> = {}): Promise<Worker> {
    const started = new Worker(consumer, {
      queues: ['tasks'],
      concurrency: 1,
      drainTimeoutMs: 200,
      handleProcessErrors: false,
      ...options,
    });
    cleanups.push(() => started.stop());
    await started.start();
    return started;
  }

  /** A promise with its resolve function, to hold a task until the test lets it go. */
  function gate(): { opened: Promise<void>; open(): void } {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { opened, open };
  }

  async function eventually(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('runs a task and returns its result over rpc, without opening a socket', async () => {
    const sockets = jest.spyOn(net, 'connect');
    const producer = app();
    const consumer = app();
    consumer.task('math.add', (a: number, b: number) => a + b);
    await worker(consumer);
    const result = await producer.sendTask<number>('math.add', [2, 3]);
    await expect(result.get({ timeout: 5000 })).resolves.toBe(5);
    expect(sockets).not.toHaveBeenCalled();
  });

  it('TASKQ_BROKER_URL=memory:// selects it too', async () => {
    const previous = process.env['TASKQ_BROKER_URL'];
    process.env['TASKQ_BROKER_URL'] = url;
    try {
      const both = createApp({ logger: silentLogger, defaults: { defaultQueue: 'tasks' } });
      cleanups.push(() => both.close());
      both.task('echo', (x: string) => x);
      await worker(both);
      await expect((await both.sendTask<string>('echo', ['hi'])).get({ timeout: 5000 })).resolves.toBe('hi');
    } finally {
      if (previous === undefined) delete process.env['TASKQ_BROKER_URL'];
      else process.env['TASKQ_BROKER_URL'] = previous;
    }
  });

  it('hands waiting tasks to a busy worker (concurrency 1) in priority order', async () => {
    const both = app();
    const hold = gate();
    const order: string[] = [];
    both.task('work', async (name: string) => {
      order.push(name);
      if (name === 'blocker') await hold.opened;
    });
    await worker(both);
    await both.sendTask('work', ['blocker'], { ignoreResult: true });
    await eventually(() => order.length === 1, 'the blocker to start');
    for (const [name, priority] of [
      ['low', 1],
      ['high', 9],
      ['mid', 5],
    ] as const) {
      await both.sendTask('work', [name], { priority, ignoreResult: true });
    }
    hold.open();
    await memoryBroker(both).idle();
    expect(order).toEqual(['blocker', 'high', 'mid', 'low']);
  });

  it('delivers a countdown task no earlier than its countdown (through the delay queues)', async () => {
    const both = app();
    const ranAt: number[] = [];
    both.task('later', () => {
      ranAt.push(Date.now());
    });
    await worker(both);
    const sentAt = Date.now();
    await both.sendTask('later', [], { countdown: 1, ignoreResult: true });
    await memoryBroker(both).idle({ timeout: 5000 });
    expect(ranAt).toHaveLength(1);
    expect(ranAt[0]! - sentAt).toBeGreaterThanOrEqual(990);
    expect(ranAt[0]! - sentAt).toBeLessThan(2500);
  });

  it('retries a task (Retry with a countdown) and then returns its result', async () => {
    const both = app();
    const attempts: number[] = [];
    both.task('flaky', (x: number) => {
      attempts.push(currentTask().retries);
      if (currentTask().retries === 0) throw new Retry({ countdown: 1 });
      return x * 2;
    });
    await worker(both);
    const result = await both.sendTask<number>('flaky', [21]);
    await expect(result.get({ timeout: 5000 })).resolves.toBe(42);
    expect(attempts).toEqual([0, 1]);
  });

  it('does not run a task whose expiry passed while it waited (countdown), and reports it revoked', async () => {
    const both = app();
    const runs: number[] = [];
    both.task('stale', () => runs.push(1));
    await worker(both);
    const result = await both.sendTask('stale', [], { countdown: 1, expires: new Date(Date.now() + 300) });
    await expect(result.get({ timeout: 5000 })).rejects.toMatchObject({ code: 'TASK_REVOKED', state: 'REVOKED' });
    expect(runs).toHaveLength(0);
  });

  it('dead-letters a rejected task with the reason in its headers', async () => {
    const both = app({ deadLetterQueue: 'dead' });
    both.task('poison', () => {
      throw new Reject('cannot process this');
    });
    await worker(both);
    const result = await both.sendTask('poison', ['x']);
    await expect(result.get({ timeout: 5000 })).rejects.toMatchObject({ state: 'REJECTED' });
    await memoryBroker(both).idle();
    const connection = connectMemoryBroker(new URL(url));
    cleanups.push(() => connection.close());
    const channel = await connection.createChannel();
    const letter = (await channel.get('dead', { noAck: true })) as Message;
    expect(letter).toBeTruthy();
    expect(letter.properties.headers).toMatchObject({
      'x-taskq-reason': 'rejected',
      'x-taskq-error': 'Reject: cannot process this',
      'x-taskq-task': 'poison',
      'x-taskq-original-queue': 'tasks',
    });
    expect((await channel.checkQueue('tasks')).messageCount).toBe(0);
  });

  it('redelivers a task to another worker when its worker stops before the task finished', async () => {
    const both = app();
    const stuck = gate();
    const runs: boolean[] = [];
    both.task('slow', async () => {
      runs.push(currentTask().redelivered);
      if (runs.length === 1) await stuck.opened; // the first run outlives its worker
      return 'done';
    });
    cleanups.push(async () => stuck.open());
    const first = await worker(both, { drainTimeoutMs: 50 });
    const result = await both.sendTask<string>('slow', []);
    await eventually(() => runs.length === 1, 'the first run');
    await first.stop(); // closes its channel with the task unacked: back to the queue
    await worker(both);
    await expect(result.get({ timeout: 5000 })).resolves.toBe('done');
    expect(runs).toEqual([false, true]);
  });

  it('idle() waits for every task, delayed ones included; reset() empties the broker', async () => {
    const both = app();
    let done = 0;
    both.task('count', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      done++;
    });
    await worker(both, { concurrency: 4 });
    for (let i = 0; i < 10; i++) await both.sendTask('count', [], { ignoreResult: true });
    await both.sendTask('count', [], { ignoreResult: true, countdown: 1 });
    await memoryBroker(both).idle({ timeout: 5000 });
    expect(done).toBe(11);
    await both.sendTask('count', [], { ignoreResult: true, countdown: 1 });
    memoryBroker(url).reset();
    await memoryBroker(both).idle({ timeout: 100 });
    expect(done).toBe(11);
  });
});
