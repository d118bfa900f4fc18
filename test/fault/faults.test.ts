import * as amqp from 'amqplib';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type Logger, type TaskqApp } from '@taskq/core';
import { Worker } from '@taskq/worker';
import { BROKER_URL, BrokerFixture, uniqueName } from '../support/broker';
import { CliProcess, FIXTURES } from '../../apps/cli/test/support/cli-process';
import { rabbitmq } from './broker-control';
import { record, tally } from './fault-report';

/**
 * The fault suite: real broker restarts, dropped connections, killed workers and a poison flood,
 * counting confirmed task ids that never ran (lost, must be 0) and ids that ran twice.
 * It restarts RabbitMQ, so it runs on its own (`pnpm fault`), never beside other tests.
 */
const TASKS = Number(process.env['FAULT_TASKS'] ?? 3000);

/** A logger that counts reconnects and keeps quiet otherwise. */
function countingLogger(): Logger & { reconnects: number } {
  const logger = {
    reconnects: 0,
    debug() {},
    info() {},
    warn(message: string) {
      if (message.startsWith('Reconnected')) logger.reconnects++;
    },
    error() {},
  };
  return logger;
}

/** Send `total` tasks with at most `window` in flight; `onProgress` sees the confirmed count. */
async function sendAll(app: TaskqApp, queue: string, total: number, onProgress: (confirmed: number) => void): Promise<{ confirmed: Set<string>; failed: number }> {
  const confirmed = new Set<string>();
  let failed = 0;
  let next = 0;
  const window = 200;
  async function lane(): Promise<void> {
    while (next < total) {
      const id = `task-${next++}`;
      try {
        await app.sendTask('fault.record', [id, 1], { queue, taskId: id, ignoreResult: true });
        confirmed.add(id);
        onProgress(confirmed.size);
      } catch {
        failed++; // rejected: the producer knows it was not (surely) sent; not counted as lost
      }
    }
  }
  await Promise.all(Array.from({ length: window }, lane));
  return { confirmed, failed };
}

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

