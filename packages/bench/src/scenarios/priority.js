'use strict';
/**
 * 4. Priority under a backlog: `n` low-priority tasks queued, a busy worker, then high-priority
 * tasks. Measured in-process, where the worker can see which task starts when.
 */
const { createApp } = require('@taskq/core');
const { Worker } = require('@taskq/worker');
const { deleteQueue, prefill, queueName } = require('../lib/broker');
const { progress, record } = require('../lib/report');
const { quiet } = require('./publish');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function priorityScenario({ n }) {
  const CONCURRENCY = 2;
  const HIGH = 5;
  progress(`4) priority: ${n} low (priority 1) queued, worker concurrency ${CONCURRENCY} busy, then ${HIGH} high (priority 9)`);
  const queue = queueName('prio');
  await prefill(queue, n, { task: 'bench.sleep', args: ['low'], priority: 1 });
  const producer = createApp({ resultBackend: 'disabled', logger: quiet() });
  const workerApp = createApp({ resultBackend: 'disabled', logger: quiet() });
  let lowStarted = 0;
  const highStarted = new Map();
  workerApp.task('bench.sleep', async (label) => {
    if (label === 'low') lowStarted++;
    else highStarted.set(label, { at: performance.now(), lowStarted });
    await sleep(5);
    return null;
  });
  const worker = new Worker(workerApp, { queues: [queue], concurrency: CONCURRENCY, drainTimeoutMs: 1000 });
  await worker.start();
  try {
    await sleep(500);
    const sent = [];
    for (let i = 0; i < HIGH; i++) {
      await producer.sendTask('bench.sleep', [`high-${i}`], { queue, priority: 9, ignoreResult: true });
      sent.push({ label: `high-${i}`, at: performance.now(), lowStarted });
      await sleep(50);
    }
    while (highStarted.size < HIGH) await sleep(10);
    const overtaken = sent.map((s) => highStarted.get(s.label).lowStarted - s.lowStarted);
    const waits = sent.map((s) => highStarted.get(s.label).at - s.at);
    const worst = Math.max(...overtaken);
    record({
      scenario: '4 priority',
      metric: 'low tasks started after a high one was confirmed (worst)',
      taskq: worst,
      unit: 'tasks',
      target: `≤ concurrency (${CONCURRENCY})`,
      met: worst <= CONCURRENCY,
      note: `per high task: ${overtaken.join(', ')} (negative: it started before its confirm reached the producer); backlog ${n}`,
    });
    record({
      scenario: '4 priority',
      metric: 'confirm → start (worst)',
      taskq: Math.max(...waits),
      unit: 'ms',
      note: `per high task: ${waits.map((w) => w.toFixed(1)).join(', ')}; low tasks take 5 ms`,
    });
  } finally {
    await worker.stop();
    await workerApp.close();
    await producer.close();
    await deleteQueue(queue);
  }
}

module.exports = { priorityScenario };
