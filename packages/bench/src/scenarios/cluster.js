'use strict';
/**
 * 8. Cluster: confirmed publish and drain on the 3-node RabbitMQ cluster of `pnpm cluster`
 * (rmq1…rmq3 on 127.0.0.1:5681–5683), three ways in each round, in an order reversed every round:
 * raw amqplib on a quorum queue, taskq on a quorum queue, taskq on a classic queue (declared as
 * taskq declares one by default: durable, x-max-priority 10). Everything connects to rmq1, where
 * each queue is declared, so rmq1 is the quorum queues' leader and the classic queues' home; the
 * quorum queues replicate to rmq2 and rmq3. taskq uses a queue that exists as it is (passive check
 * first), so the quorum queues are pre-declared here with raw amqplib and taskq runs unchanged.
 * Each run has its own queue, deleted after it. Starts the cluster if it is down, and stops it at
 * the end only if it started it. BENCH_CLUSTER_N messages per run (20,000; --quick 5,000).
 */
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { createApp } = require('@taskq/core');
const { deleteQueue, queueName, withChannel } = require('../lib/broker');
const { ROOT, rawConsumer, taskqWorker } = require('../lib/processes');
const { progress, record } = require('../lib/report');
const { median } = require('../lib/stats');
const { drainOnce } = require('./drain');
const { quiet, rawPublish, taskqPublish, WINDOW } = require('./publish');

/** rmq1 only: a single URL (taskq's URL lists are a separate piece of work). */
const CLUSTER_URL = 'amqp://guest:guest@127.0.0.1:5681';
const CLUSTER_PORTS = [5681, 5682, 5683];
const CLUSTER_SCRIPT = path.join(ROOT, 'scripts', 'rabbitmq-cluster.js');
const { portOpen } = require(CLUSTER_SCRIPT);
const QUORUM = { durable: true, arguments: { 'x-queue-type': 'quorum' } };
/** taskq's default declaration; a quorum queue refuses x-max-priority. */
const CLASSIC = { durable: true, maxPriority: 10 };

/**
 * The drains: as scenario 2's first (prefetch 2, ack each: a round trip per task, which on a quorum
 * queue includes the replicated settle) and its deep one (prefetch 100; taskq acks in batches).
 */
const DRAIN_SHAPES = [
  { name: 'prefetch 2', prefetch: 2, taskq: { concurrency: 2 }, note: 'taskq worker -c 2 vs amqplib consumer (prefetch 2, ack each)' },
  {
    name: 'prefetch 100',
    prefetch: 100,
    taskq: { concurrency: 2, extra: ['--prefetch-multiplier', '50'] },
    note: 'taskq worker -c 2 --prefetch-multiplier 50 (batched multiple acks) vs amqplib consumer (prefetch 100, ack each)',
  },
];

/** The three sides, in round 1's order; even rounds run them in reverse. */
const SIDES = [
  { key: 'rawQuorum', label: 'raw amqplib → quorum', queueOptions: QUORUM },
  { key: 'taskqQuorum', label: 'taskq → quorum', queueOptions: QUORUM },
  { key: 'taskqClassic', label: 'taskq → classic', queueOptions: CLASSIC },
];

function clusterScript(command) {
  const result = spawnSync(process.execPath, [CLUSTER_SCRIPT, command], { encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`rabbitmq-cluster.js ${command} failed: ${(result.stderr || result.stdout || '').trim()}`);
  return result.stdout.trim();
}

/** Start whichever nodes are down; true when none was running (so this scenario stops it again). */
async function ensureCluster() {
  const up = await Promise.all(CLUSTER_PORTS.map(portOpen));
  if (up.every(Boolean)) return false;
  progress(`8) starting the 3-node cluster (${up.filter(Boolean).length} of 3 nodes were up): node scripts/rabbitmq-cluster.js start`);
  progress(`   ${clusterScript('start').split('\n').join('\n   ')}`);
  return !up.some(Boolean);
}

/** Every queue this scenario names, deleted again at the end (a run cut short may leave its own). */
const named = new Set();
const clusterQueue = (what) => {
  const queue = queueName(what);
  named.add(queue);
  return queue;
};

/**
 * The cluster is shared (the tests kill and restart its nodes): a measurement that fails because a
 * node went away is taken again once all three nodes answer, up to twice.
 */
async function measureOnHealthyCluster(side, measure) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await measure(side);
    } catch (err) {
      if (attempt === 3) throw err;
      progress(
        `   ${side.label}: ${String(err?.message ?? err)
          .split('\n')[0]
          .slice(0, 160)}; measuring again once the 3 nodes answer`,
      );
      const deadline = Date.now() + 180_000;
      while (!(await Promise.all(CLUSTER_PORTS.map(portOpen))).every(Boolean)) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      await new Promise((resolve) => setTimeout(resolve, 10_000)); // a restarted node takes a few seconds to rejoin
    }
  }
}