describe('fault suite (real RabbitMQ faults)', () => {
  const broker = new BrokerFixture();
  afterEach(async () => {
    await rabbitmq.ensureRunning();
    await broker.cleanup();
  });
  afterAll(() => rabbitmq.ensureRunning());

  async function inProcessScenario(scenario: string, inject: () => Promise<void>): Promise<void> {
    const started = Date.now();
    const queue = broker.queue(uniqueName('fault'));
    const runs = new Map<string, number>();
    const workerLog = countingLogger();
    const producerLog = countingLogger();
    const consumerApp = createApp({ brokerUrl: BROKER_URL, logger: workerLog });
    consumerApp.task('fault.record', async (id: string, ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      runs.set(id, (runs.get(id) ?? 0) + 1);
    });
    const worker = new Worker(consumerApp, { queues: [queue], concurrency: 8 });
    await worker.start();
    const producer = createApp({ brokerUrl: BROKER_URL, logger: producerLog, sendTimeoutMs: 120_000 });
    let injected: Promise<void> | undefined;
    try {
      const { confirmed, failed } = await sendAll(producer, queue, TASKS, (n) => {
        if (n === Math.floor(TASKS / 3)) injected = inject();
      });
      await injected;
      await waitUntil(() => [...confirmed].every((id) => runs.has(id)), 180_000);
      await new Promise((r) => setTimeout(r, 1000)); // let late duplicates show
      const figures = tally(confirmed, runs);
      record({
        scenario, sent: TASKS, confirmed: confirmed.size, ...figures,
        recovered: `${workerLog.reconnects + producerLog.reconnects} reconnects, ${failed} sends rejected`,
        seconds: (Date.now() - started) / 1000,
      });
      expect(figures.lost).toBe(0);
      expect(confirmed.size + failed).toBe(TASKS);
      expect(confirmed.size).toBeGreaterThan(0);
    } finally {
      await worker.stop();
      await consumerApp.close();
      await producer.close();
    }
  }

  it('broker restart (stop_app / start_app) during publish and consume', async () => {
    await inProcessScenario('broker restart mid-run', async () => {
      await rabbitmq.stopApp();
      await new Promise((r) => setTimeout(r, 2000));
      await rabbitmq.startApp();
    });
  }, 600_000);

  it('all connections closed three times under load', async () => {
    await inProcessScenario('close_all_connections ×3', async () => {
      for (let i = 0; i < 3; i++) {
        await rabbitmq.closeAllConnections('taskq fault suite');
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
  }, 600_000);

  it('a send during an outage waits (bounded) and rejects clearly; the same app sends again after recovery', async () => {
    const queue = broker.queue(uniqueName('fault-outage'));
    const app = createApp({ brokerUrl: BROKER_URL, logger: countingLogger(), sendTimeoutMs: 3000 });
    try {
      await app.sendTask('fault.record', ['before', 0], { queue, ignoreResult: true });
      await rabbitmq.stopApp();
      const startedAt = Date.now();
      const error = await app.sendTask('fault.record', ['during', 0], { queue, ignoreResult: true }).catch((e: Error) => e);
      const waited = Date.now() - startedAt;
      expect(error).toMatchObject({ code: expect.stringMatching(/^(BROKER_UNAVAILABLE|PUBLISH_UNCONFIRMED)$/) });
      expect(waited).toBeGreaterThanOrEqual(2900);
      await rabbitmq.startApp();
      await app.sendTask('fault.record', ['after', 0], { queue, ignoreResult: true });
      const count = (await broker.counts(queue)).messageCount;
      expect(count).toBeGreaterThanOrEqual(2); // 'before' (durable, persistent) survived the restart, 'after' arrived
    } finally {
      await app.close();
    }
  }, 300_000);

  it('kill -9 of worker processes mid-run', async () => {
    const started = Date.now();
    const queue = broker.queue(uniqueName('fault-kill'));
    const dir = mkdtempSync(join(tmpdir(), 'taskq-fault-'));
    const file = join(dir, 'runs.txt');
    const spawnWorker = (): CliProcess =>
      new CliProcess(['worker', '--app', join(FIXTURES, 'record-tasks.ts'), '--queue', queue, '--concurrency', '4', '--broker', BROKER_URL, '--loglevel', 'info'], { FAULT_RECORD_FILE: file });
    const workers = [spawnWorker(), spawnWorker()];
    const producer = createApp({ brokerUrl: BROKER_URL, logger: countingLogger() });
    try {
      await Promise.all(workers.map((w) => w.waitFor('taskq worker ready')));
      const total = Math.min(TASKS, 2000);
      const confirmed = new Set<string>();
      let kills = 0;
      const sends = [];
      for (let i = 0; i < total; i++) {
        const id = `kill-${i}`;
        sends.push(producer.sendTask('fault.record', [id, 10], { queue, taskId: id, ignoreResult: true }).then(() => confirmed.add(id)));
      }
      await Promise.all(sends);
      // Kill a worker twice while it has tasks in hand, each time starting a replacement.
      for (let round = 0; round < 2; round++) {
        await new Promise((r) => setTimeout(r, 700));
        workers[round]!.child.kill('SIGKILL');
        kills++;
        workers.push(spawnWorker());
      }
      const runs = (): Map<string, number> => {
        const map = new Map<string, number>();
        if (!existsSync(file)) return map;
        for (const id of readFileSync(file, 'utf8').split('\n')) if (id) map.set(id, (map.get(id) ?? 0) + 1);
        return map;
      };
      await waitUntil(() => [...confirmed].every((id) => runs().has(id)), 120_000);
      await new Promise((r) => setTimeout(r, 1000));
      const figures = tally(confirmed, runs());
      record({ scenario: 'kill -9 of 2 workers mid-run', sent: total, confirmed: confirmed.size, ...figures, recovered: `${kills} workers killed, redelivered`, seconds: (Date.now() - started) / 1000 });
      expect(figures.lost).toBe(0);
      // Duplicates are bounded by what the killed workers held: their prefetch (concurrency 4) each.
      expect(figures.duplicated).toBeLessThanOrEqual(kills * 4);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await producer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('a poison-message flood does not stop the worker', async () => {
    const started = Date.now();
    const queue = broker.queue(uniqueName('fault-poison'));
    const dead = broker.queue(uniqueName('fault-dead'));
    const runs = new Map<string, number>();
    const app = createApp({ brokerUrl: BROKER_URL, logger: countingLogger(), deadLetterQueue: dead });
    app.task('fault.record', (id: string) => {
      runs.set(id, (runs.get(id) ?? 0) + 1);
    });
    let rejected = 0;
    const worker = new Worker(app, { queues: [queue], concurrency: 8 });
    worker.on('message-rejected', () => rejected++);
    await worker.start();
    const connection = await amqp.connect(BROKER_URL);
    const channel = await connection.createConfirmChannel();
    const poison = 1000;
    const good = 1000;
    const confirmed = new Set<string>();
    try {
      const kinds = [
        { content: Buffer.from('{not json'), contentType: 'application/json', headers: { task: 'fault.record', id: 'p' } },
        { content: Buffer.from([0x80, 0x04, 0x95]), contentType: 'application/x-python-serialize', headers: { task: 'fault.record', id: 'p' } },
        { content: Buffer.from('[[],{},{}]'), contentType: 'application/json', headers: { task: 'no.such.task', id: 'p' } },
        { content: Buffer.from('!!python/object/apply:os.system ["id"]'), contentType: 'application/x-yaml', headers: { task: 'fault.record', id: 'p' } },
        { content: Buffer.from('{"__proto__": {"polluted": true}}'), contentType: 'application/json', headers: { task: 'fault.record', id: 'p' } },
      ];
      const sends = [];
      for (let i = 0; i < poison + good; i++) {
        if (i % 2 === 0) {
          const kind = kinds[(i / 2) % kinds.length]!;
          channel.sendToQueue(queue, kind.content, { contentType: kind.contentType, headers: { ...kind.headers, id: `poison-${i}` } });
        } else {
          const id = `good-${i}`;
          sends.push(app.sendTask('fault.record', [id], { queue, taskId: id, ignoreResult: true }).then(() => confirmed.add(id)));
        }
      }
      await channel.waitForConfirms();
      await Promise.all(sends);
      await waitUntil(() => rejected >= poison && [...confirmed].every((id) => runs.has(id)), 120_000);
      const figures = tally(confirmed, runs);
      record({ scenario: 'poison flood (1000 bad among 1000 good)', sent: good, confirmed: confirmed.size, ...figures, recovered: `${rejected} poison rejected, worker alive`, seconds: (Date.now() - started) / 1000 });
      expect(figures.lost).toBe(0);
      expect(rejected).toBe(poison);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect((await broker.counts(queue)).messageCount).toBe(0);
      await BrokerFixture.eventually(async () => (await broker.counts(dead)).messageCount === poison, 'every poison message dead-lettered');
    } finally {
      await connection.close().catch(() => undefined);
      await worker.stop();
      await app.close();
    }
  }, 600_000);
});
