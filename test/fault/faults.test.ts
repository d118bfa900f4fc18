import * as amqp from 'amqplib';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type TaskqApp } from '@taskq/core';
import { Worker } from '@taskq/worker';
import { BROKER_URL, BrokerFixture, uniqueName } from '../support/broker';
import { CliProcess, FIXTURES } from '../../apps/cli/test/support/cli-process';
import { rabbitmq } from './broker-control';
import { reconnectLogger } from './counting-logger';
import { countReasons, drainDeadLetters } from './dead-letters';
import { record, tally } from './fault-report';
import { runHostileFlood, runHostileInWorkerProcess } from './hostile-flood';
import { DEEP_YAML_KIND, HOSTILE_KINDS } from './hostile-messages';
import { runPoisonCrash } from './poison-crash';
import { runBeatOutage } from './beat-outage';
import { runClusterFailover, type ClusterFault } from './cluster-failover';
import { expectedValue, runRedisOutage } from './redis-outage';
import { waitUntil } from './waiting';

/**
 * The fault suite: real broker restarts, dropped connections, killed workers, a Redis outage, a
 * task that kills its worker, and floods of hostile messages, counting confirmed task ids that
 * never ran (lost, must be 0), ids that ran twice, results stored or falsely reported, and dead
 * letters by reason. It restarts RabbitMQ, so it runs on its own (`pnpm fault`), never beside
 * other tests. Each scenario records a row of the table `summary.js` prints.
 */
const TASKS = Number(process.env['FAULT_TASKS'] ?? 3000);