/** A fresh queue on rmq1, declared `queueOptions`, deleted after `run(queue)`. */
async function inFreshQueue(what, queueOptions, run) {
  const queue = clusterQueue(what);
  try {
    await withChannel((ch) => ch.assertQueue(queue, queueOptions), CLUSTER_URL);
    return await run(queue);
  } finally {
    await deleteQueue(queue, CLUSTER_URL);
  }
}

/** `rounds` rounds of the three sides, the order reversed every round; per round, a result per side. */
async function inRounds(rounds, measure) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? SIDES : [...SIDES].reverse();
    const pair = {};
    for (const side of order) pair[side.key] = await measureOnHealthyCluster(side, measure);
    results.push(pair);
    progress(
      `   round ${round + 1}: ${SIDES.map((side) => `${side.label} ${Math.round(pair[side.key].rate).toLocaleString('en')}`).join(', ')}/s`,
    );
  }
  const pick = (key) => results.map((pair) => pair[key].rate);
  const ratios = (over, under) => results.map((pair) => pair[over].rate / pair[under].rate);
  return { results, rate: (key) => median(pick(key)), ratios, medianRatio: (over, under) => median(ratios(over, under)) };
}

function recordPair(scenario, unit, compared, what, note = '') {
  record({
    scenario,
    metric: `${unit}, quorum queue, taskq ÷ raw amqplib${what}`,
    taskq: compared.rate('taskqQuorum'),
    reference: compared.rate('rawQuorum'),
    unit,
    ratio: compared.medianRatio('taskqQuorum', 'rawQuorum'),
    spread: compared.ratios('taskqQuorum', 'rawQuorum'),
    note: `both on a quorum queue (leader rmq1, 2 followers), connected to rmq1${note ? `; ${note}` : ''}`,
  });
  record({
    scenario,
    metric: `${unit}, taskq, quorum ÷ classic queue${what}`,
    taskq: compared.rate('taskqQuorum'),
    reference: compared.rate('taskqClassic'),
    unit,
    ratio: compared.medianRatio('taskqQuorum', 'taskqClassic'),
    spread: compared.ratios('taskqQuorum', 'taskqClassic'),
    chart: false,
    note: 'reference here: taskq on a classic queue (durable, x-max-priority 10) on rmq1 — what replication costs',
  });
}

async function clusterScenario({ quick, rounds }) {
  const n = Number(process.env.BENCH_CLUSTER_N ?? (quick ? 5_000 : 20_000));
  const started = await ensureCluster();
  const app = createApp({ brokerUrl: CLUSTER_URL, resultBackend: 'disabled', logger: quiet() });
  try {
    const publishOnce = (side, count) =>
      inFreshQueue(`cluster-pub-${side.key}`, side.queueOptions, (queue) =>
        side.key === 'rawQuorum'
          ? rawPublish(queue, count, WINDOW, { url: CLUSTER_URL, queueOptions: side.queueOptions })
          : taskqPublish(app, queue, count),
      );
    // Warm up connections, topology and the JIT on both sides first.
    for (const side of SIDES) await publishOnce(side, 2000);
    progress(`8) cluster: publish ${n} confirmed persistent messages, batches of ${WINDOW}, quorum vs classic, ${rounds} rounds`);
    const published = await inRounds(rounds, (side) => publishOnce(side, n));
    recordPair('8 cluster publish', 'msg/s', published, `, batches of ${WINDOW}`);

    for (const shape of DRAIN_SHAPES) {
      progress(`8) cluster: drain ${n} no-op tasks, ${shape.name}, quorum vs classic, ${rounds} rounds`);
      const drained = await inRounds(rounds, (side) =>
        drainOnce(
          n,
          'json',
          (queue) =>
            side.key === 'rawQuorum'
              ? rawConsumer(queue, { prefetch: shape.prefetch, broker: CLUSTER_URL })
              : taskqWorker([queue], { ...shape.taskq, broker: CLUSTER_URL }),
          { url: CLUSTER_URL, queueOptions: side.queueOptions, queue: clusterQueue(`cluster-drain-${side.key}`) },
        ),
      );
      recordPair('8 cluster drain', 'tasks/s', drained, `, ${shape.name}`, shape.note);
    }
  } finally {
    await app.close();
    for (const queue of named) await deleteQueue(queue, CLUSTER_URL);
    named.clear();
    if (started) {
      progress('8) stopping the cluster this scenario started');
      clusterScript('stop');
    }
  }
}

module.exports = { clusterScenario, CLUSTER_URL };
