'use strict';
/**
 * 1. Publish: confirmed, persistent Celery-shaped messages to a durable queue, in two shapes a
 * producer script uses — batches of 500 awaited with `Promise.all`, and everything in flight at
 * once — each against raw amqplib putting the same bytes on the wire in the same run.
 */
const os = require('node:os');
const { randomUUID } = require('node:crypto');
const { createApp } = require('@taskq/core');
const { BROKER_URL, SOCKET, connect, deleteQueue, queueName } = require('../lib/broker');
const { compareInRounds } = require('../lib/rounds');
const { progress, record } = require('../lib/report');
const { rate } = require('../lib/stats');

/** Messages per awaited batch in the batched shape (and the default window elsewhere). */
const WINDOW = 500;

/** The two shapes: `window` messages in flight, awaited together before the next batch. */
const shapes = (n) => [
  { name: `batches of ${WINDOW}`, window: WINDOW },
  { name: 'all in flight', window: n },
];

/**
 * Raw: an amqplib ConfirmChannel publishing `window` messages, then `waitForConfirms`. Each message
 * gets its own id, headers and encoded body, as a producer must — the same Celery protocol v2
 * headers and properties taskq sends (Celery 5.3's included, `mandatory` too), so both sides put
 * the same bytes on the wire. `url` and `queueOptions` default to the main broker and taskq's own
 * declaration (the cluster scenario passes its node and a quorum queue's).
 */
async function rawPublish(queue, count, window = WINDOW, { url = BROKER_URL, queueOptions = { durable: true, maxPriority: 10 } } = {}) {
  const connection = await connect(SOCKET, url);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, queueOptions);
  const origin = `gen${process.pid}@${os.hostname()}`;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let sent = 0; sent < count; sent += window) {
    for (let i = 0; i < Math.min(window, count - sent); i++) {
      const id = randomUUID();
      const body = Buffer.from(JSON.stringify([[1, 2], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]));
      channel.publish('', queue, body, {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        correlationId: id,
        headers: {
          lang: 'js',
          task: 'bench.noop',
          id,
          shadow: null,
          eta: null,
          expires: null,
          group: null,
          group_index: null,
          retries: 0,
          timelimit: [null, null],
          root_id: id,
          parent_id: null,
          argsrepr: '[1,2]',
          kwargsrepr: '{}',
          origin,
          ignore_result: true,
          replaced_task_nesting: 0,
          stamped_headers: null,
          stamps: {},
        },
        deliveryMode: 2,
        mandatory: true,
      });
    }
    await channel.waitForConfirms();
  }
  const result = measured(count, started, cpu);
  await connection.close();
  return result;
}

/** taskq: `app.sendTask(name, args, { queue, ignoreResult: true })` as a user writes a bulk send, `window` promises at a time. */
async function taskqPublish(app, queue, count, window = WINDOW) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let sent = 0; sent < count; sent += window) {
    const batch = [];
    for (let i = 0; i < Math.min(window, count - sent); i++) {
      batch.push(app.sendTask('bench.noop', [1, 2], { queue, ignoreResult: true }));
    }
    await Promise.all(batch);
  }
  return measured(count, started, cpu);
}

function measured(count, started, cpu) {
  const used = process.cpuUsage(cpu);
  return { rate: rate(count, performance.now() - started), cpuUs: (used.user + used.system) / count };
}

async function publishScenario({ n, rounds }) {
  const app = createApp({ resultBackend: 'disabled', logger: quiet() });
  // Each run gets a fresh queue, deleted right after, so no run pays for an earlier one's backlog.
  const inFreshQueue = async (what, run) => {
    const queue = queueName(what);
    try {
      return await run(queue);
    } finally {
      await deleteQueue(queue);
    }
  };
  // Both sides warm up first (connections, topology, the JIT), so no round pays for a cold start.
  await inFreshQueue('pub-warm', (queue) => taskqPublish(app, queue, 5000));
  await inFreshQueue('pub-warm', (queue) => rawPublish(queue, 5000));
  for (const shape of shapes(n)) {
    progress(`1) publish ${n} confirmed persistent messages, ${shape.name}, ${rounds} rounds`);
    const compared = await compareInRounds(rounds, {
      reference: () => inFreshQueue('pub-raw', (queue) => rawPublish(queue, n, shape.window)),
      taskq: () => inFreshQueue('pub-taskq', (queue) => taskqPublish(app, queue, n, shape.window)),
    });
    const ratio = compared.medianRatio('rate');
    record({
      scenario: '1 publish',
      metric: `confirmed msg/s, ${shape.name}`,
      taskq: compared.taskq('rate'),
      reference: compared.reference('rate'),
      unit: 'msg/s',
      ratio,
      spread: compared.ratios('rate'),
      target: '≥ 0.9×',
      met: ratio >= 0.9,
    });
    const cpuRatio = compared.medianRatio('cpuUs');
    record({
      scenario: '1 publish',
      metric: `producer CPU per message, ${shape.name}`,
      taskq: compared.taskq('cpuUs'),
      reference: compared.reference('cpuUs'),
      unit: 'µs',
      ratio: cpuRatio,
      spread: compared.ratios('cpuUs'),
      target: '≤ 1.2×',
      met: cpuRatio <= 1.2,
      note: 'lower is better; ratio > 1 = taskq uses more CPU',
      chart: false,
    });
  }
  await app.close();
}

function quiet() {
  const nothing = () => undefined;
  return { debug: nothing, info: nothing, warn: nothing, error: (message) => console.error(String(message)), isLevelEnabled: () => false };
}

module.exports = { publishScenario, rawPublish, taskqPublish, quiet, WINDOW };
