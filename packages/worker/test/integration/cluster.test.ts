import * as amqp from 'amqplib';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppOptions, createApp, every, silentLogger, type TaskqApp } from '@taskq/core';
import { Beat, Worker } from '../../src';
import { uniqueName } from '../../../../test/support/broker';
import {
  CLUSTER_NODES,
  clusterUrls,
  deleteClusterQueues,
  ensureCluster,
  killNodeNow,
  leaderOf,
  restartNode,
} from '../../../../test/support/cluster';

/** The cluster script calls RabbitMQ's own binaries; without a local RabbitMQ install there is no cluster. */
const HAVE_RABBITMQ = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server');
const describeCluster = HAVE_RABBITMQ ? describe : describe.skip;
if (!HAVE_RABBITMQ) console.warn('Skipping the cluster tests: no RabbitMQ install at /usr/lib/rabbitmq (pnpm cluster needs one).');

/**
 * taskq on the local 3-node cluster (`pnpm cluster`: 127.0.0.1:5681–5683, beside the main broker):
 * quorum queues declared and consumed, priority bands under a backlog, and countdowns that
 * survive a node's death. Each test on its own queues, deleted afterwards; the cluster is started
 * when it is down and left running.
 */
describeCluster('taskq on a 3-node RabbitMQ cluster', () => {
  const cleanups: Array<() => Promise<void>> = [];
  const queues: string[] = [];

  beforeAll(() => ensureCluster(), 180_000);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
    await deleteClusterQueues(queues.splice(0));
  });

  /** A queue name for this test, deleted afterwards (with its band queues). */
  function queueName(prefix: string, bands: string[] = []): string {
    const name = uniqueName(prefix);
    queues.push(name, ...bands.map((band) => `${name}.${band}`));
    return name;
  }

  /** An app on the cluster (nodes from `first` round) over a routing directory holding `files`. */
  function appWith(first: 1 | 2 | 3, files: Record<string, string>, dead: string, options: AppOptions = {}): TaskqApp {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-cluster-'));
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    const app = createApp({
      brokerUrl: clusterUrls(first),
      logger: silentLogger,
      config: dir,
      deadLetterQueue: dead,
      resultBackend: 'disabled',
      ...options,
    });
    cleanups.push(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return app;
  }

  function start(app: TaskqApp, queue: string, concurrency: number): Promise<Worker> {
    const worker = new Worker(app, { queues: [queue], concurrency, drainTimeoutMs: 5000 });
    cleanups.unshift(() => worker.stop());
    return worker.start().then(() => worker);
  }

  it('declares a quorum queue from a routing file, and a worker on another node consumes it', async () => {
    const queue = queueName('cluster-quorum');
    const dead = queueName('cluster-quorum-dead');
    const routes = { 'q.yaml': `queue: ${queue}\nqueueType: quorum\ntasks: [cluster.*]\n` };
    const producer = appWith(1, routes, dead);
    const consumer = appWith(2, routes, dead);
    const ran: number[] = [];
    consumer.task('cluster.add', (a: number, b: number) => {
      ran.push(a + b);
      return a + b;
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => producer.sendTask('cluster.add', [i, 1], { ignoreResult: true })));
    // A quorum queue has a leader (RabbitMQ places it on the declaring node); a classic one has none.
    expect(await leaderOf(queue)).toBe(1);
    // And it refuses a declaration as classic: the type is really quorum.
    expect(await redeclareClassic(queue)).toBe(406);
    await start(consumer, queue, 4);
    await eventually(() => ran.length === 20, 'all 20 tasks to run');
    expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('priority bands under a backlog: no more than `concurrency` lower tasks start ahead of a higher one', async () => {
    const queue = queueName('cluster-bands', ['p4-6', 'p7-9']);
    const dead = queueName('cluster-bands-dead');
    const routes = { 'q.yaml': `queue: ${queue}\nqueueType: quorum\nmaxPriority: 9\ntasks: [bands.*]\n` };
    const producer = appWith(1, routes, dead);
    const consumer = appWith(3, routes, dead);
    const concurrency = 2;
    const started: Array<{ id: string; at: number }> = [];
    consumer.task('bands.work', async (id: string) => {
      started.push({ id, at: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, 40));
    });
    // A backlog of 40 low tasks, in the lowest band (the queue itself).
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => producer.sendTask('bands.work', [`low-${i}`], { priority: 0, ignoreResult: true })),
    );
    await start(consumer, queue, concurrency);
    await eventually(() => started.length >= 10, 'ten low tasks to start');
    // Now urgent work, in the top and middle bands, while the backlog is being worked off.
    const confirmedAt = new Map<string, number>();
    await Promise.all(
      ['high-9', 'high-8', 'mid-5', 'high-7', 'mid-4'].map((id) =>
        producer
          .sendTask('bands.work', [id], { priority: Number(id.split('-')[1]), ignoreResult: true })
          .then(() => confirmedAt.set(id, Date.now())),
      ),
    );
    await eventually(() => started.length === 45, 'all 45 tasks to run');
    for (const [id, at] of confirmedAt) {
      const startedAt = started.find((entry) => entry.id === id)!.at;
      const overtaken = started.filter((entry) => entry.id.startsWith('low-') && entry.at > at && entry.at < startedAt);
      expect(overtaken.length).toBeLessThanOrEqual(concurrency);
    }
    // All five ran well ahead of the rest of the backlog (30 low tasks were still waiting when they came).
    const lastUrgent = Math.max(...[...confirmedAt.keys()].map((id) => started.findIndex((entry) => entry.id === id)));
    expect(lastUrgent).toBeLessThan(10 + 5 + 2 * concurrency + 5);
  });

  it('countdowns on a quorum queue survive the death of the node that declared the delay ladder', async () => {
    const queue = queueName('cluster-delays');
    const dead = queueName('cluster-delays-dead');
    const routes = { 'q.yaml': `queue: ${queue}\nqueueType: quorum\ntasks: [delays.*]\n` };
    // Node 1 declares the queue and the quorum delay ladder (their leaders start there); the
    // producer and the worker are connected to nodes 2 and 3.
    const declarer = appWith(1, routes, dead);
    await declarer.sendTask('delays.run', ['warm-up'], { countdown: 1, ignoreResult: true });
    const producer = appWith(2, routes, dead);
    const consumer = appWith(3, routes, dead);
    const ran = new Map<string, number>();
    consumer.task('delays.run', (id: string) => {
      ran.set(id, Date.now());
    });
    await start(consumer, queue, 4);
    const sentAt = Date.now();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => producer.sendTask('delays.run', [`d-${i}`], { countdown: 6, ignoreResult: true })),
    );
    killNodeNow(1);
    try {
      await eventually(
        () => Array.from({ length: 10 }, (_, i) => `d-${i}`).every((id) => ran.has(id)),
        'all 10 delayed tasks to run',
        60_000,
      );
      for (let i = 0; i < 10; i++) expect(ran.get(`d-${i}`)! - sentAt).toBeGreaterThanOrEqual(5000); // never early
    } finally {
      await restartNode(1);
    }
  }, 180_000);

  it("rpc results survive the death of the caller's node: the reply queue is a quorum queue too", async () => {
    const queue = queueName('cluster-rpc');
    const dead = queueName('cluster-rpc-dead');
    const routes = { '_defaults.yaml': 'queueType: quorum\n', 'q.yaml': `queue: ${queue}\ntasks: [rpc.*]\n` };
    // The caller on node 1 (its reply queue is declared there), the worker on node 2. The caller
    // reconnects only 5 s after losing node 1, so the result is published while it is away: a
    // transient classic reply queue died with node 1 and the result would be unroutable, lost.
    const caller = appWith(1, routes, dead, { resultBackend: 'rpc://', reconnect: { initialDelayMs: 5000 } });
    const consumer = appWith(2, routes, dead, { resultBackend: 'rpc://' });
    let started = false;
    consumer.task('rpc.slow', async (n: number) => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return n * 2;
    });
    await start(consumer, queue, 2);
    // (The caller's reply queue goes by itself: x-expires, 10 min after its consumer left.)
    const result = await caller.sendTask('rpc.slow', [21], { queue });
    await eventually(() => started, 'the task to start');
    killNodeNow(1); // the caller's node dies while the task runs; the caller moves to node 2
    try {
      await expect(result.get({ timeout: 30_000 })).resolves.toBe(42);
    } finally {
      await restartNode(1);
    }
  }, 180_000);

  it('beat on quorum queues: its state survives the death of the node leading the state queue', async () => {
    const queue = queueName('cluster-beat');
    const dead = queueName('cluster-beat-dead');
    const name = uniqueName('cb');
    queues.push(`taskq.beat.${name}.state`);
    const routes = { '_defaults.yaml': 'queueType: quorum\n', 'q.yaml': `queue: ${queue}\ntasks: [beat.*]\n` };
    /** A beat of group `name` on the cluster (nodes from `first` round), and the slots it sends. */
    const beatOn = (first: 1 | 2 | 3): { beat: Beat; sent: string[] } => {
      const app = appWith(first, routes, dead);
      app.schedule('tick', { schedule: every(1), task: 'beat.tick', options: { queue } });
      const beat = new Beat(app, { name, standbyPollMs: 200 });
      cleanups.unshift(() => beat.stop());
      const sent: string[] = [];
      beat.on('sent', (_entry, slot) => sent.push(slot.toISOString()));
      return { beat, sent };
    };
    const { beat: leader, sent } = beatOn(1);
    await leader.start();
    await eventually(() => sent.length >= 2, 'two slots sent');
    expect(await leaderOf(`taskq.beat.${name}.state`)).toBe(1); // a quorum queue, led by node 1
    await leader.stop();
    killNodeNow(1);
    try {
      // A beat on another node reads the state the first one left, through the surviving nodes.
      const { beat: follower, sent: resumed } = beatOn(2);
      await follower.start();
      await eventually(() => resumed.length >= 2, 'the second beat to send two slots', 30_000);
      // It went on from the state: no slot the first beat sent was sent again.
      expect(resumed.filter((slot) => sent.includes(slot))).toEqual([]);
    } finally {
      await restartNode(1);
    }
  }, 180_000);
});

async function eventually(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Declare `queue` as a classic queue: the AMQP reply code of the refusal, or 'ok'. */
async function redeclareClassic(queue: string): Promise<number | 'ok'> {
  const connection = await amqp.connect(CLUSTER_NODES[1]);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await channel.assertQueue(queue, { durable: true }).then(
      () => 'ok' as const,
      (err: { code?: number }) => err.code ?? -1,
    );
  } finally {
    await connection.close().catch(() => undefined);
  }
}
