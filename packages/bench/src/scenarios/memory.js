'use strict';
/**
 * 5. Memory: the RSS of a `taskq worker` process over a long run (a producer process keeps a
 * backlog in front of it), and with a small vs a large backlog waiting.
 */
const path = require('node:path');
const { deleteQueue, depth, prefill, queueName } = require('../lib/broker');
const { rssMb, start, taskqWorker } = require('../lib/processes');
const { progress, record } = require('../lib/report');
const { slope } = require('../lib/stats');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function longRun(total) {
  progress(`5) memory: taskq worker -c 2 runs ${total.toLocaleString('en')} tasks fed by a producer process; RSS sampled every second`);
  const queue = queueName('mem');
  await prefill(queue, 20_000);
  const producer = start(process.execPath, [path.join(__dirname, '..', 'children', 'producer.js'), queue, String(total - 20_000), '50000']);
  const worker = taskqWorker([queue], { concurrency: 2 });
  const samples = []; // [tasks done, RSS MB]
  const began = performance.now();
  try {
    for (;;) {
      await sleep(1000);
      if (!worker.alive()) throw new Error(`the worker exited: ${worker.output.slice(-1500)}`);
      const left = await depth(queue);
      const sentMatch = /sent (\d+)\s*$/.exec(producer.output);
      const producerDone = producer.output.includes('done');
      // Tasks done ≈ everything published so far minus what is still queued.
      const published = producerDone ? total : 20_000 + (sentMatch ? Number(sentMatch[1]) : 0);
      samples.push([published - left, rssMb(worker.pid)]);
      if (samples.length % 30 === 0)
        progress(`   ${(published - left).toLocaleString('en')} tasks, worker RSS ${samples.at(-1)[1].toFixed(0)} MB`);
      if (producerDone && left === 0) break;
      if (!producer.alive() && !producerDone) throw new Error(`the producer failed: ${producer.output.slice(-1500)}`);
    }
  } finally {
    await producer.stop();
    await worker.stop();
    await deleteQueue(queue);
  }
  const seconds = (performance.now() - began) / 1000;
  const warm = samples.filter(([done]) => done >= 50_000);
  const secondHalf = warm.filter(([done]) => done >= total / 2);
  const perHundredK = slope(secondHalf) * 100_000;
  const rss = warm.map(([, mb]) => mb);
  record({
    scenario: '5 memory',
    metric: `worker RSS after 50k / peak / at the end of ${total.toLocaleString('en')} tasks`,
    taskq: `${rss[0].toFixed(0)} / ${Math.max(...rss).toFixed(0)} / ${rss.at(-1).toFixed(0)}`,
    unit: 'MB',
    note: `${Math.round(total / seconds)} tasks/s with the producer beside it`,
  });
  record({
    scenario: '5 memory',
    metric: 'RSS slope over the second half',
    taskq: perHundredK,
    unit: 'MB per 100k tasks',
    target: '≈ 0 (flat: under ±1)',
    met: Math.abs(perHundredK) < 1,
  });
}

/** RSS of a worker whose two slots are held, with `backlog` more messages waiting in its queue. */
async function rssWithBacklog(backlog) {
  const queue = queueName('mem-backlog');
  await prefill(queue, backlog, { task: 'bench.block' });
  const worker = taskqWorker([queue], { concurrency: 2, extra: ['--drain-timeout', '1'] });
  try {
    await sleep(3000);
    return rssMb(worker.pid);
  } finally {
    await worker.stop();
    await deleteQueue(queue);
  }
}

async function memoryScenario({ memN, quick }) {
  await longRun(memN);
  const large = quick ? 20_000 : 100_000;
  progress(`5) memory: worker RSS with 100 vs ${large.toLocaleString('en')} messages waiting`);
  const small = await rssWithBacklog(100);
  const big = await rssWithBacklog(large);
  record({
    scenario: '5 memory',
    metric: `worker RSS, backlog ${large.toLocaleString('en')} vs 100`,
    taskq: big,
    reference: small,
    unit: 'MB',
    target: '≈ 1.0×',
    met: big / small < 1.1,
    note: 'prefetch bounds what a worker holds, not the queue length',
  });
}

module.exports = { memoryScenario };
