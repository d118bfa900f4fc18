'use strict';
/** 3. Round trip: sendTask + get() against `taskq worker` (rpc:// results), sequential latency and 100 in flight. */
const { createApp } = require('@taskq/core');
const { deleteQueue, queueName } = require('../lib/broker');
const { taskqWorker, until } = require('../lib/processes');
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
    record({ scenario: '3 round trip', metric: 'p50 latency', taskq: p50, unit: 'ms', target: '≤ 1 ms', met: p50 <= 1, note: 'sendTask (confirmed) + get(), sequential' });
    record({ scenario: '3 round trip', metric: 'p99 latency', taskq: p99, unit: 'ms', target: '≤ 5 ms', met: p99 <= 5 });
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: 100 }, async () => {
      while (next++ < concurrent) await call(1);
    }));
    record({ scenario: '3 round trip', metric: 'throughput, 100 calls in flight', taskq: rate(concurrent, performance.now() - started), unit: 'calls/s', note: 'one producer process, taskq worker -c 2' });
  } finally {
    await worker.stop();
    await app.close();
    await deleteQueue(queue);
  }
}

module.exports = { roundTripScenario };
