'use strict';
/** 2. Drain a pre-filled queue of no-op tasks: `taskq worker` against a bare amqplib consumer, both separate processes. */
const { deleteQueue, prefill, queueName, watchDrain } = require('../lib/broker');
const { cpuSeconds, rawConsumer, taskqWorker } = require('../lib/processes');
const { compareInRounds } = require('../lib/rounds');
const { progress, record } = require('../lib/report');
const { rate } = require('../lib/stats');

/**
 * Fill a fresh queue, start `launch(queue)`, time the drain from the first message taken to the last.
 * `url`, `queueOptions` and `what` or `queue` (the queue's name) are for the cluster scenario; the
 * defaults are the main broker and taskq's own queue declaration.
 */
async function drainOnce(n, serializer, launch, { url, queueOptions, what = `drain-${serializer}`, queue = queueName(what) } = {}) {
  await prefill(queue, n, { serializer, url, queueOptions });
  const consumer = launch(queue);
  let cpuAtStart = 0;
  let cpuAtEnd = 0;
  try {
    const ms = await watchDrain(queue, n, {
      onStart: () => (cpuAtStart = cpuSeconds(consumer.pid)),
      onEnd: () => (cpuAtEnd = cpuSeconds(consumer.pid)),
      alive: consumer.alive,
      url,
    });
    return { rate: rate(n, ms), cpuUs: ((cpuAtEnd - cpuAtStart) * 1e6) / n };
  } catch (err) {
    throw new Error(`${err.message}; consumer output: ${consumer.output.slice(-1500)}`);
  } finally {
    await consumer.stop();
    await deleteQueue(queue, url);
  }
}

async function drainScenario({ n, rounds }) {
  const PREFETCH = 2;
  for (const serializer of ['json', 'msgpack', 'yaml']) {
    progress(`2) drain ${n} no-op tasks (${serializer}), prefetch ${PREFETCH}, ack after each, ${rounds} rounds`);
    const compared = await compareInRounds(rounds, {
      reference: () => drainOnce(n, serializer, (queue) => rawConsumer(queue, { serializer, prefetch: PREFETCH })),
      taskq: () => drainOnce(n, serializer, (queue) => taskqWorker([queue], { concurrency: PREFETCH })),
    });
    const ratio = compared.medianRatio('rate');
    record({
      scenario: `2 drain ${serializer}`,
      metric: `tasks/s, prefetch ${PREFETCH}`,
      taskq: compared.taskq('rate'),
      reference: compared.reference('rate'),
      unit: 'tasks/s',
      ratio,
      spread: compared.ratios('rate'),
      target: '≥ 0.9×',
      met: ratio >= 0.9,
      note: `taskq worker -c ${PREFETCH} vs amqplib consumer (prefetch ${PREFETCH}, decode, ack each)`,
    });
    record({
      scenario: `2 drain ${serializer}`,
      metric: 'consumer CPU per task',
      taskq: compared.taskq('cpuUs'),
      reference: compared.reference('cpuUs'),
      unit: 'µs',
      ratio: compared.medianRatio('cpuUs'),
      chart: false,
      note: 'lower is better; the overhead taskq adds per task',
    });
  }

  // Where taskq beats a bare consumer: a deeper prefetch with batched multiple acks.
  const multiplier = 50;
  const prefetch = PREFETCH * multiplier;
  const batchedRounds = Math.max(1, rounds - 1);
  progress(`2) drain ${n} json tasks, prefetch ${prefetch}: taskq --prefetch-multiplier ${multiplier} vs raw, ${batchedRounds} rounds`);
  const deep = (queue) => taskqWorker([queue], { concurrency: PREFETCH, extra: ['--prefetch-multiplier', String(multiplier)] });
  const naive = await compareInRounds(batchedRounds, {
    reference: () => drainOnce(n, 'json', (queue) => rawConsumer(queue, { prefetch })),
    taskq: () => drainOnce(n, 'json', deep),
  });
  record({
    scenario: '2 drain json',
    metric: `tasks/s, prefetch ${prefetch}, vs raw acking each`,
    taskq: naive.taskq('rate'),
    reference: naive.reference('rate'),
    unit: 'tasks/s',
    ratio: naive.medianRatio('rate'),
    spread: naive.ratios('rate'),
    target: '> 1× (beat a naive consumer)',
    met: naive.medianRatio('rate') > 1,
    note: `taskq worker -c ${PREFETCH} --prefetch-multiplier ${multiplier} (batched multiple acks) vs amqplib consumer at prefetch ${prefetch} acking each`,
  });
  const batched = await compareInRounds(batchedRounds, {
    reference: () => drainOnce(n, 'json', (queue) => rawConsumer(queue, { prefetch, ackEvery: 50 })),
    taskq: () => drainOnce(n, 'json', deep),
  });
  record({
    scenario: '2 drain json',
    metric: `tasks/s, prefetch ${prefetch}, vs raw multiple-ack`,
    taskq: batched.taskq('rate'),
    reference: batched.reference('rate'),
    unit: 'tasks/s',
    ratio: batched.medianRatio('rate'),
    spread: batched.ratios('rate'),
    note: 'reference: amqplib consumer at the same prefetch, one multiple ack per 50 messages',
  });

  progress(`2) drain ${n} json tasks with taskq's default log level (info: a line per task)`);
  const logged = await compareInRounds(1, {
    reference: () => drainOnce(n, 'json', (queue) => rawConsumer(queue, { prefetch: PREFETCH })),
    taskq: () => drainOnce(n, 'json', (queue) => taskqWorker([queue], { concurrency: PREFETCH, loglevel: 'info' })),
  });
  record({
    scenario: '2 drain json',
    metric: `tasks/s, prefetch ${PREFETCH}, -l info`,
    taskq: logged.taskq('rate'),
    reference: logged.reference('rate'),
    unit: 'tasks/s',
    ratio: logged.medianRatio('rate'),
    note: 'taskq writes "Task … succeeded" per task to stderr (Celery does too at INFO); 1 round',
  });
}

module.exports = { drainScenario, drainOnce };