/** Send `total` tasks with at most `window` in flight; `onProgress` sees the confirmed count. */
async function sendAll(
  app: TaskqApp,
  queue: string,
  total: number,
  onProgress: (confirmed: number) => void,
): Promise<{ confirmed: Set<string>; failed: number }> {
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
    const dead = broker.queue(uniqueName('fault-dead'));
    const runs = new Map<string, number>();
    const workerLog = reconnectLogger();
    const producerLog = reconnectLogger();
    const consumerApp = createApp({ brokerUrl: BROKER_URL, logger: workerLog, deadLetterQueue: dead });
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
        scenario,
        sent: TASKS,
        ...figures,
        deadLettered: countReasons(await drainDeadLetters(broker, dead)),
        notes: `${workerLog.counts.reconnects + producerLog.counts.reconnects} reconnects, ${failed} sends rejected (not counted as lost)`,
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
    const app = createApp({ brokerUrl: BROKER_URL, logger: reconnectLogger(), sendTimeoutMs: 3000 });
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
      new CliProcess(
        [
          'worker',
          '--app',
          join(FIXTURES, 'record-tasks.ts'),
          '--queue',
          queue,
          '--concurrency',
          '4',
          '--broker',
          BROKER_URL,
          '--loglevel',
          'info',
        ],
        { FAULT_RECORD_FILE: file },
      );
    const workers = [spawnWorker(), spawnWorker()];
    const producer = createApp({ brokerUrl: BROKER_URL, logger: reconnectLogger() });
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
      // Dead letters go to the fixture's default queue (taskq.dead), shared: not watched here.
      record({
        scenario: 'kill -9 of 2 workers mid-run',
        sent: total,
        ...figures,
        notes: `${kills} workers killed, redelivered`,
        seconds: (Date.now() - started) / 1000,
      });
      expect(figures.lost).toBe(0);
      // Duplicates are bounded by what the killed workers held: their prefetch (concurrency 4) each.
      expect(figures.ranTwice).toBeLessThanOrEqual(kills * 4);
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
    const app = createApp({ brokerUrl: BROKER_URL, logger: reconnectLogger(), deadLetterQueue: dead });
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
        {
          content: Buffer.from([0x80, 0x04, 0x95]),
          contentType: 'application/x-python-serialize',
          headers: { task: 'fault.record', id: 'p' },
        },
        { content: Buffer.from('[[],{},{}]'), contentType: 'application/json', headers: { task: 'no.such.task', id: 'p' } },
        {
          content: Buffer.from('!!python/object/apply:os.system ["id"]'),
          contentType: 'application/x-yaml',
          headers: { task: 'fault.record', id: 'p' },
        },
        {
          content: Buffer.from('{"__proto__": {"polluted": true}}'),
          contentType: 'application/json',
          headers: { task: 'fault.record', id: 'p' },
        },
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
      await BrokerFixture.eventually(async () => (await broker.counts(dead)).messageCount === poison, 'every poison message dead-lettered');
      const figures = tally(confirmed, runs);
      const deadLettered = countReasons(await drainDeadLetters(broker, dead));
      record({
        scenario: 'poison flood (1000 bad among 1000 good)',
        sent: poison + good,
        ...figures,
        deadLettered,
        notes: `${rejected} poison rejected, worker alive`,
        seconds: (Date.now() - started) / 1000,
      });
      expect(figures.lost).toBe(0);
      expect(rejected).toBe(poison);
      expect(deadLettered).toEqual({ malformed: 600, 'content-type': 200, 'unknown-task': 200 });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect((await broker.counts(queue)).messageCount).toBe(0);
    } finally {
      await connection.close().catch(() => undefined);
      await worker.stop();
      await app.close();
    }
  }, 600_000);

  it('Redis stopped for 3 s and started again under load: nothing runs twice, no false result', async () => {
    const run = await runRedisOutage(broker, {
      scenario: 'Redis stopped 3 s, restarted (empty)',
      tasks: 1000,
      lanes: 100,
      taskMs: 5,
      stopAfter: 300,
      outageMs: 3000,
      getTimeoutMs: 30_000,
      sendForMs: 60_000,
    });
    record(run.figures);
    expect(run.falseResults).toEqual([]);
    expect(run.figures.ranTwice).toBe(0); // 0 ran twice because of a storage fault
    expect(run.figures.lost).toBe(0);
    expect(run.figures.deadLettered).toEqual({});
    // A result not read is only acceptable when the worker stored it before Redis stopped (it left with Redis's data).
    expect(run.unresolved).toEqual(run.lostWithRedis);
    expect(run.figures.resultsStored! + run.lostWithRedis.length).toBe(1000);
    expect([run.outageWarnings, run.recoveryLines]).toEqual([1, 1]);
    expect(run.leftInQueue).toBe(0);
  }, 120_000);

  it('Redis down longer than resultStoreTimeoutMs: held results dead-lettered with the result kept, none run twice', async () => {
    const run = await runRedisOutage(broker, {
      scenario: 'Redis down 10 s > resultStoreTimeoutMs 2 s',
      tasks: 200,
      lanes: 16,
      taskMs: 50,
      stopAfter: 60,
      outageMs: 10_000,
      resultStoreTimeoutMs: 2000,
      getTimeoutMs: 20_000,
      sendForMs: 25_000,
    });
    record(run.figures);
    expect(run.falseResults).toEqual([]);
    expect(run.figures.ranTwice).toBe(0);
    expect(run.figures.lost).toBe(0);
    expect(run.deadLetters.length).toBeGreaterThan(0);
    for (const letter of run.deadLetters) {
      const headers = letter.properties.headers!;
      const id = String(headers['id']);
      expect(headers['x-taskq-reason']).toBe('result-backend-unavailable');
      expect(JSON.parse(String(headers['x-taskq-result']))).toMatchObject({ status: 'SUCCESS', task_id: id, result: expectedValue(id) });
      expect(run.runs.get(id)).toBe(1);
    }
    // Every result not read was dead-lettered with it kept (or stored before the stop, and lost with Redis's data).
    const deadIds = run.deadLetters.map((letter) => String(letter.properties.headers!['id']));
    expect(run.unresolved.filter((id) => !deadIds.includes(id))).toEqual(run.lostWithRedis);
    expect(run.figures.resultsStored! + run.deadLetters.length + run.lostWithRedis.length).toBe(200);
    expect(run.leftInQueue).toBe(0);
  }, 120_000);

  it('a poison task that kills its worker, among good ones: dead-lettered after max-redeliveries, every good task runs', async () => {
    const maxRedeliveries = 3;
    const run = await runPoisonCrash(broker, {
      scenario: 'crash.exit ×3 among 300 good (2 supervised workers)',
      good: 300,
      poison: 3,
      taskMs: 50,
      workers: 2,
      concurrency: 4,
      maxRedeliveries,
      timeoutMs: 50_000,
    });
    record(run.figures);
    expect(run.figures.lost).toBe(0);
    // Every poison task is dead-lettered as worker-crash. Known limit (docs/RELIABILITY.md): a good
    // task that had already run can occasionally be counted with it and dead-lettered too.
    expect(Object.keys(run.figures.deadLettered)).toEqual(['worker-crash']);
    const letterIds = new Set(run.deadLetters.map((letter) => String(letter.properties.headers!['id'])));
    for (const id of run.poisonIds) expect(letterIds.has(id)).toBe(true);
    expect(letterIds.size - run.poisonIds.length).toBeLessThanOrEqual(2);
    // maxRedeliveries counts deliveries to workers that died, not runs (docs/RELIABILITY.md, known
    // limits): usually exactly maxRedeliveries runs; fewer when a counted copy waiting for its turn to
    // run alone was caught in another poison task's crash (seen in CI: 3/2/3); a few more when a crash
    // lands between a counted copy's confirm and the original's ack. Bounded either way, never a loop.
    for (const id of run.poisonIds) {
      expect(run.poisonRuns.get(id)).toBeGreaterThanOrEqual(1);
      expect(run.poisonRuns.get(id)).toBeLessThanOrEqual(maxRedeliveries + 3);
    }
    // Each death is a crash.exit run (nothing else killed a worker).
    expect(run.deaths).toBe([...run.poisonRuns.values()].reduce((sum, n) => sum + n, 0));
    // A death re-runs at most what the dying worker had finished but not yet acked: its other slots.
    expect(run.figures.ranTwice).toBeLessThanOrEqual(run.deaths * 3);
    expect(run.leftInQueue).toBe(0);
  }, 150_000);

  it('a flood of hostile messages: each dead-lettered once with its reason, the worker lives, good tasks run once', async () => {
    const run = await runHostileFlood(broker, {
      scenario: `hostile flood (${HOSTILE_KINDS.length} kinds × 100)`,
      kinds: HOSTILE_KINDS,
      perKind: 100,
      goodPerPoison: 1,
      timeoutMs: 60_000,
    });
    record(run.figures);
    expect(run.wrongReasons).toEqual([]);
    expect(run.missing).toEqual([]);
    expect(run.repeated).toEqual([]);
    expect(run.rejected).toBe(run.poisonSent); // each handled once: no loop, no second delivery
    expect(run.figures.lost).toBe(0);
    expect(run.figures.ranTwice).toBe(0);
    expect(run.prototypeClean).toBe(true);
    expect(run.servesAfter).toBe(true);
    expect(run.leftInQueue).toBe(0);
  }, 120_000);

  it('YAML nested 3,000 deep does not kill a taskq worker process', async () => {
    const run = await runHostileInWorkerProcess(broker, DEEP_YAML_KIND, 20);
    record(run.figures);
    expect(run.alive).toBe(true);
    expect(run.wrongReasons).toEqual([]);
    expect(run.missing).toEqual([]);
    expect(run.repeated).toEqual([]);
    expect(run.figures.lost).toBe(0);
    expect(run.leftInQueue).toBe(0);
  }, 90_000);

  it('beat across a broker stop: no slot outside the outage lost, only the in-flight one sent twice', async () => {
    const run = await runBeatOutage(broker, 5000);
    record(run.figures);
    expect(run.missingOutside).toEqual([]);
    expect(run.duplicates.length).toBeLessThanOrEqual(1);
    expect(run.resumeSeconds).toBeLessThan(15);
  }, 180_000);

  describe('a 3-node RabbitMQ cluster (pnpm cluster: 127.0.0.1:5681-5683, beside the main broker)', () => {
    const CLUSTER_TASKS = Number(process.env['FAULT_CLUSTER_TASKS'] ?? 5000);
    const cases: Array<[string, ClusterFault]> = [
      ['kill -9 of the quorum leader node under publish and consume: nothing confirmed lost', 'leader'],
      ["kill -9 of the worker's node: it reconnects to another node and drains the queue", 'worker-node'],
      ['a killed follower restarted under load rejoins; nothing lost', 'restart'],
    ];
    it.each(cases)(
      '%s',
      async (_name, fault) => {
        const run = await runClusterFailover(fault, CLUSTER_TASKS);
        record(run);
        expect(run.lost).toBe(0);
        expect(run.confirmed + run.rejected).toBe(CLUSTER_TASKS);
        expect(run.confirmed).toBeGreaterThan(CLUSTER_TASKS / 2);
      },
      600_000,
    );
  });
});
