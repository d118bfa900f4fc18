'use strict';
/** 3. Round trip: sendTask + get() against `taskq worker` (rpc:// results), sequential latency and 100 in flight. */
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { createApp } = require('@taskq/core');
const { buildTaskMessage, toPublishOptions } = require('@taskq/core/internal');
const { connect, deleteQueue, queueName } = require('../lib/broker');
const { start, taskqWorker, until } = require('../lib/processes');
const { progress, record } = require('../lib/report');
const { percentile, rate, sorted } = require('../lib/stats');
const { quiet } = require('./publish');

async function roundTripScenario({ quick }) {
  const sequential = quick ? 1000 : 5000;
  const concurrent = sequential * 3;
  progress(`3) round trip: ${sequential} sequential sendTask+get(), then ${concurrent} with 100 in flight (taskq worker -c 2, rpc://)`);
  const queue = queueName('rtt');
  const app = createApp({ resultBackend: 'rpc://', logger: quiet() });
  const worker = taskqWorker([queue], { concurrency: 2, resultBackend: 'rpc://' });
  try {
    const call = async (a) => (await app.sendTask('bench.add', [a, 1], { queue })).get({ timeout: 10_000 });
    await until(async () => (await call(0).catch(() => undefined)) === 1, 'the worker to answer', 30_000);
    for (let i = 0; i < 200; i++) await call(i); // warm-up
    const latencies = [];
    for (let i = 0; i < sequential; i++) {
      const started = performance.now();
      await call(i);
      latencies.push(performance.now() - started);
    }
    const s = sorted(latencies);
    const p50 = percentile(s, 0.5);
    const p99 = percentile(s, 0.99);
    const raw = sorted(await rawRoundTrips(sequential, app.serializers.get('json')));
    const note = 'raw: amqplib, the same persistent message published and confirmed, a bare responder process';
    record({
      scenario: '3 round trip',
      metric: 'p50 latency',
      taskq: p50,
      reference: percentile(raw, 0.5),
      unit: 'ms',
      target: '≤ 1 ms',
      met: p50 <= 1,
      chart: false,
      note: `sendTask (confirmed) + get(), sequential; ${note}`,
    });
    record({
      scenario: '3 round trip',
      metric: 'p99 latency',
      taskq: p99,
      reference: percentile(raw, 0.99),
      unit: 'ms',
      target: '≤ 5 ms',
      met: p99 <= 5,
      chart: false,
      note: 'a ratio > 1 means taskq takes longer',
    });
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next++ < concurrent) await call(1);
      }),
    );
    record({
      scenario: '3 round trip',
      metric: 'throughput, 100 calls in flight',
      taskq: rate(concurrent, performance.now() - started),
      unit: 'calls/s',
      note: 'one producer process, taskq worker -c 2',
    });
  } finally {
    await worker.stop();
    await app.close();
    await deleteQueue(queue);
  }
}

/**
 * The floor the broker sets: the same round trip in bare amqplib — publish the same persistent
 * task message on a confirm channel, wait for its confirm and for the reply of a bare responder.
 */
async function rawRoundTrips(count, json) {
  const queue = queueName('rtt-raw');
  const connection = await connect();
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, { durable: true, maxPriority: 10 });
  const { queue: replyTo } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  let replied = () => undefined;
  await channel.consume(replyTo, () => replied(), { noAck: true });
  const responder = start(process.execPath, [path.join(__dirname, '..', 'children', 'raw-responder.js'), queue]);
  const once = (i) => {
    const message = buildTaskMessage({ id: randomUUID(), name: 'bench.add', args: [i, 1], kwargs: {}, replyTo }, json);
    const reply = new Promise((resolve) => (replied = resolve));
    const confirm = new Promise((resolve, reject) =>
      channel.publish('', queue, message.content, toPublishOptions(message), (err) => (err ? reject(err) : resolve())),
    );
    return Promise.all([confirm, reply]);
  };
  try {
    for (let i = 0; i < 200; i++) await once(i);
    const latencies = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await once(i);
      latencies.push(performance.now() - started);
    }
    return latencies;
  } finally {
    await responder.stop();
    await connection.close();
    await deleteQueue(queue);
  }
}

module.exports = { roundTripScenario };
